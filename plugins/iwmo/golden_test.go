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
			a := mustAdapter(t, string(adaptertest.ReadConfig(t, gc.config)))
			w := decodeString(t, a, string(sdktest.Testdata(t, gc.sample)))
			sdktest.CheckRecords(t, w.Records())
			path := filepath.Join("testdata", "golden", gc.sample+".golden.json")
			sdktest.Golden(t, path, sdktest.GoldenJSON(w.Records(), w.Errors()), *update)
		})
	}
}
