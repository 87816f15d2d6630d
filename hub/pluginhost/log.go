package pluginhost

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogToSlog is the hclog.Logger that go-plugin writes to: its own messages
// and the log lines of the adapter process. It forwards entries at or above
// its level to a slog.Logger and drops the rest.
type hclogToSlog struct {
	log   *slog.Logger
	level *slog.LevelVar
	name  string
	args  []any
}

var _ hclog.Logger = (*hclogToSlog)(nil)

func newHCLogger(l *slog.Logger, min slog.Level) *hclogToSlog {
	lv := new(slog.LevelVar)
	lv.Set(min)
	return &hclogToSlog{log: l, level: lv}
}

func toSlogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Info, hclog.NoLevel:
		return slog.LevelInfo
	case hclog.Warn:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func toHCLevel(l slog.Level) hclog.Level {
	switch {
	case l <= slog.LevelDebug-4:
		return hclog.Trace
	case l <= slog.LevelDebug:
		return hclog.Debug
	case l <= slog.LevelInfo:
		return hclog.Info
	case l <= slog.LevelWarn:
		return hclog.Warn
	default:
		return hclog.Error
	}
}

func (h *hclogToSlog) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	sl := toSlogLevel(level)
	if sl < h.level.Level() {
		return
	}
	all := make([]any, 0, len(h.args)+len(args)+2)
	if h.name != "" {
		all = append(all, "logger", h.name)
	}
	all = append(all, h.args...)
	all = append(all, args...)
	h.log.Log(context.Background(), sl, msg, all...)
}

func (h *hclogToSlog) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogToSlog) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogToSlog) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogToSlog) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogToSlog) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogToSlog) enabled(l hclog.Level) bool { return toSlogLevel(l) >= h.level.Level() }

func (h *hclogToSlog) IsTrace() bool { return h.enabled(hclog.Trace) }
func (h *hclogToSlog) IsDebug() bool { return h.enabled(hclog.Debug) }
func (h *hclogToSlog) IsInfo() bool  { return h.enabled(hclog.Info) }
func (h *hclogToSlog) IsWarn() bool  { return h.enabled(hclog.Warn) }
func (h *hclogToSlog) IsError() bool { return h.enabled(hclog.Error) }

func (h *hclogToSlog) ImpliedArgs() []any { return h.args }

func (h *hclogToSlog) With(args ...any) hclog.Logger {
	c := *h
	c.args = append(append([]any(nil), h.args...), args...)
	return &c
}

func (h *hclogToSlog) Name() string { return h.name }

func (h *hclogToSlog) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (h *hclogToSlog) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

func (h *hclogToSlog) SetLevel(level hclog.Level) { h.level.Set(toSlogLevel(level)) }

func (h *hclogToSlog) GetLevel() hclog.Level { return toHCLevel(h.level.Level()) }

func (h *hclogToSlog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *hclogToSlog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		h.Info(string(p))
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
