package sdktest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// goldenRecord and goldenOutput are the form of the golden files.
type goldenRecord struct {
	Line         int             `json:"line"`
	RecordKey    string          `json:"record_key"`
	Registration json.RawMessage `json:"registration"`
}

type goldenOutput struct {
	Records  []goldenRecord    `json:"records"`
	Errors   []sdk.RecordError `json:"errors"`
	Consents []goldenConsent   `json:"consents,omitempty"`
}

type goldenConsent struct {
	Line      int             `json:"line"`
	RecordKey string          `json:"record_key"`
	Statement json.RawMessage `json:"statement"`
}

// GoldenJSON writes what a decode gave in the form of the adapters' golden
// files: {"records": [{"line", "record_key", "registration"}, ...],
// "errors": [...]}, indented, ending in a newline.
func GoldenJSON(recs []sdk.Record, errs []sdk.RecordError) []byte {
	return goldenJSON(recs, errs, nil)
}

// GoldenChunks writes the records, record errors and consent statements of
// chunks in the form of GoldenJSON, with the consent statements, when there
// are any, in "consents": [{"line", "record_key", "statement"}, ...].
func GoldenChunks(chunks []sdk.Chunk) []byte {
	return goldenJSON(gather(chunks, func(c sdk.Chunk) []sdk.Record { return c.Records }),
		gather(chunks, func(c sdk.Chunk) []sdk.RecordError { return c.Errors }),
		gather(chunks, func(c sdk.Chunk) []sdk.Consent { return c.Consents }))
}

func goldenJSON(recs []sdk.Record, errs []sdk.RecordError, consents []sdk.Consent) []byte {
	out := goldenOutput{Records: []goldenRecord{}, Errors: errs}
	for _, r := range recs {
		out.Records = append(out.Records, goldenRecord{Line: r.Line, RecordKey: r.RecordKey, Registration: r.JSON})
	}
	if out.Errors == nil {
		out.Errors = []sdk.RecordError{}
	}
	for _, c := range consents {
		out.Consents = append(out.Consents, goldenConsent{Line: c.Line, RecordKey: c.RecordKey, Statement: c.JSON})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic("sdktest: marshal golden output: " + err.Error()) // registrations are JSON already
	}
	return append(b, '\n')
}

// Golden compares got with the golden file at path and fails the test when
// they differ. With update it first writes got to path (the -update flag
// of the adapter's tests).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run the test with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s; run the test with -update and review the diff", path)
	}
}
