// Package poll polls partners' webservices on a schedule. The fetching is
// the adapter's (sdk.Poller: protocol, paging, authentication); the
// schedule, the cursor and the durability are the hub's: per partner a
// loop of its own polls at its interval (with jitter), bounds every poll
// with a timeout, backs off after failures, and stores every page as a
// document together with the cursor after it, in one transaction
// (store.LandPage), before the pipeline decodes it with the same adapter.
// A page that was fetched but not stored is fetched again; none is skipped.
// One partner's slow or dead webservice holds up no other partner.
package poll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/internal/loops"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Pollers gives the adapter of a partner as an sdk.Poller.
type Pollers interface {
	// Poller returns the partner's current adapter, or an error when the
	// partner has none.
	Poller(ctx context.Context, partner string) (sdk.Poller, error)
}

// Store keeps the pages and the cursors; *store.Store implements it.
type Store interface {
	PollState(ctx context.Context, partner string) (store.PollState, error)
	LandPage(ctx context.Context, p store.Page, r io.Reader) (hub.Document, bool, error)
	AdvanceCursor(ctx context.Context, partner, from, to string) error
	RecordPoll(ctx context.Context, partner string, o store.PollOutcome) error
}

// Submitter hands a landed page to the pipeline inside the landing
// transaction; *pipeline.Pipeline implements it.
type Submitter interface {
	Submit(ctx context.Context, tx pgx.Tx, partner, documentID string) error
}

// Partner is how one partner is polled.
type Partner struct {
	ID string
	// Interval is the time between poll rounds; Jitter moves a round by up
	// to this much, earlier or later.
	Interval, Jitter time.Duration
	// Timeout bounds one poll (one page).
	Timeout time.Duration
	// MaxPages bounds the pages of one round.
	MaxPages int
	// MaxBackoff bounds the wait after failed rounds.
	MaxBackoff time.Duration
	// Revision is the revision of the partner's file: a new one restarts
	// the partner's loop.
	Revision string
}

// Config configures a Scheduler.
type Config struct {
	Store     Store
	Pollers   Pollers
	Submitter Submitter
	// MaxBytes bounds a page, as ingest.max_document_bytes bounds a file;
	// 0 for sdk.MaxPollBytes.
	MaxBytes int64
	Logger   *slog.Logger
	// Metrics counts stored and duplicate pages; nil counts nothing.
	Metrics *metrics.Metrics
}

// Scheduler polls the partners, each in a loop of its own. Partners can be
// set and removed while it runs.
type Scheduler struct {
	cfg   Config
	log   *slog.Logger
	loops *loops.Set[Partner]

	mu      sync.Mutex
	current map[string]*loop // the loop that runs for each partner
}

// loop is the polling of one partner.
type loop struct {
	p Partner

	mu     sync.Mutex
	status Status
}

// New returns a Scheduler; it polls nothing until Run.
func New(cfg Config) *Scheduler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBytes <= 0 || cfg.MaxBytes > sdk.MaxPollBytes {
		cfg.MaxBytes = sdk.MaxPollBytes
	}
	s := &Scheduler{cfg: cfg, log: cfg.Logger, current: map[string]*loop{}}
	s.loops = loops.New(s.body)
	return s
}

// Run polls until ctx ends, then waits for every partner's loop to end.
func (s *Scheduler) Run(ctx context.Context) error {
	s.loops.Run(ctx)
	return nil
}

// SetPartner starts polling a partner, or restarts its loop with changed
// settings (a poll in progress is cancelled: nothing of it was stored, and
// the new loop fetches the page again). Unchanged settings change nothing.
// It is safe to call at any time, also before Run.
func (s *Scheduler) SetPartner(p Partner) { s.loops.Set(p.ID, p) }

// RemovePartner stops polling a partner; a poll in progress is cancelled.
func (s *Scheduler) RemovePartner(id string) {
	s.loops.Remove(id)
	s.mu.Lock()
	delete(s.current, id)
	s.mu.Unlock()
}

// body is the loop of one partner as loops.Set runs it: stopping it
// cancels the poll in progress.
func (s *Scheduler) body(ctx context.Context, stop <-chan struct{}, id string, p Partner) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	l := &loop{p: p, status: Status{State: StateStarting, Interval: p.Interval}}
	s.mu.Lock()
	s.current[id] = l
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.current[id] == l {
			delete(s.current, id)
		}
		s.mu.Unlock()
	}()
	s.run(ctx, l)
}

// run is the loop of one partner: load its state, then poll a round at
// every interval until ctx ends.
func (s *Scheduler) run(ctx context.Context, l *loop) {
	p := l.p
	log := s.log.With("partner", p.ID)
	st, err := s.loadState(ctx, p.ID, log)
	if err != nil {
		return // ctx ended
	}
	l.update(func(s *Status) { s.fromStore(st) })
	cursor, failures := st.Cursor, st.Failures
	// The first round comes soon, spread over the jitter so that partners
	// started together do not all poll at once.
	wait := randomUpTo(min(p.Jitter, p.Interval))
	for {
		next := time.Now().Add(wait)
		l.update(func(s *Status) {
			s.NextPollAt = &next
			if s.State == StateStarting {
				s.State = StateWaiting
				if s.Failures > 0 {
					s.State = StateFailing
				}
			}
		})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		l.update(func(s *Status) { s.State = StatePolling; s.NextPollAt = nil })
		var f *failure
		cursor, f = s.round(ctx, l, cursor, log)
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		out := store.PollOutcome{At: now}
		if f != nil {
			failures++
			out.Code, out.Message = f.code, f.message
			log.Warn("poll failed", "code", f.code, "failures", failures)
		} else {
			failures = 0
		}
		l.update(func(s *Status) { s.afterRound(now, out, failures) })
		if err := s.cfg.Store.RecordPoll(ctx, p.ID, out); err != nil && ctx.Err() == nil {
			log.Error("record poll", "error", err)
		}
		wait = delay(p, failures)
	}
}

