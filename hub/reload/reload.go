// Package reload runs a look at a file (or anything else) at an interval and
// on demand, for the watchers that reload configuration while the hub runs.
package reload

import (
	"context"
	"time"
)

// Every calls look every interval (def when interval is not positive) and
// whenever trigger fires (a nil trigger never does), until ctx ends. The
// first look comes after the first interval or trigger.
func Every(ctx context.Context, interval, def time.Duration, trigger <-chan struct{}, look func()) {
	if interval <= 0 {
		interval = def
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-trigger:
		}
		look()
	}
}
