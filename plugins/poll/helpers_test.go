package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
	"github.com/ketenhub/ketenhub/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testPartner is the partner the tests configure the adapter for.
const testPartner = "ggz-noord"

// testToken is the secret of the rest configurations, in GGZ_NOORD_TOKEN.
const testToken = "geheim-token-van-ggz-noord"

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: testPartner, OriginalName: "page.json", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// readFile returns testdata/<name>.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
	a := newAdapter()
	if err := a.Configure(context.Background(), testPartner, config); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return a
}

// decode decodes data and returns what the adapter wrote.
func decode(t testing.TB, a sdk.Adapter, data []byte) *sdktest.Recorder {
	t.Helper()
	w := &sdktest.Recorder{}
	if err := a.Decode(context.Background(), testDoc, bytes.NewReader(data), w); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return w
}

var registrationSchema = sync.OnceValues(func() (*schema.Validator, error) { return schema.Compile(schemas.RegistrationV1) })

// checkRecords validates every record against the shared schema.
func checkRecords(t testing.TB, recs []sdk.Record) {
	t.Helper()
	v, err := registrationSchema()
	if err != nil {
		t.Fatalf("compile registration schema: %v", err)
	}
	for _, r := range recs {
		_, issues, err := v.ValidateJSON(r.JSON)
		if err != nil || len(issues) > 0 {
			t.Errorf("item %d: record does not satisfy the shared schema: %v %v\n%s", r.Line, err, issues, r.JSON)
		}
	}
}
