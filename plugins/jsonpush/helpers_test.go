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

// testPartner is the example partner of testdata/schuldhulp.yaml.
const testPartner = "schuldhulp"

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: testPartner, OriginalName: "registraties.json", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// exampleConfig returns the adapter.config of testdata/schuldhulp.yaml as
// JSON.
func exampleConfig(t testing.TB) []byte {
	t.Helper()
	return sdktest.AdapterConfig(t, filepath.Join("testdata", testPartner+".yaml"), adapterName)
}

// withConfig returns the example configuration with the top-level settings
// in set replaced (a nil value removes one).
func withConfig(t testing.TB, set map[string]any) []byte {
	t.Helper()
	return sdktest.ConfigWith(t, exampleConfig(t), set)
}

// mustAdapter returns an adapter configured with config.
func mustAdapter(t testing.TB, config []byte) *adapter {
	t.Helper()
	return adaptertest.Configure(t, newAdapter(), testPartner, config)
}

// decode decodes data with a as a document named name.
func decode(t testing.TB, a *adapter, name string, data []byte) *sdktest.Recorder {
	t.Helper()
	doc := testDoc
	doc.OriginalName = name
	return adaptertest.Decode(t, a, doc, data)
}

func readSample(t testing.TB, name string) []byte { return sdktest.Testdata(t, name) }
