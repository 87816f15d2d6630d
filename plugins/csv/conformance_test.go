package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestConformance runs the SDK's conformance suite once per example partner,
// with the partner's configuration from config/partners and its export from
// testdata, including the digest capability. The counts are those of the
// golden files.
func TestConformance(t *testing.T) {
	invalid := [][]byte{
		[]byte(`{`),
		[]byte(`{}`),
		[]byte(`{"columns": {"nr": "client.nonsense"}}`),
		[]byte(`{"delimiter": ";;", "columns": {"nr": "source.record_key", "naam": "client.surname"}}`),
	}
	tests := []struct {
		partner string
		samples []sdktest.Sample
	}{
		{"ggz-oost", []sdktest.Sample{
			{Name: "ggz-oost.csv", WantRecords: 136, WantErrors: 0},
		}},
		{"opvang-zuid", []sdktest.Sample{
			{Name: "opvang-zuid.csv", WantRecords: 123, WantErrors: 0},
			{Name: "broken-opvang-zuid.csv", WantRecords: 2, WantErrors: 15},
		}},
		{"gemeente-szw", []sdktest.Sample{
			{Name: "gemeente-szw.csv", WantRecords: 133, WantErrors: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.partner, func(t *testing.T) {
			for i := range tt.samples {
				data, err := os.ReadFile(filepath.Join("testdata", tt.samples[i].Name))
				if err != nil {
					t.Fatal(err)
				}
				tt.samples[i].Data = data
			}
			sdktest.Run(t, newAdapter(), sdktest.Config{
				Partner:        tt.partner,
				AdapterConfig:  partnerConfig(t, tt.partner),
				Samples:        tt.samples,
				InvalidConfigs: invalid,
				// The next night: five life domains changed.
				NextExport: bytes.Replace(tt.samples[0].Data, []byte("instabiel"), []byte("stabiel"), 5),
			})
		})
	}
}
