package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestEncodeConformance runs the SDK's encode conformance checks once per
// example partner: each partner's own export, decoded, encoded in its own
// dialect and decoded again, gives the same registrations.
func TestEncodeConformance(t *testing.T) {
	samples := map[string][]string{
		"ggz-oost":     {"ggz-oost.csv"},
		"opvang-zuid":  {"opvang-zuid.csv", "broken-opvang-zuid.csv"},
		"gemeente-szw": {"gemeente-szw.csv"},
	}
	for _, partner := range partners {
		t.Run(partner, func(t *testing.T) {
			var smps []sdktest.Sample
			for _, name := range samples[partner] {
				data, err := os.ReadFile(filepath.Join("testdata", name))
				if err != nil {
					t.Fatal(err)
				}
				smps = append(smps, sdktest.Sample{Name: name, Data: data, WantRecords: -1, WantErrors: -1})
			}
			sdktest.RunEncode(t, newAdapter(), sdktest.Config{Partner: partner, AdapterConfig: partnerConfig(t, partner), Samples: smps})
		})
	}
}