// loadState reads the partner's stored state, retrying while the database
// is away; it returns an error only when ctx ends.
func (s *Scheduler) loadState(ctx context.Context, partner string, log *slog.Logger) (store.PollState, error) {
	for attempt := 0; ; attempt++ {
		st, err := s.cfg.Store.PollState(ctx, partner)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		log.Error("read poll state", "error", err)
		t := time.NewTimer(min(time.Second<<min(attempt, 5), time.Minute))
		select {
		case <-ctx.Done():
			t.Stop()
			return st, ctx.Err()
		case <-t.C:
		}
	}
}

// failure is why a poll round failed: a stable code and a Dutch message
// without personal data.
type failure struct {
	code, message string
}

// round polls pages one after the other from cursor, as long as the
// service says there is more, at most MaxPages. It returns the cursor
// after the last page stored and the failure that ended the round, if any.
func (s *Scheduler) round(ctx context.Context, l *loop, cursor string, log *slog.Logger) (string, *failure) {
	for range l.p.MaxPages {
		next, more, f := s.page(ctx, l, cursor, log)
		cursor = next
		if f != nil || !more || ctx.Err() != nil {
			return cursor, f
		}
	}
	return cursor, nil
}

// page fetches one page and stores it with the cursor after it. A page the
// adapter flags with a problem is stored all the same (its decode
// quarantines it), and ends the round as a failure.
func (s *Scheduler) page(ctx context.Context, l *loop, cursor string, log *slog.Logger) (next string, more bool, f *failure) {
	p := l.p
	poller, err := s.cfg.Pollers.Poller(ctx, p.ID)
	if err != nil {
		return cursor, false, &failure{sdk.CodePollFailed, "de adapter van de partner is niet beschikbaar: " + hub.ErrorMessage(err)}
	}
	pctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	buf := &limitedBuffer{max: s.cfg.MaxBytes}
	res, err := poller.Poll(pctx, sdk.PollRequest{Partner: p.ID, Cursor: cursor}, buf)
	if err != nil {
		return cursor, false, pollFailure(ctx, pctx, p.Timeout, err)
	}
	if buf.Len() > 0 {
		doc, dup, err := s.cfg.Store.LandPage(ctx, store.Page{Partner: p.ID, OriginalName: res.Name, MaxBytes: s.cfg.MaxBytes,
			From: cursor, To: res.NextCursor, OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error {
				return s.cfg.Submitter.Submit(ctx, tx, p.ID, id)
			}}, buf.reader())
		if err != nil {
			return cursor, false, storeFailure(ctx, err, log)
		}
		if dup {
			s.cfg.Metrics.Document(p.ID, "duplicate")
			log.Info("polled page was stored before; not stored again", "document", doc.ID, "items", res.Items)
		} else {
			s.cfg.Metrics.Document(p.ID, "landed")
			log.Info("polled page stored", "document", doc.ID, "items", res.Items, "bytes", doc.Size, "more", res.More)
			l.update(func(s *Status) { s.Pages++; s.LastDocument = doc.ID })
		}
	} else if res.NextCursor != cursor {
		if err := s.cfg.Store.AdvanceCursor(ctx, p.ID, cursor, res.NextCursor); err != nil {
			return cursor, false, storeFailure(ctx, err, log)
		}
	}
	l.update(func(s *Status) { s.Cursor = res.NextCursor })
	if pr := res.Problem; pr != nil {
		return res.NextCursor, false, &failure{pr.Code, pr.Message}
	}
	return res.NextCursor, res.More, nil
}

// pollFailure turns the error of a Poll into a failure.
func pollFailure(ctx, pctx context.Context, timeout time.Duration, err error) *failure {
	var pe *sdk.PollError
	switch {
	case errors.As(err, &pe):
		return &failure{pe.Code, pe.Message}
	case ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded):
		return &failure{sdk.CodePollTimeout, fmt.Sprintf("de bevraging duurde langer dan de timeout van %s en is afgebroken", timeout)}
	case errors.Is(err, errTooLarge):
		return &failure{sdk.CodePollResponse, err.Error()}
	}
	return &failure{sdk.CodePollFailed, "de adapter kon de webservice niet bevragen: " + err.Error()}
}

// storeFailure turns an error of storing a page into a failure.
func storeFailure(ctx context.Context, err error, log *slog.Logger) *failure {
	if ctx.Err() == nil {
		log.Error("store polled page", "error", err)
	}
	if hub.ErrorCode(err) == hub.ETOOLARGE {
		return &failure{sdk.CodePollResponse, "de pagina is groter dan ingest.max_document_bytes en is niet opgeslagen"}
	}
	return &failure{sdk.CodePollFailed, "de pagina kon niet worden opgeslagen; de cursor blijft staan en de pagina wordt opnieuw opgehaald"}
}

// delay is the wait before the next round: the interval after a success,
// the interval doubled for every further failure in a row up to
// MaxBackoff after a failure, moved by the jitter.
func delay(p Partner, failures int) time.Duration {
	d := p.Interval
	for i := 1; i < failures && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, max(p.MaxBackoff, p.Interval))
	if p.Jitter > 0 {
		d += time.Duration(rand.Int64N(int64(2*p.Jitter))) - p.Jitter
	}
	return max(d, 0)
}

// randomUpTo returns a random duration in [0, d).
func randomUpTo(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}
