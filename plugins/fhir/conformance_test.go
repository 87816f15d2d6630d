package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// invalidConfigs are configurations Configure must refuse.
var invalidConfigs = [][]byte{
	[]byte(`{`),
	[]byte(`[]`),
	[]byte(`{"format": "csv"}`),
	[]byte(`{"max_resource_bytes": 100}`),
	[]byte(`{"inactive": "keep"}`),
	[]byte(`{"process_step": "intake"}`),
	[]byte(`{"columns": {}}`),
	[]byte(`{"consent": {}}`),
	[]byte(`{"consent": {"recipient": "opvang-zuid"}}`),
	[]byte(`{"consent": {"recipient": "Opvang Zuid", "purpose": "zorgcoordinatie"}}`),
	[]byte(`{"consent": {"recipients": {"Organization/1": "opvang-zuid"}, "purposes": {"TREAT": "Zorg"}}}`),
}

// TestConformance runs the SDK's conformance suite on every golden sample,
// the NDJSON bulk export first: its large input (the export repeated) also
// shows that Decode streams. The counts are those of the golden files.
func TestConformance(t *testing.T) {
	for _, cfg := range []string{"default", "ggz-bulk", "consent"} {
		t.Run(cfg, func(t *testing.T) {
			var samples []sdktest.Sample
			for _, gc := range goldenCases {
				if gc.config == cfg {
					samples = append(samples, sdktest.Sample{Name: gc.sample, Data: sdktest.Testdata(t, gc.sample), WantRecords: -1, WantErrors: -1})
				}
			}
			switch cfg {
			case "default":
				samples[0].WantRecords, samples[0].WantErrors = 6, 0
			case "consent":
				samples[0].WantRecords, samples[0].WantErrors, samples[0].WantConsents = 2, 2, 4
			}
			sdktest.Run(t, newAdapter(), sdktest.Config{
				Partner:        testPartner,
				AdapterConfig:  adaptertest.ReadConfig(t, cfg),
				Samples:        samples,
				InvalidConfigs: invalidConfigs,
			})
		})
	}
}
