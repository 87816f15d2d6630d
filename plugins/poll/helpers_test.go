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

// testPartner is the partner the tests configure the adapter for.
const testPartner = "ggz-noord"

// testToken is the secret of the rest configurations, in GGZ_NOORD_TOKEN.
const testToken = "geheim-token-van-ggz-noord"

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: testPartner, OriginalName: "page.json", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// readFile returns testdata/<name>.
func readFile(t testing.TB, name string) []byte { return sdktest.Testdata(t, name) }

// withSecret sets the secret of the rest configurations for the test.
func withSecret(t *testing.T) {
	t.Helper()
	t.Setenv("GGZ_NOORD_TOKEN", testToken)
}

// configWith returns testdata/config/<name>.json with the top-level
// settings of over replaced (a nil value removes one).
func configWith(t testing.TB, name string, over map[string]any) []byte {
	t.Helper()
	return sdktest.ConfigWith(t, readFile(t, filepath.Join("config", name+".json")), over)
}

// mustAdapter returns an adapter configured with config.
func mustAdapter(t testing.TB, config []byte) *adapter {
	t.Helper()
	return adaptertest.Configure(t, newAdapter(), testPartner, config)
}

// decode decodes data and returns what the adapter wrote.
func decode(t testing.TB, a sdk.Adapter, data []byte) *sdktest.Recorder {
	t.Helper()
	return adaptertest.Decode(t, a, testDoc, data)
}
