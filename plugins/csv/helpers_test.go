package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: "test", OriginalName: "export.csv", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// partnerConfig reads config/partners/<id>.yaml and returns its
// adapter.config as JSON.
func partnerConfig(t testing.TB, id string) []byte {
	t.Helper()
	return sdktest.AdapterConfig(t, filepath.Join("..", "..", "config", "partners", id+".yaml"), adapterName)
}

// mustAdapter returns an adapter configured with the JSON config.
func mustAdapter(t testing.TB, partner, config string) *adapter {
	t.Helper()
	return adaptertest.Configure(t, newAdapter(), partner, []byte(config))
}

// decodeString decodes data and returns what the adapter wrote.
func decodeString(t testing.TB, a sdk.Adapter, data string) *sdktest.Recorder {
	t.Helper()
	return adaptertest.Decode(t, a, testDoc, []byte(data))
}
