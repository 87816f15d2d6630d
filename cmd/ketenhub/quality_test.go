package main

import (
	"bytes"
	"context"
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
