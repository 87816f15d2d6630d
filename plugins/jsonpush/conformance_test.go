package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// invalidConfigs are configurations Configure must refuse.
var invalidConfigs = [][]byte{
	[]byte(`{`),
	[]byte(`[]`),
	[]byte(`{}`),
	[]byte(`{"fields": {}}`),
	[]byte(`{"fields": {"nr": "source.record_key"}}`),
	[]byte(`{"fields": {"/nr": "source.record_key", "/naam": "client.achternaam"}}`),
	[]byte(`{"format": "xml", "fields": {"/nr": "source.record_key", "/naam": "client.surname"}}`),
	[]byte(`{"format": "ndjson", "records": "/r", "fields": {"/nr": "source.record_key", "/naam": "client.surname"}}`),
}

// TestConformance runs the SDK's conformance suite on the samples, the NDJSON
// push first: its large input (the records repeated, one per line) also shows
// that Decode streams. The counts are those of the golden files.
func TestConformance(t *testing.T) {
	sdktest.Run(t, newAdapter(), sdktest.Config{
		Partner:       testPartner,
		AdapterConfig: exampleConfig(t),
		Samples: []sdktest.Sample{
			{Name: "schuldhulp.ndjson", Data: readSample(t, "schuldhulp.ndjson"), WantRecords: 40, WantErrors: 0},
			{Name: "schuldhulp.json", Data: readSample(t, "schuldhulp.json"), WantRecords: 40, WantErrors: 0},
			{Name: "broken-schuldhulp.json", Data: readSample(t, "broken-schuldhulp.json"), WantRecords: 2, WantErrors: 13},
		},
		InvalidConfigs: invalidConfigs,
	})
}
