package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// knownCodes are the codes Decode may report.
var knownCodes = map[string]bool{
	sdk.CodeEmptyDocument: true, sdk.CodeEncoding: true, sdk.CodeBinary: true, sdk.CodeHeaderMissing: true,
	sdk.CodeRowRagged: true, sdk.CodeRowTooLong: true, sdk.CodeRequired: true, sdk.CodeDate: true,
	sdk.CodeValueUnknown: true, sdk.CodeFieldFormat: true, sdk.CodeDuplicateKey: true, sdk.CodeDocumentRejected: true,
}

// FuzzDecode feeds arbitrary documents to Decode, with the configuration of
// a gemeente and of an aanbieder (which reads the fixed-width format as
// UTF-8). It must never panic or fail, every record must satisfy the shared
// schema, lines must increase, every error must carry a known code and a
// UTF-8 message, and a second decode must give the same chunks.
func FuzzDecode(f *testing.F) {
	for _, gc := range goldenCases {
		data, err := os.ReadFile(filepath.Join("testdata", gc.sample))
		if err != nil {
			f.Fatal(err)
		}
		mode := uint8(0)
		if gc.config != "gemeente-diemen" {
			mode = 1
		}
		f.Add(data, mode)
	}
	configs := []*adapter{
		mustAdapter(f, string(readConfig(f, "gemeente-diemen"))),
		mustAdapter(f, string(readConfig(f, "aanbieder-thuishulp"))),
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		a := configs[int(mode)%len(configs)]
		first, second := &chunkRecorder{}, &chunkRecorder{}
		for _, w := range []*chunkRecorder{first, second} {
			if err := a.Decode(context.Background(), testDoc, bytes.NewReader(data), w); err != nil {
				t.Fatalf("Decode: %v", err)
			}
		}
		checkRecords(t, first.records())
		last := 0
		for _, r := range first.records() {
			if r.Line < last || r.Line <= 0 {
				t.Errorf("record on line %d after line %d", r.Line, last)
			}
			last = r.Line
			if r.RecordKey == "" || !utf8.ValidString(r.RecordKey) {
				t.Errorf("record on line %d has key %q", r.Line, r.RecordKey)
			}
		}
		for _, e := range first.errors() {
			if !knownCodes[e.Code] || e.Message == "" || !utf8.ValidString(e.Message) || !utf8.ValidString(e.RecordKey) || !utf8.ValidString(e.Field) || e.Line < 0 {
				t.Errorf("bad record error %+v", e)
			}
		}
		js1, _ := json.Marshal(first.chunks)
		js2, _ := json.Marshal(second.chunks)
		if !bytes.Equal(js1, js2) {
			t.Error("two decodes of the same document differ")
		}
	})
}
