package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
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
			sdktest.CheckRecords(t, rec.Records())
			var got golden
			for _, r := range rec.Records() {
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
			sdktest.Golden(t, path, b, *update)
		})
	}
}
