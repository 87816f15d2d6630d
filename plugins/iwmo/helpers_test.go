package main

import (
	"flag"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: "test", OriginalName: "bericht.xml", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// testPartner is the partner the tests configure the adapter for.
const testPartner = "gemeente-diemen"

// mustAdapter returns an adapter configured with the JSON config.
func mustAdapter(t testing.TB, config string) *adapter {
	t.Helper()
	return adaptertest.Configure(t, newAdapter(), testPartner, []byte(config))
}

// decodeString decodes data and returns what the adapter wrote.
func decodeString(t testing.TB, a sdk.Adapter, data string) *sdktest.Recorder {
	t.Helper()
	return adaptertest.Decode(t, a, testDoc, []byte(data))
}
