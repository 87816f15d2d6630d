package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// goldenCases are the pages with golden output, each decoded with a
// configuration of testdata/config.
var goldenCases = []struct{ sample, config string }{
	{"rest/clienten-p1.json", "rest"},
	{"rest/clienten-p2.json", "rest"},
	{"rest/broken.json", "rest"},
	{"stuf-bg/StufBgResponse.xml", "stuf-bg"},
	{"stuf-bg/StufBgResponseOnvolledigeDatum.xml", "stuf-bg"},
	{"stuf-bg/StufBgResponseWithVoorvoegsel.xml", "stuf-bg"},
	{"stuf-bg/Fo01.xml", "stuf-bg"},
	{"stuf-bg/fault.xml", "stuf-bg"},
	{"stuf-bg/la01-mutaties.xml", "stuf-bg"},
}

// TestGolden decodes every sample and compares the records and record
// errors with testdata/golden; -update rewrites the golden files.
func TestGolden(t *testing.T) {
	withSecret(t)
	for _, gc := range goldenCases {
		t.Run(gc.sample, func(t *testing.T) {
			a := mustAdapter(t, readFile(t, filepath.Join("config", gc.config+".json")))
			w := decode(t, a, readFile(t, gc.sample))
			sdktest.CheckRecords(t, w.Records())
			path := filepath.Join("testdata", "golden", strings.ReplaceAll(gc.sample, "/", "_")+".golden.json")
			sdktest.Golden(t, path, sdktest.GoldenJSON(w.Records(), w.Errors()), *update)
		})
	}
}
