package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
	"github.com/ketenhub/ketenhub/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testDoc is the document description used by the tests.
var testDoc = sdk.Document{ID: "doc-1", Partner: "test", OriginalName: "export.csv", ReceivedAt: "2025-03-01T09:30:00+01:00"}

// chunkRecorder is a ChunkWriter that keeps every chunk.
type chunkRecorder struct {
	mu     sync.Mutex
	chunks []sdk.Chunk
}

func (w *chunkRecorder) WriteChunk(_ context.Context, c sdk.Chunk) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunks = append(w.chunks, c)
	return nil
}

func (w *chunkRecorder) records() []sdk.Record {
	var out []sdk.Record
	for _, c := range w.chunks {
		out = append(out, c.Records...)
	}
	return out
}

func (w *chunkRecorder) errors() []sdk.RecordError {
	var out []sdk.RecordError
	for _, c := range w.chunks {
		out = append(out, c.Errors...)
	}
	return out
}

// partnerConfig reads config/partners/<id>.yaml and returns its
// adapter.config as JSON.
func partnerConfig(t testing.TB, id string) []byte {
	t.Helper()
	return sdktest.AdapterConfig(t, filepath.Join("..", "..", "config", "partners", id+".yaml"), adapterName)
}

// mustAdapter returns an adapter configured with the JSON config.
func mustAdapter(t testing.TB, partner, config string) *adapter {
	t.Helper()
	a := newAdapter()
	if err := a.Configure(context.Background(), partner, []byte(config)); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return a
}

// decodeString decodes data and returns what the adapter wrote.
func decodeString(t testing.TB, a sdk.Adapter, data string) *chunkRecorder {
	t.Helper()
	w := &chunkRecorder{}
	if err := a.Decode(context.Background(), testDoc, strings.NewReader(data), w); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return w
}

var registrationSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	c.AssertFormat = true
	raw, err := schemas.FS.ReadFile(schemas.RegistrationV1)
	if err != nil {
		return nil, err
	}
	if err := c.AddResource(schemas.RegistrationV1, bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return c.Compile(schemas.RegistrationV1)
})

// checkRecords validates every record against the shared schema.
func checkRecords(t testing.TB, recs []sdk.Record) {
	t.Helper()
	s, err := registrationSchema()
	if err != nil {
		t.Fatalf("compile registration schema: %v", err)
	}
	for _, r := range recs {
		var v any
		if err := json.Unmarshal(r.JSON, &v); err != nil {
			t.Fatalf("line %d: record is no JSON: %v", r.Line, err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("line %d: record does not satisfy the shared schema: %v\n%s", r.Line, err, r.JSON)
		}
	}
}
