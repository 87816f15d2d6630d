package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestThroughGRPC runs the adapter behind the real gRPC transport, as the hub
// sees it, and checks that it gives the same chunks as a direct call.
func TestThroughGRPC(t *testing.T) {
	adaptertest.CheckTransport(t, sdk.TestClient(t, newAdapter()), transport(t))
}

// TestBuiltBinary builds the adapter binary and runs it the way the hub
// does: as a separate process over go-plugin, with its sha256 pinned.
func TestBuiltBinary(t *testing.T) {
	adaptertest.CheckTransport(t, adaptertest.StartBinary(t, adapterName, testPartner), transport(t))
}

// transport is what the transport tests check: Describe, a refused
// configuration, and that every golden sample decodes into the chunks of a
// direct Decode.
func transport(t *testing.T) adaptertest.Transport {
	tr := adaptertest.Transport{Name: adapterName, Schema: configSchemaJSON, Partner: testPartner,
		BadConfig: []byte(`{"format": "csv"}`), BadField: "/format", New: func() sdk.Adapter { return newAdapter() }}
	for _, gc := range goldenCases {
		doc := testDoc
		doc.OriginalName = gc.sample
		tr.Cases = append(tr.Cases, adaptertest.Case{Name: gc.sample, Config: adaptertest.ReadConfig(t, gc.config), Doc: doc, Data: sdktest.Testdata(t, gc.sample)})
	}
	return tr
}
