package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// decodeCodes are the codes Decode may report.
var decodeCodes = map[string]bool{
	sdk.CodeEmptyDocument: true, sdk.CodeEncoding: true, sdk.CodeBinary: true, sdk.CodeSyntax: true,
	sdk.CodeDocumentRejected: true, sdk.CodeRowTooLong: true, sdk.CodeRequired: true, sdk.CodeDate: true,
	sdk.CodeValueUnknown: true, sdk.CodeFieldFormat: true, sdk.CodeDuplicateKey: true,
}

// FuzzDecode feeds arbitrary documents to Decode, with the example
// configuration and with a small one that reads a bare list: it must never
// panic or fail; every record must satisfy the shared schema and carry a
// key; records and record errors must be numbered upwards from 1, with 0
// only for the document; every error must have a known code, a UTF-8
// message and a JSON pointer as its field; a second Decode must give the
// same chunks.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"schuldhulp.json", "schuldhulp.ndjson", "broken-schuldhulp.json"} {
		f.Add(readSample(f, s), uint8(0))
	}
	f.Add([]byte(`[{"nr": "a", "naam": "Jansen", "geb": "01-02-1970"}, {"nr": 1e999}, [], "x", {"nr": "b", "naam": {"x": 1}}]`), uint8(1))
	f.Add([]byte("{\"nr\": \"a\", \"naam\": \"b\"}\n{\"nr\": \n\xff\n"), uint8(1))
	adapters := []*adapter{mustAdapter(f, exampleConfig(f)), mustAdapter(f, minimal("", formatAuto))}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		a := adapters[int(mode)%len(adapters)]
		first, second := &sdktest.Recorder{}, &sdktest.Recorder{}
		for _, w := range []*sdktest.Recorder{first, second} {
			if err := a.Decode(context.Background(), testDoc, bytes.NewReader(data), w); err != nil {
				t.Fatalf("Decode: %v", err)
			}
		}
		sdktest.CheckRecords(t, first.Records())
		last := 0
		for _, r := range first.Records() {
			if r.Line <= last || r.RecordKey == "" || !utf8.ValidString(r.RecordKey) {
				t.Errorf("record %d (after %d) has key %q", r.Line, last, r.RecordKey)
			}
			last = r.Line
		}
		for _, e := range first.Errors() {
			if !decodeCodes[e.Code] || e.Message == "" || !utf8.ValidString(e.Message) || e.Line < 0 || e.Line > last+len(first.Errors()) ||
				e.Field != "" && !strings.HasPrefix(e.Field, "/") {
				t.Errorf("bad record error %+v", e)
			}
		}
		js1, _ := json.Marshal(first.Chunks())
		js2, _ := json.Marshal(second.Chunks())
		if !bytes.Equal(js1, js2) {
			t.Error("two decodes of the same document differ")
		}
	})
}
