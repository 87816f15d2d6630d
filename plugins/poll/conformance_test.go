package main

import (
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/polltest"
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

// TestPollConformance runs the SDK's suite of the Poller capability for
// both modes against the fake services, which page: 23 persons in pages of
// 5, in the StUF-BG service with tijdstippen shared across pages.
func TestPollConformance(t *testing.T) {
	withSecret(t)
	persons := polltest.People("P", 23, t0, time.Minute)
	for i := 5; i < 12; i++ {
		persons[i].Changed = persons[5].Changed
	}
	rest := polltest.NewREST(testToken, persons...)
	defer rest.Close()
	stuf := polltest.NewStUF(persons...)
	defer stuf.Close()
	t.Run("rest", func(t *testing.T) {
		sdktest.RunPoll(t, newAdapter(), sdktest.PollConfig{Partner: testPartner, WantRecords: 23,
			AdapterConfig: configWith(t, "rest", map[string]any{"url": rest.URL, "page_size": 5})})
	})
	t.Run("stuf-bg", func(t *testing.T) {
		// Pages overlap where persons share a tijdstip: more records than persons.
		sdktest.RunPoll(t, newAdapter(), sdktest.PollConfig{Partner: testPartner, WantRecords: -1,
			AdapterConfig: configWith(t, "stuf-bg", map[string]any{"url": stuf.URL, "page_size": 5})})
	})
}
