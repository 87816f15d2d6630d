package poll

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	p := Partner{Interval: time.Minute, MaxBackoff: 5 * time.Minute}
	for failures, want := range []time.Duration{time.Minute, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		if got := delay(p, failures); got != want {
			t.Errorf("delay after %d failures = %s, want %s", failures, got, want)
		}
	}
	p.Jitter = 10 * time.Second
	for range 100 {
		if d := delay(p, 0); d < 50*time.Second || d >= 70*time.Second {
			t.Fatalf("delay with jitter = %s, want within 10s of a minute", d)
		}
	}
}
