package hub

import "time"

// Partner states (PartnerStatus.State): how the hub runs a partner now.
const (
	PartnerStarting   = "starting"   // the hub starts the partner's adapter for the first time
	PartnerRunning    = "running"    // the adapter serves, or starts at its first document
	PartnerRestarting = "restarting" // the adapter crashed and is restarted after a backoff
	PartnerDisabled   = "disabled"   // the adapter is disabled (repeated crashes, wrong checksum); see Reason
	PartnerFailed     = "failed"     // no revision of the partner's file runs; see Reason and Refused
	PartnerOff        = "off"        // the partner's file says enabled: false
)

// Revision statuses (PartnerRevision.Status).
const (
	RevisionApplied = "applied" // the revision runs (or ran) for the partner
	RevisionRefused = "refused" // the revision was refused; the one before kept running
	RevisionRemoved = "removed" // the partner's file was removed and the partner stopped
)

// PartnerStatus is what the hub says about one partner it runs: its state,
// the reason when it does not run normally, its adapter process, the
// revision of its file that runs and a newer revision that was refused.
type PartnerStatus struct {
	ID       string           `json:"id"`
	Name     string           `json:"name,omitempty"`
	File     string           `json:"file"`
	State    string           `json:"state"`
	Reason   *PartnerReason   `json:"reason,omitempty"`
	Adapter  *PartnerAdapter  `json:"adapter,omitempty"`
	Revision *AppliedRevision `json:"revision,omitempty"`
	Refused  *RefusedRevision `json:"refused,omitempty"`
	// Poll is the state of polling the partner's webservice, for a partner
	// whose file has a poll section.
	Poll *PartnerPoll `json:"poll,omitempty"`
}

// PartnerReason says why a partner does not run normally: a stable code and
// a Dutch message for ICT staff.
type PartnerReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PartnerAdapter is the state of a partner's adapter process.
type PartnerAdapter struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// SHA256 is the checksum the adapter catalog pins, if any.
	SHA256 string `json:"sha256,omitempty"`
	// State is stopped, running, crashed, disabled or closed.
	State     string `json:"state"`
	PID       int    `json:"pid,omitempty"`
	Restarts  int    `json:"restarts"`
	Crashes   int    `json:"crashes"`
	LastError string `json:"last_error,omitempty"`
}

// AppliedRevision names the revision of a partner's file that runs: the
// sha256 of the file and when this hub applied it.
type AppliedRevision struct {
	Hash      string    `json:"hash"`
	AppliedAt time.Time `json:"applied_at"`
}

// RefusedRevision is a revision of a partner's file that was refused, with
// every problem found in it.
type RefusedRevision struct {
	Hash      string          `json:"hash"`
	RefusedAt time.Time       `json:"refused_at"`
	Errors    []ConfigProblem `json:"errors"`
}

// ConfigProblem is one problem in a configuration file, located by file,
// line and column, with a stable code and a Dutch message.
type ConfigProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PartnerRevision is one entry of a partner's configuration history: a
// revision of its file that was applied or refused, or the file's removal,
// with the unified diff against the revision that ran before it.
type PartnerRevision struct {
	ID      int64  `json:"id"`
	Partner string `json:"partner"`
	// Hash is the sha256 of the file; for a removal, of the file that was
	// removed.
	Hash       string          `json:"hash"`
	Status     string          `json:"status"`
	RecordedAt time.Time       `json:"recorded_at"`
	Diff       string          `json:"diff"`
	Errors     []ConfigProblem `json:"errors,omitempty"`
}

// PartnerPoll is the state of polling a partner's webservice: where the
// next poll starts, when it polled and polls next, and why the last round
// failed. It holds no personal data.
type PartnerPoll struct {
	// State is starting, waiting, failing (waiting after a failed round)
	// or polling.
	State string `json:"state"`
	// Interval is the time between rounds, such as "5m0s".
	Interval string `json:"interval"`
	// Cursor is where the next poll starts; "" before the first page.
	Cursor string `json:"cursor"`
	// Pages counts the pages stored; LastDocument is the latest.
	Pages         int64      `json:"pages"`
	LastDocument  string     `json:"last_document,omitempty"`
	LastPollAt    *time.Time `json:"last_poll_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	NextPollAt    *time.Time `json:"next_poll_at,omitempty"`
	// Failures counts the failed rounds in a row; LastError says why the
	// latest failed, while Failures > 0.
	Failures  int            `json:"failures"`
	LastError *PartnerReason `json:"last_error,omitempty"`
}
