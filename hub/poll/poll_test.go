package poll_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/poll"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakePoller is an sdk.Poller of function fields, and records the cursors
// it is asked for.
type fakePoller struct {
	mu      sync.Mutex
	cursors []string
	poll    func(ctx context.Context, cursor string, out io.Writer) (sdk.PollResult, error)
}

func (f *fakePoller) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	f.mu.Lock()
	f.cursors = append(f.cursors, req.Cursor)
	f.mu.Unlock()
	return f.poll(ctx, req.Cursor, out)
}

func (f *fakePoller) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cursors)
}

// pages serves n pages: cursor "" gives page 1, "c1" page 2 and so on;
// after the last the cursor stays and nothing is written.
func pages(n int) func(context.Context, string, io.Writer) (sdk.PollResult, error) {
	return func(_ context.Context, cursor string, out io.Writer) (sdk.PollResult, error) {
		i := 0
		if cursor != "" {
			_, _ = fmt.Sscanf(cursor, "c%d", &i)
		}
		if i >= n {
			return sdk.PollResult{NextCursor: cursor}, nil
		}
		fmt.Fprintf(out, "pagina %d", i+1)
		return sdk.PollResult{Name: fmt.Sprintf("p%d.txt", i+1), NextCursor: fmt.Sprintf("c%d", i+1), More: i+1 < n, Items: 1}, nil
	}
}

// pollers gives each partner its fake.
type pollers map[string]*fakePoller

func (p pollers) Poller(_ context.Context, partner string) (sdk.Poller, error) {
	if f, ok := p[partner]; ok {
		return f, nil
	}
	return nil, errors.New("no adapter")
}

// submitter records the submitted documents; fail makes the next n fail.
type submitter struct {
	mu   sync.Mutex
	docs []string
	fail int
}

func (s *submitter) Submit(_ context.Context, _ pgx.Tx, _, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("de bus is even weg")
	}
	s.docs = append(s.docs, id)
	return nil
}

func (s *submitter) submitted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.docs)
}

func partner(id string) poll.Partner {
	return poll.Partner{ID: id, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, MaxPages: 10, MaxBackoff: 40 * time.Millisecond}
}

// start runs a scheduler over a fresh database until the test ends.
func start(t *testing.T, p pollers, sub *submitter, partners ...poll.Partner) (*poll.Scheduler, *store.Store) {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	sch := poll.New(poll.Config{Store: s, Pollers: p, Submitter: sub, Logger: slog.New(slog.DiscardHandler)})
	for _, pt := range partners {
		sch.SetPartner(pt)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sch.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return sch, s
}

// waitFor waits until cond holds, failing the test after a generous while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSchedulerPages(t *testing.T) {
	f := &fakePoller{poll: pages(3)}
	sub := &submitter{}
	sch, s := start(t, pollers{"ggz": f}, sub, partner("ggz"))
	waitFor(t, "three pages", func() bool { st, _ := sch.Status("ggz"); return st.Pages == 3 && st.LastSuccessAt != nil })
	ps, err := s.PollState(context.Background(), "ggz")
	if err != nil || ps.Cursor != "c3" || ps.Pages != 3 || sub.submitted() != 3 {
		t.Fatalf("state %+v, submitted %d, %v", ps, sub.submitted(), err)
	}
	waitFor(t, "another round", func() bool { return len(f.asked()) >= 5 })
	if asked := f.asked(); !slices.Equal(asked[:4], []string{"", "c1", "c2", "c3"}) || asked[4] != "c3" {
		t.Errorf("cursors asked %v", asked)
	}
	docs, _ := s.Documents(context.Background(), "ggz", 10)
	if len(docs) != 3 || docs[0].Source != "poll" {
		t.Errorf("documents %+v", docs)
	}
}

// TestSchedulerStoreFails: a page that cannot be stored leaves the cursor
// where it was, so the page is fetched again and nothing is skipped.
func TestSchedulerStoreFails(t *testing.T) {
	f := &fakePoller{poll: pages(2)}
	sub := &submitter{fail: 1}
	sch, s := start(t, pollers{"ggz": f}, sub, partner("ggz"))
	waitFor(t, "both pages", func() bool { st, _ := sch.Status("ggz"); return st.Pages == 2 })
	if asked := f.asked(); !slices.Equal(asked[:3], []string{"", "", "c1"}) {
		t.Errorf("cursors asked %v; the page that failed to store must be fetched again", asked)
	}
	if ps, _ := s.PollState(context.Background(), "ggz"); ps.Cursor != "c2" {
		t.Errorf("cursor %q", ps.Cursor)
	}
}

