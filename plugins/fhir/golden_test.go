package main

import (
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

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
			a := mustAdapter(t, string(adaptertest.ReadConfig(t, gc.config)))
			w := decodeNamed(t, a, gc.sample, string(sdktest.Testdata(t, gc.sample)))
			sdktest.CheckRecords(t, w.Records())
			path := filepath.Join("testdata", "golden", name+".golden.json")
			sdktest.Golden(t, path, sdktest.GoldenChunks(w.Chunks()), *update)
		})
	}
}
