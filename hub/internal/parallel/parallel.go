// Package parallel runs independent pieces of CPU work on all cores.
package parallel

import (
	"runtime"
	"sync"
)

// Each calls fn(i) for every i in [0, n), spread over GOMAXPROCS goroutines,
// and returns when all calls have returned. fn must be safe to call
// concurrently for different i.
func Each(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
