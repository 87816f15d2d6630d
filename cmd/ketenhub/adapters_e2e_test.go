package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDropIWmoAndFHIR drops the shared iWmo and FHIR samples into the drop
// folders of partners on the built iwmo and fhir adapters, on a real
// PostgreSQL: each sample's registrations reach the feed with the record
// keys of the adapters' golden files, and a GGZ Oost drop alongside is
// unaffected.
func TestDropIWmoAndFHIR(t *testing.T) {
	iwmoBin, fhirBin := pluginBinary(t, "iwmo"), pluginBinary(t, "fhir")
	partnerYAML := func(id, adapter, configFile string) string {
		cfg, err := os.ReadFile(filepath.Join(repoRoot(), "plugins", adapter, "testdata", "config", configFile))
		if err != nil {
			t.Fatal(err)
		}
		// JSON is YAML: the adapter's test configuration as it is.
		return "id: " + id + "\nname: " + id + "\nadapter:\n  name: " + adapter + "\n  config: " +
			strings.Join(strings.Fields(string(cfg)), " ") + "\nexport:\n  kind: delta\n"
	}
	r := newRegion(t, map[string]string{
		"gemeente-diemen": partnerYAML("gemeente-diemen", "iwmo", "gemeente-diemen.json"),
		"ggz-fhir":        partnerYAML("ggz-fhir", "fhir", "default.json"),
	})
	r.addAdapter(t, "iwmo", iwmoBin)
	r.addAdapter(t, "fhir", fhirBin)
	h := r.start(t)

	cases := []struct{ partner, adapter, sample string }{
		{"gemeente-diemen", "iwmo", "CasusB-01-WMO301_toewijzing.xml"},
		{"ggz-fhir", "fhir", "nl-core-Patient-01.json"},
	}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join(repoRoot(), "plugins", c.adapter, "testdata", c.sample))
		if err != nil {
			t.Fatal(err)
		}
		r.drop(t, c.partner, c.sample, data)
	}
	r.drop(t, "ggz-oost", "ggz.csv", ggzExport("triage"))
	for _, c := range cases {
		rc := r.waitReceipt(t, h, c.partner, c.sample, 2*time.Minute)
		var golden struct {
			Records []struct {
				RecordKey string `json:"record_key"`
			} `json:"records"`
		}
		b, err := os.ReadFile(filepath.Join(repoRoot(), "plugins", c.adapter, "testdata", "golden", c.sample+".golden.json"))
		if err != nil || json.Unmarshal(b, &golden) != nil || len(golden.Records) == 0 {
			t.Fatalf("golden file of %s: %v", c.sample, err)
		}
		if rc.Status != "done" || rc.Counts.Rejected != 0 || rc.Counts.Inserted != int64(len(golden.Records)) {
			t.Fatalf("%s: receipt %+v, want %d inserted", c.sample, rc, len(golden.Records))
		}
		got := map[string]bool{}
		for _, it := range h.feed(t) {
			if it.Partner == c.partner {
				got[it.RecordKey] = true
			}
		}
		for _, g := range golden.Records {
			if g.RecordKey == "" || !got[g.RecordKey] {
				t.Errorf("%s: record %q not in the feed (feed has %v)", c.sample, g.RecordKey, got)
			}
		}
	}
	if rc := r.waitReceipt(t, h, "ggz-oost", "ggz.csv", 2*time.Minute); rc.Counts.Inserted == 0 || rc.Counts.Rejected != 0 {
		t.Fatalf("GGZ Oost's drop alongside: %+v", rc)
	}
}
