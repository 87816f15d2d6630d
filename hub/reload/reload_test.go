package reload

import (
	"context"
	"testing"
	"time"
)

// TestEvery looks at each trigger and returns when its context ends.
func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	trigger := make(chan struct{})
	looks := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Hour, time.Minute, trigger, func() { looks <- struct{}{} })
	}()
	for range 3 {
		trigger <- struct{}{}
		<-looks
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not return when its context ended")
	}
}
