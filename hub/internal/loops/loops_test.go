package loops_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/internal/loops"
)

// recorder notes which loops run, and never lets two loops of a key run
// at once go unnoticed.
type recorder struct {
	mu      sync.Mutex
	running map[string]int
	started []string
	overlap bool
}

func (r *recorder) body(ctx context.Context, stop <-chan struct{}, key string, v int) {
	r.mu.Lock()
	r.running[key]++
	r.overlap = r.overlap || r.running[key] > 1
	r.started = append(r.started, key+"="+string(rune('0'+v)))
	r.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-stop:
		time.Sleep(10 * time.Millisecond) // the file in hand
	}
	r.mu.Lock()
	r.running[key]--
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]string, map[string]int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.running {
		out[k] = v
	}
	return append([]string(nil), r.started...), out, r.overlap
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSet(t *testing.T) {
	r := &recorder{running: map[string]int{}}
	s := loops.New(r.body)
	s.Set("a", 1) // before Run
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "a=1", func() bool { st, _, _ := r.snapshot(); return len(st) == 1 })
	s.Set("b", 1)
	s.Set("a", 1) // unchanged: nothing
	s.Set("a", 2) // replaced after the old one ended
	waitFor(t, "a=2 and b=1", func() bool { st, _, _ := r.snapshot(); return len(st) == 3 })
	s.Remove("b")
	waitFor(t, "b stopped", func() bool { _, run, _ := r.snapshot(); return run["b"] == 0 && run["a"] == 1 })
	cancel()
	<-done
	started, running, overlap := r.snapshot()
	if overlap || running["a"] != 0 {
		t.Errorf("overlap %v, running %v", overlap, running)
	}
	if len(started) != 3 || started[0] != "a=1" || !slices.Contains(started, "b=1") || !slices.Contains(started, "a=2") {
		t.Errorf("started %v, want a=1, then b=1 and a=2", started)
	}
}
