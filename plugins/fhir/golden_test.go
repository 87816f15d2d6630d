package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// goldenRecord and goldenOutput are the form of the golden files.
type goldenRecord struct {
	Line         int             `json:"line"`
	RecordKey    string          `json:"record_key"`
	Registration json.RawMessage `json:"registration"`
}

type goldenOutput struct {
	Records  []goldenRecord    `json:"records"`
	Errors   []sdk.RecordError `json:"errors"`
	Consents []goldenConsent   `json:"consents,omitempty"`
}

type goldenConsent struct {
	Line      int             `json:"line"`
	RecordKey string          `json:"record_key"`
	Statement json.RawMessage `json:"statement"`
}

// goldenCases are the documents with golden output, each decoded with a
// configuration of testdata/config.
var goldenCases = []struct{ sample, config string }{
	{"bulk-export.ndjson", "default"},
	{"nl-core-Patient-01.xml", "default"},
	{"nl-core-Patient-01.json", "default"},
	{"nl-core-AdvanceDirective-01.xml", "default"},
	{"nl-core-TreatmentDirective2-01-Consent-01.xml", "default"},
	{"nl-core-TreatmentDirective2-01.xml", "default"},
	{"searchset-bundle.xml", "default"},
	{"transaction-bundle.json", "default"},
	{"broken.ndjson", "ggz-bulk"},
	// Consents as statements: the nl-core Consents are advance directives
	// (scope adr), not about sharing, and give none.
	{"consent-bundle.json", "consent"},
	{"nl-core-AdvanceDirective-01.xml", "consent"},
	{"nl-core-TreatmentDirective2-01-Consent-01.xml", "consent"},
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		name := gc.sample
		if gc.config == "consent" {
			name += ".consent"
		}
		t.Run(name, func(t *testing.T) {
			a := mustAdapter(t, string(readConfig(t, gc.config)))
			w := decodeNamed(t, a, gc.sample, string(readSample(t, gc.sample)))
			checkRecords(t, w.records())
			out := goldenOutput{Records: []goldenRecord{}, Errors: w.errors()}
			for _, r := range w.records() {
				out.Records = append(out.Records, goldenRecord{Line: r.Line, RecordKey: r.RecordKey, Registration: r.JSON})
			}
			if out.Errors == nil {
				out.Errors = []sdk.RecordError{}
			}
			for _, c := range w.chunks {
				for _, st := range c.Consents {
					out.Consents = append(out.Consents, goldenConsent{Line: st.Line, RecordKey: st.RecordKey, Statement: st.JSON})
				}
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s; run go test ./plugins/fhir/... -update and review the diff", path)
			}
		})
	}
}
