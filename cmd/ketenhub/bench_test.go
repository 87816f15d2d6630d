package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

// TestBenchSmall runs `ketenhub bench` on a small export: the hub it starts
// has its own roles.yaml and auth.yaml and ingests both nights.
func TestBenchSmall(t *testing.T) {
	_, csvBin := binaries(t)
	t.Setenv(EnvDatabaseURL, pgtest.NewDatabase(t))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "--rows", "500", "--plugins", filepath.Dir(csvBin)}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"rows: 500\n", "first_ingest_seconds:", "second_night_changed:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
