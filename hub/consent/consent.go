// Package consent is Ketenhub's consent registry: per chain client,
// recipient (a partner or a named group of partners) and purpose, what the
// client has said about sharing (toestemming) and which grants on another
// ground allow sharing without it (bemoeizorg, a wettelijke grondslag).
//
// The registry is append-only. Every change is a new row; nothing is
// updated or deleted. The current state is the latest row per (client,
// recipient, purpose) and per stream: the client's own statement (basis
// toestemming) is one stream, grants on another ground are the other, so
// that a client's refusal does not erase a bemoeizorg grant (which exists
// precisely for clients who refuse) and ending a grant does not erase the
// client's own statement. Expiry is computed when the state is read, never
// by a job: a consent whose valid_until has passed is expired from that
// instant on.
//
// The registry stores and explains; it does not decide who may see what.
// That is hub/policy, which reads the current state through Current.
package consent

import (
	"time"
)

// State is what a consent row says, or (for Effective) what it amounts to
// at a given moment.
type State string

// States. Given, Refused and Withdrawn are recorded; Expired and
// NotYetValid are only computed, from the validity period.
const (
	// Given means the client consented, or a grant on another ground applies.
	Given State = "given"
	// Refused means the client refused to consent (toestemming only).
	Refused State = "refused"
	// Withdrawn means an earlier consent or grant was ended before its end date.
	Withdrawn State = "withdrawn"
	// Expired means a given consent or grant whose valid_until has passed.
	Expired State = "expired"
	// NotYetValid means a given consent or grant whose valid_from lies ahead.
	NotYetValid State = "not_yet_valid"
)

// Basis is the legal basis (grondslag) of a row.
type Basis string

// Legal bases.
const (
	// Toestemming is the client's own consent (AVG art. 6 lid 1 a / art. 9 lid 2 a).
	Toestemming Basis = "toestemming"
	// Bemoeizorg is sharing without consent because the client cannot
	// sufficiently look after themselves. It needs a justification, an
	// authorised role, an end date within the configured maximum, and a
	// periodic review.
	Bemoeizorg Basis = "bemoeizorg"
	// WettelijkeGrondslag is sharing on another legal ground, named by a
	// legal reference (article, court order).
	WettelijkeGrondslag Basis = "wettelijke_grondslag"
)

// Stream tells which stream a basis belongs to: "consent" for the client's
// own statement, "grant" for sharing on another ground.
func (b Basis) Stream() string {
	if b == Toestemming {
		return StreamConsent
	}
	return StreamGrant
}

// Streams of the current state.
const (
	StreamConsent = "consent"
	StreamGrant   = "grant"
)

// Recorder is who recorded a change: the authenticated subject of the hub
// (a user or a partner system), and on whose behalf.
type Recorder struct {
	Kind         string // user | partner
	ID           string
	Organisation string
	Role         string
	ActingFor    string
}

// Change is one statement to record.
type Change struct {
	// ClientID is the opaque chain client id: when recording, the client
	// the statement is recorded for; in a row read back, the client it
	// applies to now, which a merge, split or relink may have changed (see
	// Follow), and "" for a row that applies to nobody (Detached).
	ClientID string
	// Recipient is a partner id or the name of a group of partners.
	Recipient string
	// Purpose is a purpose of roles.yaml, such as zorgcoordinatie.
	Purpose string
	// State is Given, Refused or Withdrawn.
	State State
	// Basis is Toestemming, Bemoeizorg or WettelijkeGrondslag.
	Basis Basis
	// Justification explains a bemoeizorg grant; required for one.
	Justification string
	// LegalReference names the legal ground of a WettelijkeGrondslag grant.
	LegalReference string
	// ValidFrom is when the statement takes effect; zero means when it is recorded.
	ValidFrom time.Time
	// ValidUntil is when a given consent or grant ends (exclusive); zero
	// means open-ended, which a bemoeizorg grant may not be.
	ValidUntil time.Time
	// EvidenceRef points at the evidence: the signed form, the decision,
	// the document in the partner's file. Never the evidence itself.
	EvidenceRef string
	// RecordedBy is the subject that records the change.
	RecordedBy Recorder
	// Source says how the change arrived: "api" or "partner:<id>" for a
	// partner's delivery.
	Source string
	// SourceRef is the partner's own key of the statement, when delivered by a partner.
	SourceRef string
	// Anchors are the partner registrations the statement was given for:
	// the partner's own registration of the client for a statement a
	// partner delivers by its record key. Nil means every registration of
	// ClientID at the time of recording. The row applies to the client
	// that holds all of its anchors (see Follow).
	Anchors []Anchor
	// StatementHash identifies a statement delivered through an adapter by
	// its contents; Take records it only when the partner's latest
	// statement of the same key differs. Nil for other changes.
	StatementHash []byte
}

// Anchor is a partner registration a consent row was given for.
type Anchor struct {
	Partner   string
	RecordKey string
}

// Consent is one recorded row of the registry.
type Consent struct {
	ID int64
	Change
	// RecordedFor is the client the row was recorded for; ClientID the
	// client it applies to now.
	RecordedFor string
	// Detached is set for a row whose anchors are held by different
	// clients (after a split or a relink): it applies to nobody, and is
	// shown in the history of each client holding one of its anchors.
	Detached bool
	// RecordedAt is when the hub recorded the row.
	RecordedAt time.Time
	// ReviewDue is when a bemoeizorg grant must be reviewed; zero otherwise.
	ReviewDue time.Time
}

// Effective gives what the row amounts to at t: Given only when it was
// given and t lies within [ValidFrom, ValidUntil); Expired or NotYetValid
// for a given row outside that period; Refused and Withdrawn as recorded.
func (c Consent) Effective(t time.Time) State {
	if c.State != Given {
		return c.State
	}
	if t.Before(c.ValidFrom) {
		return NotYetValid
	}
	if !c.ValidUntil.IsZero() && !t.Before(c.ValidUntil) {
		return Expired
	}
	return Given
}

// ValidAt reports whether the row allows sharing at t.
func (c Consent) ValidAt(t time.Time) bool { return c.Effective(t) == Given }

// Rules are the checks Record applies that come from roles.yaml. They are
// read anew for every change, so a reloaded roles.yaml applies at once.
type Rules struct {
	// Purposes holds the known purposes.
	Purposes map[string]bool
	// Recipients holds the known recipients: partner ids and group names.
	// Nil means recipients are not checked (no list of partners available).
	Recipients map[string]bool
	// BemoeizorgRoles holds the roles that may record a bemoeizorg grant.
	BemoeizorgRoles map[string]bool
	// BemoeizorgMax is the longest a bemoeizorg grant may run.
	BemoeizorgMax time.Duration
	// ReviewEvery is how long after recording a bemoeizorg grant is due for review.
	ReviewEvery time.Duration
}
