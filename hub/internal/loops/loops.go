// Package loops runs one goroutine per partner that can be started,
// replaced and stopped while the others go on: the drop folders of
// hub/ingest and the polling of hub/poll. A loop is replaced by its next
// version only after it has ended, so that one partner never has two.
package loops

import (
	"context"
	"sync"
)

// Body is the work of one loop: it runs until ctx ends (the hub stops) or
// stop is closed (the loop is replaced or removed), and then returns
// promptly. What it finishes after stop is closed is its own business.
type Body[V comparable] func(ctx context.Context, stop <-chan struct{}, key string, v V)

// Set runs a loop per key with the value it was last set to. It is safe
// for concurrent use.
type Set[V comparable] struct {
	body Body[V]

	mu     sync.Mutex
	want   map[string]V
	loops  map[string]*loop[V]
	runCtx context.Context // Run's context; nil while Run does not run
	wg     sync.WaitGroup  // the running loops
}

// loop is one running loop.
type loop[V comparable] struct {
	v    V
	stop chan struct{} // closed to end the loop
	done chan struct{} // closed when the loop ended
}

// New returns a Set whose loops run body; none runs before Run.
func New[V comparable](body Body[V]) *Set[V] {
	return &Set[V]{body: body, want: map[string]V{}, loops: map[string]*loop[V]{}}
}

// Run starts the loops of every key set so far and of every key set while
// it runs, until ctx ends; then it waits for every loop to end.
func (s *Set[V]) Run(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	for key, v := range s.want {
		s.startLocked(key, v, nil)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.runCtx = nil
	s.loops = map[string]*loop[V]{}
	s.mu.Unlock()
	s.wg.Wait()
}

// Set starts the loop of key with v, or replaces a loop of key with
// another value: the old loop is stopped and the new one starts once it
// ended. Setting the value a loop runs with changes nothing. Other keys'
// loops are not touched. It may be called at any time, also before Run.
func (s *Set[V]) Set(key string, v V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want[key] = v
	if s.runCtx == nil {
		return
	}
	old := s.loops[key]
	if old != nil && old.v == v {
		return
	}
	var after chan struct{}
	if old != nil {
		close(old.stop)
		after = old.done
	}
	s.startLocked(key, v, after)
}

// Remove stops the loop of key.
func (s *Set[V]) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.want, key)
	if l := s.loops[key]; l != nil {
		close(l.stop)
		delete(s.loops, key)
	}
}

// startLocked starts a loop of key, after the loop that ends when after is
// closed (nil: at once). The caller holds mu and Run runs.
func (s *Set[V]) startLocked(key string, v V, after <-chan struct{}) {
	l := &loop[V]{v: v, stop: make(chan struct{}), done: make(chan struct{})}
	s.loops[key] = l
	ctx := s.runCtx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(l.done)
		if after != nil {
			select {
			case <-after:
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-l.stop:
			return // replaced or removed before it began
		default:
		}
		s.body(ctx, l.stop, key, v)
	}()
}
