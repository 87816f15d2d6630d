package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
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
		f.Add(sdktest.Testdata(f, gc.sample), uint8(i))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"X"}]}},{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"Y"}]}}]}`), uint8(0))
	a := mustAdapter(f, string(adaptertest.ReadConfig(f, "default")))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		doc := testDoc
		doc.OriginalName = fuzzNames[int(mode)%len(fuzzNames)]
		adaptertest.CheckDecode(t, a, doc, data, adaptertest.Rules{Codes: knownCodes, SharedLines: true})
	})
}
