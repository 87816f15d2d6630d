package main

import (
	"bytes"
	"context"
	"fmt"
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
	for _, want := range []string{"rows: 500\n", "first_ingest_seconds:", "second_night_changed:", "ratio_vs_copy:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchPartners runs the bench with the rows spread over three partners
// delivering at the same time: every row is stored once, and repeated
// persons across partners make fewer chain clients than rows.
func TestBenchPartners(t *testing.T) {
	_, csvBin := binaries(t)
	t.Setenv(EnvDatabaseURL, pgtest.NewDatabase(t))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "--rows", "900", "--partners", "3", "--plugins", filepath.Dir(csvBin)}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "partners: 3\n") || !strings.Contains(out.String(), "copy_rows: 900\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	var clients int
	if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "chain_clients:"):], "chain_clients: %d", &clients); err != nil {
		t.Fatalf("no chain_clients in output: %v\n%s", err, out.String())
	}
	if clients >= 900 || clients < 700 {
		t.Fatalf("%d chain clients for 900 rows with a tenth repeated persons", clients)
	}
}
