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
	tr := adaptertest.Transport{Name: adapterName, Schema: configSchemaJSON, Partner: "ggz-oost",
		BadConfig: []byte(`{"columns": {"nr": "client.nonsense"}}`), BadField: "/columns/nr", New: func() sdk.Adapter { return newAdapter() }}
	for _, gc := range goldenCases {
		tr.Cases = append(tr.Cases, adaptertest.Case{Name: gc.name, Partner: gc.partner, Config: partnerConfig(t, gc.partner), Doc: testDoc,
			Data: sdktest.Testdata(t, gc.name+".csv")})
	}
	adaptertest.CheckTransport(t, sdk.TestClient(t, newAdapter()), tr)
}
