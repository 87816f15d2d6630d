package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/config"
)

// TestListenPlainHTTPWarning: plain HTTP on loopback is quiet, on every
// interface it is logged as a warning.
func TestListenPlainHTTPWarning(t *testing.T) {
	for _, tt := range []struct {
		listen string
		warn   bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		var logs bytes.Buffer
		ln, srv, scheme, err := listenAPI(&config.Config{Listen: tt.listen}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		if srv != nil || scheme != "http" {
			t.Errorf("%s: scheme %q, TLS server %v; want plain http", tt.listen, scheme, srv)
		}
		if got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "plain HTTP"); got != tt.warn {
			t.Errorf("%s: warning %v, want %v:\n%s", tt.listen, got, tt.warn, logs.String())
		}
	}
}