// TestSchedulerHangs: a partner whose poll hangs runs into its timeout and
// holds up no other partner.
func TestSchedulerHangs(t *testing.T) {
	hang := &fakePoller{poll: func(ctx context.Context, _ string, _ io.Writer) (sdk.PollResult, error) {
		<-ctx.Done()
		return sdk.PollResult{}, ctx.Err()
	}}
	ok := &fakePoller{poll: pages(3)}
	slow := partner("traag")
	slow.Timeout = 50 * time.Millisecond
	sch, _ := start(t, pollers{"traag": hang, "ggz": ok}, &submitter{}, slow, partner("ggz"))
	waitFor(t, "the other partner's pages", func() bool { st, _ := sch.Status("ggz"); return st.Pages == 3 })
	waitFor(t, "the timeout", func() bool { st, _ := sch.Status("traag"); return st.ErrorCode == sdk.CodePollTimeout })
	st, _ := sch.Status("traag")
	if st.State != poll.StateFailing && st.State != poll.StatePolling || st.Failures < 1 || st.ErrorMessage == "" {
		t.Errorf("status %+v", st)
	}
}

// TestSchedulerProblem: a page with a problem is stored, its cursor kept
// as the adapter says, and the round counts as failed.
func TestSchedulerProblem(t *testing.T) {
	f := &fakePoller{poll: func(_ context.Context, cursor string, out io.Writer) (sdk.PollResult, error) {
		_, _ = io.WriteString(out, "<html>onderhoud</html>")
		return sdk.PollResult{Name: "p.json", NextCursor: cursor, More: true,
			Problem: &sdk.PollError{Code: sdk.CodePollResponse, Message: "geen JSON"}}, nil
	}}
	sch, _ := start(t, pollers{"ggz": f}, &submitter{}, partner("ggz"))
	waitFor(t, "a failed round", func() bool { st, _ := sch.Status("ggz"); return st.Failures >= 2 })
	st, _ := sch.Status("ggz")
	if st.ErrorCode != sdk.CodePollResponse || st.Pages != 1 || st.Cursor != "" {
		t.Errorf("status %+v; the page is stored once, the cursor kept", st)
	}
}

// TestSchedulerCodedError: a coded error of the adapter is kept as it is;
// a success clears it.
func TestSchedulerCodedError(t *testing.T) {
	var mu sync.Mutex
	fail := true
	f := &fakePoller{poll: func(ctx context.Context, cursor string, out io.Writer) (sdk.PollResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return sdk.PollResult{}, &sdk.PollError{Code: sdk.CodePollHTTP, Message: "HTTP 500"}
		}
		return pages(1)(ctx, cursor, out)
	}}
	sch, s := start(t, pollers{"ggz": f}, &submitter{}, partner("ggz"))
	waitFor(t, "the error", func() bool { st, _ := sch.Status("ggz"); return st.ErrorCode == sdk.CodePollHTTP })
	if ps, _ := s.PollState(context.Background(), "ggz"); ps.LastErrorCode != sdk.CodePollHTTP || ps.Failures < 1 {
		t.Errorf("stored state %+v", ps)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	waitFor(t, "recovery", func() bool {
		st, _ := sch.Status("ggz")
		return st.Pages == 1 && st.Failures == 0 && st.ErrorCode == ""
	})
}

// TestSchedulerSetPartner: a new revision restarts the loop, which reads
// the stored cursor; a removed partner is no longer polled.
func TestSchedulerSetPartner(t *testing.T) {
	f := &fakePoller{poll: pages(2)}
	p := partner("ggz")
	sch, _ := start(t, pollers{"ggz": f}, &submitter{}, p)
	waitFor(t, "two pages", func() bool { st, _ := sch.Status("ggz"); return st.Pages == 2 })
	p.Revision, p.Interval = "r2", time.Hour
	sch.SetPartner(p)
	waitFor(t, "the new revision's first round", func() bool {
		st, ok := sch.Status("ggz")
		return ok && st.Interval == time.Hour && st.State == poll.StateWaiting && st.LastPollAt != nil && st.NextPollAt != nil
	})
	if st, _ := sch.Status("ggz"); st.Cursor != "c2" || st.Pages != 2 {
		t.Errorf("status after the restart %+v", st)
	}
	sch.RemovePartner("ggz")
	if _, ok := sch.Status("ggz"); ok {
		t.Error("a removed partner still has a status")
	}
}
