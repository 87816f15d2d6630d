package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestQualityCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	persons := filepath.Join(repoRoot(), "hub", "identity", "quality", "testdata", "persons_extract.csv")
	if err := run(context.Background(), []string{"quality", "--persons", persons, "--registrations", "1000"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"registrations        1000", "false merges         0 clusters, 0 pairs", "recall", "automatic merges", "review queue"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestQualityBound(t *testing.T) {
	var out, errOut bytes.Buffer
	persons := filepath.Join(repoRoot(), "hub", "identity", "quality", "testdata", "persons_extract.csv")
	if err := run(context.Background(), []string{"quality", "--persons", persons, "--registrations", "1000", "--bound"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"knowing every person  tau 1e-03", "attainable recall", "lone, surname+date", "every lone item"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestHelpDoesNothingElse: -h on a command prints its flags and returns
// errHelp (exit 0) without running it: a bench, a server or a key
// generation does not start.
func TestHelpDoesNothingElse(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"validate", "-h"}, {"bench", "-h"}, {"quality", "-h"},
		{"audit", "verify", "-h"}, {"audit", "client", "-h"}, {"partner", "key", "new", "-h"}, {"partner", "test", "-h"},
		{"token", "-h"}, {"tls", "dev-ca", "-h"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		if !errors.Is(err, errHelp) {
			t.Errorf("%v: %v, want errHelp", args, err)
		}
		if !strings.Contains(errOut.String(), "Usage") || out.Len() != 0 {
			t.Errorf("%v: stdout %q, stderr %q", args, out.String(), errOut.String())
		}
	}
}
