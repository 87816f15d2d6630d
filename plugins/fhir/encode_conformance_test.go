package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestEncodeConformance runs the SDK's encode conformance checks in every
// output form on the samples whose records that form can carry: a
// collection and NDJSON have no requests, so they cannot tell a change from
// a new record (the sample with PUTs is left out there), and NDJSON has no
// full URLs, so a Patient without id changes its key (the transaction with
// urn:uuid Patients is left out too).
func TestEncodeConformance(t *testing.T) {
	all := []string{"nl-core-Patient-01.json", "nl-core-Patient-01.xml", "searchset-bundle.xml", "bulk-export.ndjson", "transaction-bundle.json"}
	tests := []struct {
		name, config string
		samples      []string
	}{
		{"transaction", `{}`, all},
		{"collection", `{"output": {"format": "collection", "episode_of_care": false}}`, all[:4]},
		{"ndjson", `{"format": "ndjson", "process_step": "triage", "output": {"format": "ndjson"}}`, []string{"bulk-export.ndjson", "broken.ndjson"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var samples []sdktest.Sample
			for _, name := range tt.samples {
				samples = append(samples, sdktest.Sample{Name: name, Data: sdktest.Testdata(t, name), WantRecords: -1, WantErrors: -1})
			}
			sdktest.RunEncode(t, newAdapter(), sdktest.Config{Partner: testPartner, AdapterConfig: []byte(tt.config), Samples: samples})
		})
	}
}
