// Package adaptertest holds the test helpers that the adapters of this
// repository (plugins/csv, plugins/fhir, plugins/iwmo, plugins/jsonpush,
// plugins/poll) share beyond what plugins/sdktest offers every adapter:
// configuring and decoding with a test failure instead of an error, the
// checks of a configuration table, comparing the adapter behind a transport
// with a direct call, running the built binary as the hub does, the
// invariants a fuzzed Decode keeps, and decoding a document that arrives
// slowly. It is imported by the adapters' tests only.
package adaptertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// ReadConfig returns testdata/config/<name>.json of the package under test.
func ReadConfig(t testing.TB, name string) []byte {
	t.Helper()
	return sdktest.Testdata(t, filepath.Join("config", name+".json"))
}

// Configure configures a for partner with the JSON configuration config
// and returns a. It fails the test when Configure refuses.
func Configure[A sdk.Adapter](t testing.TB, a A, partner string, config []byte) A {
	t.Helper()
	if err := a.Configure(context.Background(), partner, config); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return a
}

// Decode decodes data as the document doc with a and returns what a wrote.
// It fails the test when Decode returns an error.
func Decode(t testing.TB, a sdk.Adapter, doc sdk.Document, data []byte) *sdktest.Recorder {
	t.Helper()
	w := &sdktest.Recorder{}
	if err := a.Decode(context.Background(), doc, bytes.NewReader(data), w); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return w
}

// WantConfigError fails the test unless err is a *sdk.ConfigError at the
// JSON pointer field with a message.
func WantConfigError(t testing.TB, err error, field string) {
	t.Helper()
	var ce *sdk.ConfigError
	if !errors.As(err, &ce) || ce.Field != field || ce.Message == "" {
		t.Errorf("Configure = %v, want a *sdk.ConfigError for %q", err, field)
	}
}

// SchemaAccepts reports whether the JSON Schema schema (draft 7) accepts the
// JSON configuration config, checked as the mapping adapters check theirs
// (mapping.Schema); config that is no JSON it does not. It fails the test
// when schema does not compile.
func SchemaAccepts(t testing.TB, schema []byte, config string) bool {
	t.Helper()
	s := mapping.NewSchema("config.schema.json", schema)
	if err := s.Compile(); err != nil {
		t.Fatal(err)
	}
	var v any
	return s.Decode([]byte(config), &v) == nil
}

// KeepsPrevious checks that a Configure of a, whose configuration in force
// cur holds, with the configuration bad fails and leaves the configuration
// in force as it was.
func KeepsPrevious[P any](t testing.TB, a sdk.Adapter, cur *sdk.Current[P], partner string, bad []byte) {
	t.Helper()
	before := cur.Load()
	if err := a.Configure(context.Background(), partner, bad); err == nil {
		t.Fatalf("Configure(%s) succeeded", bad)
	}
	if cur.Load() != before {
		t.Error("a failed Configure replaced the configuration")
	}
}

// Transport is what CheckTransport checks of an adapter behind a
// transport.
type Transport struct {
	// Name, Schema and Capabilities are what Describe must say: its name,
	// its configuration schema, and capabilities it must have among others.
	Name         string
	Schema       []byte
	Capabilities []string
	// Partner is the partner to configure the adapter for, unless a case
	// names another.
	Partner string
	// BadConfig, when given, is a configuration that Configure must refuse
	// with a *sdk.ConfigError at the JSON pointer BadField.
	BadConfig []byte
	BadField  string
	// New returns the adapter to call directly, unconfigured.
	New func() sdk.Adapter
	// Cases are the documents to decode both ways.
	Cases []Case
}

// Case is a document to decode with a partner's configuration.
type Case struct {
	Name    string // of the subtest
	Partner string // "": Transport.Partner
	Config  []byte
	Doc     sdk.Document
	Data    []byte
}

// CheckTransport checks hub, the adapter behind a transport (sdk.TestClient
// or StartBinary): its Describe, that it refuses tr.BadConfig, and per case
// of tr.Cases, in a subtest, that it decodes the document into records
// that satisfy the shared schema, in the chunks of a direct Decode with the
// same configuration.
func CheckTransport(t *testing.T, hub sdk.Adapter, tr Transport) {
	t.Helper()
	ctx := context.Background()
	d, err := hub.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	hasCaps := true
	for _, c := range tr.Capabilities {
		hasCaps = hasCaps && slices.Contains(d.Capabilities, c)
	}
	if d.Name != tr.Name || !hasCaps || !bytes.Equal(d.ConfigSchema, tr.Schema) {
		t.Errorf("Describe = %s %s %q, schema equal %v; want %s with %q", d.Name, d.Version, d.Capabilities, bytes.Equal(d.ConfigSchema, tr.Schema), tr.Name, tr.Capabilities)
	}
	if tr.BadConfig != nil {
		t.Run("ErrConfig", func(t *testing.T) {
			WantConfigError(t, hub.Configure(ctx, tr.Partner, tr.BadConfig), tr.BadField)
		})
	}
	for _, c := range tr.Cases {
		if c.Partner == "" {
			c.Partner = tr.Partner
		}
		t.Run(c.Name, func(t *testing.T) {
			if err := hub.Configure(ctx, c.Partner, c.Config); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			remote := &sdktest.Recorder{}
			if err := hub.Decode(ctx, c.Doc, bytes.NewReader(c.Data), remote); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			direct := Decode(t, Configure(t, tr.New(), c.Partner, c.Config), c.Doc, c.Data)
			sdktest.CheckRecords(t, remote.Records())
			a, _ := json.Marshal(remote.Chunks())
			b, _ := json.Marshal(direct.Chunks())
			if !bytes.Equal(a, b) {
				t.Errorf("chunks through the transport differ from a direct Decode")
			}
		})
	}
}
