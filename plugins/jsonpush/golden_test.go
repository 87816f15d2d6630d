package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

// goldenRecord is one record as a golden file holds it.
type goldenRecord struct {
	Line         int             `json:"line"`
	RecordKey    string          `json:"record_key"`
	Registration json.RawMessage `json:"registration"`
}

// golden is what a sample decodes to.
type golden struct {
	Records []goldenRecord    `json:"records"`
	Errors  []sdk.RecordError `json:"errors"`
}

// TestGolden decodes every sample with the example configuration and
// compares the records and record errors with testdata/golden; every record
// must satisfy the shared schema. go test ./plugins/jsonpush -update
// rewrites the golden files.
func TestGolden(t *testing.T) {
	v, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sample          string
		records, errors int
	}{
		{"schuldhulp.json", 40, 0},
		{"schuldhulp.ndjson", 40, 0},
		{"broken-schuldhulp.json", 2, 13},
	}
	a := mustAdapter(t, exampleConfig(t))
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			rec := decode(t, a, tt.sample, readSample(t, tt.sample))
			var got golden
			for _, r := range rec.Records() {
				if _, problems, err := v.ValidateJSON(r.JSON); err != nil || len(problems) > 0 {
					t.Errorf("record %d (%s) does not satisfy the shared schema: %v %v", r.Line, r.RecordKey, err, problems)
				}
				got.Records = append(got.Records, goldenRecord{Line: r.Line, RecordKey: r.RecordKey, Registration: r.JSON})
			}
			got.Errors = rec.Errors()
			if len(got.Records) != tt.records || len(got.Errors) != tt.errors {
				t.Errorf("%d records and %d errors, want %d and %d", len(got.Records), len(got.Errors), tt.records, tt.errors)
			}
			for _, e := range got.Errors {
				if e.Field != "" && !strings.HasPrefix(e.Field, "/") {
					t.Errorf("record %d: field %q is no JSON pointer", e.Line, e.Field)
				}
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", "golden", tt.sample)
			if !strings.HasSuffix(path, ".json") {
				path += ".json"
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != string(b) {
				t.Errorf("output differs from %s (run with -update and review the diff)", path)
			}
		})
	}
}
