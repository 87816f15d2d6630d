package poll

import (
	"time"

	"github.com/ketenhub/ketenhub/hub/store"
)

// States of a partner's polling (Status.State).
const (
	StateStarting = "starting" // the loop reads the partner's stored state
	StateWaiting  = "waiting"  // waiting for the next round; the last one succeeded
	StateFailing  = "failing"  // waiting for the next round after a failed one (backoff)
	StatePolling  = "polling"  // a round is in progress
)

// Status is a snapshot of polling one partner, for operators. It holds no
// personal data: a cursor never does (the adapters' contract), errors are
// codes and Dutch messages without personal data.
type Status struct {
	State    string
	Interval time.Duration
	// Cursor is where the next poll starts; "" before the first page.
	Cursor string
	// Pages counts the pages stored, LastDocument is the latest.
	Pages        int64
	LastDocument string
	LastPollAt   *time.Time
	// LastSuccessAt is the end of the latest round without failure.
	LastSuccessAt *time.Time
	// NextPollAt is when the next round starts, while waiting.
	NextPollAt *time.Time
	// Failures counts the failed rounds in a row; ErrorCode and
	// ErrorMessage describe the latest, while Failures > 0.
	Failures     int
	ErrorCode    string
	ErrorMessage string
}

// Status returns the polling state of partner, and whether it is polled.
func (s *Scheduler) Status(partner string) (Status, bool) {
	s.mu.Lock()
	l := s.current[partner]
	s.mu.Unlock()
	if l == nil {
		return Status{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.status
	st.LastPollAt, st.LastSuccessAt, st.NextPollAt = clone(st.LastPollAt), clone(st.LastSuccessAt), clone(st.NextPollAt)
	return st, true
}

// update changes the loop's status under its lock.
func (l *loop) update(fn func(*Status)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(&l.status)
}

// fromStore takes what the database says about the partner's polling.
func (st *Status) fromStore(ps store.PollState) {
	st.Cursor, st.Pages, st.LastDocument = ps.Cursor, ps.Pages, ps.LastDocument
	st.LastPollAt, st.LastSuccessAt = ps.LastPollAt, ps.LastSuccessAt
	st.Failures, st.ErrorCode, st.ErrorMessage = ps.Failures, ps.LastErrorCode, ps.LastError
}

// afterRound notes the outcome of a round.
func (st *Status) afterRound(at time.Time, o store.PollOutcome, failures int) {
	st.LastPollAt = &at
	st.Failures, st.ErrorCode, st.ErrorMessage = failures, o.Code, o.Message
	st.State = StateWaiting
	if failures > 0 {
		st.State = StateFailing
	} else {
		st.LastSuccessAt = &at
	}
}

func clone(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
