package sdk

import (
	"context"
	"errors"
	"io"
)

// CapabilityPoll is the capability an adapter that implements Poller
// reports in Description.Capabilities.
const CapabilityPoll = "poll"

// Poller is the optional capability of an adapter that fetches its
// partner's documents from the partner's webservice, so that the hub can
// poll it on a schedule. The protocol knowledge (URLs, SOAP, paging,
// authentication) stays in the adapter; the schedule, the cursor and the
// durability stay in the hub. An adapter that implements it reports
// CapabilityPoll from Describe; Serve then also serves the Poller gRPC
// service.
//
// The hub calls Poll with the cursor it holds, stores the page it gets as
// a document together with NextCursor, in one transaction, and only then
// calls Poll again with NextCursor. A page that was fetched but never
// stored is therefore fetched again, never skipped. The stored page goes
// through the pipeline like a dropped file: the same adapter's Decode maps
// it, so Decode must read every page Poll writes.
//
// On the hub's side every dispensed adapter (Dispense, TestClient)
// implements Poller; for an adapter process that does not, Poll returns an
// error wrapping ErrPollUnsupported.
type Poller interface {
	// Poll fetches one page from the partner's webservice, from req.Cursor
	// on ("" the first time: where the configuration says to start), and
	// writes its bytes to out exactly as the service sent them. A page
	// without items may be left unwritten: the hub then stores nothing and
	// only keeps NextCursor.
	//
	// A page that arrived but is not what the adapter expects (no JSON, no
	// SOAP answer, no list of items) is written all the same and described
	// in PollResult.Problem, with a NextCursor past it where the adapter can
	// tell one, so that the partner is not stuck on it: the hub stores it,
	// and its Decode quarantines it with its errors.
	//
	// Poll returns a *PollError when nothing can be stored: the service
	// cannot be reached, answers with an HTTP error or a SOAP fault, or the
	// cursor is not one the adapter understands. It returns another error
	// when it cannot work at all (not configured, another partner, writing
	// to out fails, ctx ends). After an error, what was written to out is
	// worthless. Poll must honour ctx: the hub bounds every poll with a
	// timeout.
	Poll(ctx context.Context, req PollRequest, out io.Writer) (PollResult, error)
}

// PollRequest says from where to fetch.
type PollRequest struct {
	// Partner is the partner the adapter is configured for.
	Partner string
	// Cursor is the cursor the hub holds: "" before the first page, else
	// the NextCursor of the last page the hub stored.
	Cursor string
}

// PollResult describes a fetched page.
type PollResult struct {
	// Name names the stored document, such as "clienten-20250301T093000.json";
	// without directories.
	Name string `json:"name"`
	// MediaType is the page's media type, such as "application/json".
	MediaType string `json:"media_type"`
	// NextCursor is the cursor after this page; the hub keeps it with the
	// page and passes it to the next Poll. It must not hold personal data:
	// the hub shows it to ICT staff.
	NextCursor string `json:"next_cursor"`
	// More says that the service holds more right now: the hub polls again
	// at once, up to its limit of pages per round.
	More bool `json:"more"`
	// Items is the number of items in the page, for logs and the partner's
	// state.
	Items int `json:"items"`
	// Problem describes a page that arrived but is not what the adapter
	// expects; nil for a good page.
	Problem *PollError `json:"problem,omitempty"`
}

// PollError is a poll's problem with a stable code and a Dutch message for
// the ICT staff of hub and partner; neither holds personal data.
type PollError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *PollError) Error() string { return e.Code + ": " + e.Message }

// Stable codes of PollError.
const (
	// CodePollConnect: the service cannot be reached (name unknown,
	// connection refused or broken, TLS handshake failed).
	CodePollConnect = "POLL_CONNECT"
	// CodePollTimeout: the service did not answer in time.
	CodePollTimeout = "POLL_TIMEOUT"
	// CodePollAuth: the service refuses the hub's credentials (HTTP 401 or
	// 403).
	CodePollAuth = "POLL_AUTH"
	// CodePollHTTP: the service answers with another HTTP error status.
	CodePollHTTP = "POLL_HTTP"
	// CodePollFault: the service answers with a SOAP fault or a StUF
	// foutbericht.
	CodePollFault = "POLL_FAULT"
	// CodePollResponse: the answer is not what the adapter expects (not
	// JSON or XML, no list of items, too large); a Problem of a stored page.
	CodePollResponse = "POLL_RESPONSE"
	// CodePollCursor: the cursor the hub holds is not one the adapter
	// understands (for instance after a change of mode).
	CodePollCursor = "POLL_CURSOR"
	// CodePollFailed: the poll failed otherwise (the adapter is not
	// available, the page cannot be stored); set by the hub.
	CodePollFailed = "POLL_FAILED"
)

// ErrPollUnsupported is wrapped by the error of Poll on an adapter that has
// no Poller capability.
var ErrPollUnsupported = errors.New("adapter cannot poll")

// MaxPollBytes bounds one page as the hub receives it.
const MaxPollBytes = 64 << 20
