package tlsserver

import (
	"context"
	"time"

	"github.com/ketenhub/ketenhub/hub/reload"
)

// DefaultWatchInterval is how often Watch looks at the files when
// WatchOptions.Interval is zero.
const DefaultWatchInterval = 5 * time.Second

// WatchOptions configure Watch.
type WatchOptions struct {
	// Interval between two looks at the files; zero means
	// DefaultWatchInterval.
	Interval time.Duration
	// Trigger, when not nil, asks for a look at once (the hub sends on it
	// for SIGHUP).
	Trigger <-chan struct{}
	// OnReload, when not nil, is called for every new content of the files
	// that was put in force (err nil) or refused (the material in force
	// stays). A refused content is reported once, not at every look.
	OnReload func(ctx context.Context, revision string, err error)
}

// Watch reloads the files at every interval and trigger until ctx ends.
func (s *Server) Watch(ctx context.Context, opts WatchOptions) {
	lastErr := ""
	reload.Every(ctx, opts.Interval, DefaultWatchInterval, opts.Trigger, func() {
		changed, err := s.Reload()
		switch {
		case err != nil:
			if err.Error() == lastErr {
				return
			}
			lastErr = err.Error()
			s.log.Error("TLS files not reloaded; the certificate in force stays", "error", err)
		case changed:
			lastErr = ""
			s.log.Info("TLS files reloaded", "revision", s.Revision(), "certificate", s.Fingerprint())
		default:
			return
		}
		if opts.OnReload != nil {
			opts.OnReload(ctx, s.Revision(), err)
		}
	})
}
