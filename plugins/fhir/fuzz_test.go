package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// knownCodes are the codes Decode may report.
var knownCodes = map[string]bool{
	sdk.CodeEmptyDocument: true, sdk.CodeEncoding: true, sdk.CodeBinary: true, sdk.CodeHeaderMissing: true,
	sdk.CodeRowTooLong: true, sdk.CodeRequired: true, sdk.CodeDate: true, sdk.CodeValueUnknown: true,
	sdk.CodeFieldFormat: true, sdk.CodeDuplicateKey: true, sdk.CodeDocumentRejected: true,
}

// fuzzNames are the file names FuzzDecode drops documents under: the name
// decides between JSON and NDJSON when the content does not.
var fuzzNames = []string{"export.json", "export.ndjson", "export.xml"}

// FuzzDecode feeds arbitrary documents to Decode. It must never panic or
// fail, every record must satisfy the shared schema, lines must not
// decrease, every error must carry a known code and a UTF-8 message, and a
// second decode must give the same chunks.
func FuzzDecode(f *testing.F) {
	for i, gc := range goldenCases {
		f.Add(readSample(f, gc.sample), uint8(i))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"X"}]}},{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"Y"}]}}]}`), uint8(0))
	a := mustAdapter(f, string(readConfig(f, "default")))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		name := fuzzNames[int(mode)%len(fuzzNames)]
		first, second := &chunkRecorder{}, &chunkRecorder{}
		for _, w := range []*chunkRecorder{first, second} {
			doc := testDoc
			doc.OriginalName = name
			if err := a.Decode(context.Background(), doc, bytes.NewReader(data), w); err != nil {
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
