package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestEncodeConformance runs the SDK's encode conformance checks for an
// aanbieder that receives: the toewijzingen of the release 3.2 sample,
// decoded, written one message per file and decoded again, give the same
// registrations. (A release 2.0 toewijzing has no ToewijzingNummer: its
// key is not one a WMO301 of release 3.2 gives back, so it is not a
// sample here.)
func TestEncodeConformance(t *testing.T) {
	const sample = "iwmo3-WMO301-toewijzing.xml"
	sdktest.RunEncode(t, newAdapter(), sdktest.Config{
		Partner:       testPartner,
		AdapterConfig: adaptertest.ReadConfig(t, "aanbieder-ontvangt"),
		Samples:       []sdktest.Sample{{Name: sample, Data: sdktest.Testdata(t, sample), WantRecords: 3, WantErrors: 0}},
	})
}
