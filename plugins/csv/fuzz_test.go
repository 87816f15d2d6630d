package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// fuzzConfigs are the configurations FuzzDecode picks from: the common
// dialect, a Windows-1252 one with multi-line fields and a small record
// bound, and one without header.
var fuzzConfigs = []string{
	baseConfig,
	`{"delimiter": ";", "encoding": "windows-1252", "multiline_fields": true, "max_record_bytes": 256,
	  "columns": {"nr": "source.record_key", "naam": "client.surname", "tv": "client.surname_prefix", "vl": "client.initials",
	    "geb": "client.birth_date", "rv": {"pattern": "(?P<n>[^()]*?)\\s*(?:\\((?P<o>[^()]*)\\))?", "groups": {"n": "responsible_worker.name", "o": "responsible_worker.organisation"}},
	    "wonen": "life_domains.wonen.status", "dat": "life_domains.wonen.date"},
	  "date_layouts": ["02-01-2006", "20060102"]}`,
	`{"header": false, "quote": "'", "columns": {"1": "source.record_key", "2": "client.bsn", "3": "client.surname", "4": "registered_at", "5": "operation"}}`,
}

// knownCodes are the codes Decode may report.
var knownCodes = map[string]bool{
	sdk.CodeEmptyDocument: true, sdk.CodeEncoding: true, sdk.CodeBinary: true, sdk.CodeHeaderMissing: true,
	sdk.CodeDelimiter: true, sdk.CodeRowRagged: true, sdk.CodeQuote: true, sdk.CodeRowTooLong: true,
	sdk.CodeRequired: true, sdk.CodeDate: true, sdk.CodeValueUnknown: true, sdk.CodeFieldFormat: true,
	sdk.CodeDuplicateKey: true,
}

// FuzzDecode feeds arbitrary documents to Decode. It must never panic or
// fail, every record must satisfy the shared schema, lines must increase,
// every error must carry a known code and a UTF-8 message, and a second
// decode must give the same chunks.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(header+goodA+goodB), uint8(0))
	f.Add([]byte("nr;naam;tv;vl;geb;rv;wonen;dat\r\nK1;Berg;van den;AH;00-00-1970;M. Yilmaz (SZW);stabiel;01-02-2024\r\n"), uint8(1))
	f.Add([]byte("K1,123456782,'Jansen, Piet',2024-01-01 10:00:00,new\n"), uint8(2))
	configs := make([]*adapter, len(fuzzConfigs))
	for i, c := range fuzzConfigs {
		configs[i] = mustAdapter(f, "fuzz", c)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		a := configs[int(mode)%len(configs)]
		adaptertest.CheckDecode(t, a, testDoc, data, adaptertest.Rules{Codes: knownCodes})
	})
}
