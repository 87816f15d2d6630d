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
	Records []goldenRecord    `json:"records"`
	Errors  []sdk.RecordError `json:"errors"`
}

// goldenCases are the documents with golden output, each decoded with a
// configuration of testdata/config.
var goldenCases = []struct{ sample, config string }{
	{"CasusA-01-WMO315_verzoek.xml", "gemeente-diemen"},
	{"CasusA-02-WMO301_toewijzing.xml", "gemeente-diemen"},
	{"CasusA-04-WMO301_intrekking.xml", "gemeente-diemen"},
	{"CasusB-01-WMO301_toewijzing.xml", "gemeente-diemen"},
	{"CasusB-02-WMO305_start.xml", "gemeente-diemen"},
	{"CasusB-04-WMO307_stop.xml", "gemeente-diemen"},
	{"WMO301_voorbeeld.txt", "gemeente-diemen"},
	{"WMO305_voorbeeld.txt", "gemeente-diemen"},
	{"WMO307_voorbeeld.txt", "gemeente-diemen"},
	{"WMO315_voorbeeld.txt", "gemeente-diemen"},
	{"iwmo3-WMO301-toewijzing.xml", "aanbieder-thuishulp"},
	{"iwmo3-WMO305-start.xml", "aanbieder-thuishulp"},
	{"iwmo3-WMO307-stop.xml", "aanbieder-thuishulp"},
	{"iwmo3-WMO315-verzoek.xml", "gemeente-diemen"},
	{"broken-WMO301.xml", "gemeente-diemen"},
	{"broken-WMO305.txt", "gemeente-diemen"},
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.sample, func(t *testing.T) {
			a := mustAdapter(t, string(readConfig(t, gc.config)))
			w := decodeString(t, a, string(readSample(t, gc.sample)))
			checkRecords(t, w.records())
			out := goldenOutput{Records: []goldenRecord{}, Errors: w.errors()}
			for _, r := range w.records() {
				out.Records = append(out.Records, goldenRecord{Line: r.Line, RecordKey: r.RecordKey, Registration: r.JSON})
			}
			if out.Errors == nil {
				out.Errors = []sdk.RecordError{}
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", gc.sample+".golden.json")
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
				t.Errorf("output differs from %s; run go test ./plugins/iwmo/... -update and review the diff", path)
			}
		})
	}
}
