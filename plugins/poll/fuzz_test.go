package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// knownCodes are the codes Decode may report.
var knownCodes = map[string]bool{
	sdk.CodeEmptyDocument: true, sdk.CodeRequired: true, sdk.CodeDate: true, sdk.CodeValueUnknown: true,
	sdk.CodeFieldFormat: true, sdk.CodeDuplicateKey: true, sdk.CodeDocumentRejected: true, sdk.CodeSyntax: true,
}

// fuzzConfigs are the configurations the fuzz tests decode with, by mode.
var fuzzConfigs = []string{"rest", "stuf-bg"}

// FuzzDecode feeds arbitrary pages to Decode in both modes. It must never
// panic or fail, every record must satisfy the shared schema and have a
// key and an item number, every error must carry a known code and a UTF-8
// message, and a second decode must give the same chunks.
func FuzzDecode(f *testing.F) {
	for i, gc := range goldenCases {
		mode := uint8(0)
		if gc.config == "stuf-bg" {
			mode = 1
		}
		f.Add(readFile(f, gc.sample), mode+uint8(2*i))
	}
	f.Add([]byte(`{"data": [{"dossiernummer": "A", "naam": {"achternaam": "X"}}, {"dossiernummer": "A"}]}`), uint8(0))
	f.Add([]byte(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><npsLa01><antwoord><object/></antwoord></npsLa01></Body></Envelope>`), uint8(1))
	f.Setenv("GGZ_NOORD_TOKEN", testToken)
	adapters := make([]*adapter, len(fuzzConfigs))
	for i, c := range fuzzConfigs {
		adapters[i] = mustAdapter(f, readFile(f, "config/"+c+".json"))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		a := adapters[int(mode)%len(adapters)]
		first, second := decode(t, a, data), decode(t, a, data)
		sdktest.CheckRecords(t, first.Records())
		for _, r := range first.Records() {
			if r.RecordKey == "" || !utf8.ValidString(r.RecordKey) || r.Line <= 0 {
				t.Errorf("record in item %d has key %q", r.Line, r.RecordKey)
			}
		}
		for _, e := range first.Errors() {
			if !knownCodes[e.Code] || e.Message == "" || !utf8.ValidString(e.Message) || !utf8.ValidString(e.RecordKey) || e.Line < 0 {
				t.Errorf("bad record error %+v", e)
			}
		}
		js1, _ := json.Marshal(first.Chunks())
		js2, _ := json.Marshal(second.Chunks())
		if !bytes.Equal(js1, js2) {
			t.Error("two decodes of the same page differ")
		}
	})
}

// FuzzPage feeds arbitrary answers to what Poll reads of them: the next
// cursor, whether more follows and the number of items. It must never
// panic; a page that is no JSON or no npsLa01 keeps the cursor, and a
// cursor it gives is one the next poll can use.
func FuzzPage(f *testing.F) {
	for _, gc := range goldenCases {
		f.Add(readFile(f, gc.sample), "")
	}
	f.Add([]byte(`{"data": [], "meta": {"next_cursor": 12, "has_more": "true"}}`), "c1")
	f.Setenv("GGZ_NOORD_TOKEN", testToken)
	rest := mustAdapter(f, readFile(f, "config/rest.json")).plan.Load()
	f.Fuzz(func(t *testing.T, data []byte, cursor string) {
		res := readRESTPage(rest, data, cursor)
		if !json.Valid(data) && (res.Problem == nil || res.NextCursor != cursor) {
			t.Errorf("a page that is no JSON gives %+v", res)
		}
		cur, err := parseStUFCursor(cursor, defaultStUFStart)
		if err != nil {
			return
		}
		var stamps []string
		a, rerr := readStUF(context.Background(), bytes.NewReader(data), func(o *stufObject) error {
			stamps = append(stamps, normaliseTijdstip(o.leaves["/tijdstipRegistratie"]))
			return nil
		})
		if rerr != nil || a.fault != nil {
			return
		}
		r := sdk.PollResult{NextCursor: cur.String(), Items: len(stamps)}
		nextStUF(&r, a, cur, stamps, time.Time{}, time.Unix(0, 0), time.UTC)
		next, err := parseStUFCursor(r.NextCursor, defaultStUFStart)
		if err != nil || next.since < cur.since {
			t.Errorf("cursor %q after %q: %v", r.NextCursor, cursor, err)
		}
	})
}
