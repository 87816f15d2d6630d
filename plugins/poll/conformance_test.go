package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestConformance runs the SDK's conformance suite for both modes, on the
// pages of the golden tests; the counts are those of the golden files.
func TestConformance(t *testing.T) {
	withSecret(t)
	var invalid [][]byte
	for _, ic := range invalidConfigs {
		invalid = append(invalid, []byte(ic.config))
	}
	cases := []struct {
		config  string
		samples []sdktest.Sample
	}{
		{"rest", []sdktest.Sample{
			{Name: "rest/clienten-p1.json", WantRecords: 3, WantErrors: 1},
			{Name: "rest/clienten-p2.json", WantRecords: 0, WantErrors: 6},
			{Name: "rest/broken.json", WantRecords: 1, WantErrors: 1},
		}},
		{"stuf-bg", []sdktest.Sample{
			{Name: "stuf-bg/la01-mutaties.xml", WantRecords: 3, WantErrors: 2},
			{Name: "stuf-bg/StufBgResponse.xml", WantRecords: 1, WantErrors: 0},
			{Name: "stuf-bg/StufBgResponseOnvolledigeDatum.xml", WantRecords: 1, WantErrors: 0},
			{Name: "stuf-bg/StufBgResponseWithVoorvoegsel.xml", WantRecords: 1, WantErrors: 0},
			{Name: "stuf-bg/fault.xml", WantRecords: 0, WantErrors: 1},
		}},
	}
	for _, c := range cases {
		t.Run(c.config, func(t *testing.T) {
			for i := range c.samples {
				c.samples[i].Data = readFile(t, c.samples[i].Name)
			}
			sdktest.Run(t, newAdapter(), sdktest.Config{
				Partner:        testPartner,
				AdapterConfig:  readFile(t, "config/"+c.config+".json"),
				Samples:        c.samples,
				InvalidConfigs: invalid,
			})
		})
	}
}
