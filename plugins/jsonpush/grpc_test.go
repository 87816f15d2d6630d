package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// TestThroughGRPC runs the adapter behind the real gRPC transport, as the hub
// sees it: Describe names the push capability, and every sample gives the
// chunks of a direct Decode.
func TestThroughGRPC(t *testing.T) {
	tr := adaptertest.Transport{Name: adapterName, Schema: configSchemaJSON, Capabilities: []string{sdk.CapabilityPush}, Partner: testPartner,
		New: func() sdk.Adapter { return newAdapter() }}
	for _, name := range []string{"schuldhulp.json", "schuldhulp.ndjson", "broken-schuldhulp.json"} {
		doc := testDoc
		doc.OriginalName = name
		tr.Cases = append(tr.Cases, adaptertest.Case{Name: name, Config: exampleConfig(t), Doc: doc, Data: readSample(t, name)})
	}
	adaptertest.CheckTransport(t, sdk.TestClient(t, newAdapter()), tr)
}
