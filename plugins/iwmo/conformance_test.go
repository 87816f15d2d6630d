package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// invalidConfigs are configurations Configure must refuse.
var invalidConfigs = [][]byte{
	[]byte(`{`),
	[]byte(`{}`),
	[]byte(`{"role": "gemeente", "codes": ["98025566"]}`),
	[]byte(`{"role": "bakker", "codes": ["0384"]}`),
	[]byte(`{"role": "gemeente", "codes": ["0384"], "message_types": ["WMO302"]}`),
	[]byte(`{"role": "gemeente", "codes": ["0384"], "life_domains": {"07": "Dagbesteding"}}`),
	[]byte(`{"role": "gemeente", "codes": ["0384"], "kolommen": {}}`),
}

// TestConformance runs the SDK's conformance suite on the shared samples in
// both formats and on the made-up samples of release 3.x and with errors.
// The counts are those of the golden files.
func TestConformance(t *testing.T) {
	samples := []sdktest.Sample{
		{Name: "CasusA-02-WMO301_toewijzing.xml", WantRecords: 1, WantErrors: 0},
		{Name: "WMO301_voorbeeld.txt", WantRecords: 1, WantErrors: 0},
	}
	for _, gc := range goldenCases {
		if gc.config == "gemeente-diemen" && gc.sample != samples[0].Name && gc.sample != samples[1].Name {
			samples = append(samples, sdktest.Sample{Name: gc.sample, WantRecords: -1, WantErrors: -1})
		}
	}
	for i := range samples {
		samples[i].Data = sdktest.Testdata(t, samples[i].Name)
	}
	sdktest.Run(t, newAdapter(), sdktest.Config{
		Partner:        testPartner,
		AdapterConfig:  adaptertest.ReadConfig(t, "gemeente-diemen"),
		Samples:        samples,
		InvalidConfigs: invalidConfigs,
	})
}
