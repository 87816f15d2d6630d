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
		data := sdktest.Testdata(f, gc.sample)
		mode := uint8(0)
		if gc.config != "gemeente-diemen" {
			mode = 1
		}
		f.Add(data, mode)
	}
	configs := []*adapter{
		mustAdapter(f, string(adaptertest.ReadConfig(f, "gemeente-diemen"))),
		mustAdapter(f, string(adaptertest.ReadConfig(f, "aanbieder-thuishulp"))),
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		a := configs[int(mode)%len(configs)]
		adaptertest.CheckDecode(t, a, testDoc, data, adaptertest.Rules{Codes: knownCodes, SharedLines: true})
	})
}
