package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Recorder is an sdk.ChunkWriter for an adapter's own tests: it keeps every
// chunk it is given. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	chunks []sdk.Chunk
}

// WriteChunk implements sdk.ChunkWriter.
func (r *Recorder) WriteChunk(_ context.Context, c sdk.Chunk) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chunks = append(r.chunks, c)
	return nil
}

// Chunks returns the chunks written so far.
func (r *Recorder) Chunks() []sdk.Chunk {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chunks
}

// Records returns the records of every chunk, in order.
func (r *Recorder) Records() []sdk.Record {
	return gather(r.Chunks(), func(c sdk.Chunk) []sdk.Record { return c.Records })
}

// Errors returns the record errors of every chunk, in order.
func (r *Recorder) Errors() []sdk.RecordError {
	return gather(r.Chunks(), func(c sdk.Chunk) []sdk.RecordError { return c.Errors })
}

// Unchanged returns the unchanged records of every chunk, in order.
func (r *Recorder) Unchanged() []sdk.Unchanged {
	return gather(r.Chunks(), func(c sdk.Chunk) []sdk.Unchanged { return c.Unchanged })
}

// Consents returns the consent statements of every chunk, in order.
func (r *Recorder) Consents() []sdk.Consent {
	return gather(r.Chunks(), func(c sdk.Chunk) []sdk.Consent { return c.Consents })
}

// gather joins part of every chunk, in order; nil when no chunk has any.
func gather[T any](chunks []sdk.Chunk, part func(sdk.Chunk) []T) []T {
	var out []T
	for _, c := range chunks {
		out = append(out, part(c)...)
	}
	return out
}

// CheckRecords fails the test for every record whose JSON does not satisfy
// the shared registration schema (schemas/registration.v1), naming the
// record's line and the schema's complaint. It fails at once when the
// schema does not compile.
func CheckRecords(t testing.TB, recs []sdk.Record) {
	t.Helper()
	problems, err := recordProblems(recs)
	if err != nil {
		t.Fatalf("compile registration schema: %v", err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// recordProblems describes every record of recs that does not satisfy the
// shared schema.
func recordProblems(recs []sdk.Record) ([]string, error) {
	v, err := registrations()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range recs {
		if _, issues, err := v.ValidateJSON(r.JSON); err != nil || len(issues) > 0 {
			out = append(out, fmt.Sprintf("line %d: record %q does not satisfy the shared schema: %v %v\n%s", r.Line, r.RecordKey, err, issues, r.JSON))
		}
	}
	return out, nil
}

// WantConfigError checks the error of a Configure: with field "-" it must
// be nil; otherwise a *sdk.ConfigError at the JSON pointer field whose
// message contains msg.
func WantConfigError(t testing.TB, err error, field, msg string) {
	t.Helper()
	if field == "-" {
		if err != nil {
			t.Fatalf("Configure: %v", err)
		}
		return
	}
	var ce *sdk.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Configure = %v, want a *sdk.ConfigError", err)
	}
	if ce.Field != field || !strings.Contains(ce.Message, msg) {
		t.Errorf("ConfigError = {%q, %q}, want field %q and a message with %q", ce.Field, ce.Message, field, msg)
	}
}

// Testdata returns the file testdata/<name> of the package under test.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// AdapterConfig reads the partner file at path and returns its
// adapter.config as JSON, the way the hub hands it to Configure. The file
// must use the adapter named adapter.
func AdapterConfig(t testing.TB, path, adapter string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read partner file: %v", err)
	}
	var doc struct {
		Adapter struct {
			Name   string         `yaml:"name"`
			Config map[string]any `yaml:"config"`
		} `yaml:"adapter"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse partner file %s: %v", path, err)
	}
	if doc.Adapter.Name != adapter {
		t.Fatalf("partner file %s uses adapter %q, not %q", path, doc.Adapter.Name, adapter)
	}
	js, err := json.Marshal(doc.Adapter.Config)
	if err != nil {
		t.Fatalf("partner file %s: adapter.config as JSON: %v", path, err)
	}
	return js
}

// ConfigWith returns the JSON configuration config with the top-level
// settings in set replaced (a nil value removes one), for a test of one
// setting.
func ConfigWith(t testing.TB, config []byte, set map[string]any) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(config, &c); err != nil {
		t.Fatalf("configuration: %v", err)
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
