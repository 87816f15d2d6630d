package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// minimal is a configuration for the decode tests: a list of records, or a
// list under records when that is set.
func minimal(records, format string) []byte {
	return fmt.Appendf(nil, `{"records": %q, "format": %q, "max_record_bytes": 512, "date_layouts": ["02-01-2006"],
		"fields": {"/nr": "source.record_key", "/naam": "client.surname", "/geb": "client.birth_date", "/bsn": "client.bsn"}}`, records, format)
}

// TestDecode covers the forms of a document and every problem the decoder
// reports itself, each with good records around it where that is possible.
func TestDecode(t *testing.T) {
	good := func(nr string) string { return `{"nr": "` + nr + `", "naam": "Jansen", "geb": "01-02-1970"}` }
	tests := []struct {
		name     string
		records  string
		format   string
		doc      string
		docName  string
		keys     []string // the records' keys, in order
		problems []string // each "line code field" and, after a '|', a part of the message
	}{
		{name: "OK/List", doc: "[" + good("a") + ",\n" + good("b") + "]", keys: []string{"a", "b"}},
		{name: "OK/ListUnder", records: "/bericht/registraties", doc: `{"kop": {"x": [1, {"y": null}]}, "bericht": {"registraties": [` + good("a") + `], "na": "x"}, "staart": true}`, keys: []string{"a"}},
		{name: "OK/OneObject", doc: "  \n" + good("a") + "\n", keys: []string{"a"}},
		{name: "OK/NDJSONByFirstLine", doc: good("a") + "\n\n" + good("b") + "\r\n" + good("c"), keys: []string{"a", "b", "c"}},
		{name: "OK/NDJSONByName", doc: good("a"), docName: "x.ndjson", keys: []string{"a"}},
		{name: "OK/NDJSONWithRecordsByName", records: "/r", doc: good("a") + "\n" + good("b"), docName: "x.jsonl", keys: []string{"a", "b"}},
		{name: "OK/ByteOrderMark", doc: "\xef\xbb\xbf[" + good("a") + "]", keys: []string{"a"}},
		{name: "OK/Scalars", doc: `[{"nr": 17, "bsn": 999993653, "naam": null, "geb": "01-02-1970"}]`, keys: []string{"17"}},
		{name: "ErrEmpty", doc: "", problems: []string{"0 DOC_EMPTY |leeg (0 bytes)"}},
		{name: "ErrBlank", doc: " \n\t ", problems: []string{"0 DOC_EMPTY |witruimte"}},
		{name: "ErrEmptyList", doc: "[ ]", problems: []string{"0 DOC_EMPTY |lijst met records is leeg"}},
		{name: "ErrUTF16", doc: "\xff\xfe[\x00]\x00", problems: []string{"0 DOC_ENCODING |UTF-16"}},
		{name: "ErrZip", doc: "PK\x03\x04rest", problems: []string{"0 DOC_BINARY |ZIP"}},
		{name: "ErrNotJSON", doc: "nr;naam\n1;Jansen\n", problems: []string{"0 DOC_SYNTAX |geen [ of {"}},
		{name: "ErrSyntaxAfterGood", doc: "[" + good("a") + ",\n  {\"nr\": \"b\" \"naam\": \"x\"}]", keys: []string{"a"},
			problems: []string{"0 DOC_SYNTAX |op regel 2, kolom 14 (byte"}},
		{name: "ErrSyntaxAtStart", doc: "[{nr: 1}]", problems: []string{"0 DOC_SYNTAX |op regel 1, kolom 3 (byte 2): een naam in een object moet tussen dubbele aanhalingstekens staan; er is niets verwerkt"}},
		{name: "ErrCut", doc: "[" + good("a") + ",\n" + good("b")[:20], keys: []string{"a"}, problems: []string{"0 DOC_SYNTAX |midden in de JSON op"}},
		{name: "ErrTextAfter", doc: "[" + good("a") + "]\n]", keys: []string{"a"}, problems: []string{"0 DOC_SYNTAX |na het JSON-document staat op regel 2, kolom 1"}},
		{name: "ErrNoRecordsList", records: "/registraties", doc: `{"bericht": [` + good("a") + `]}`, problems: []string{"0 DOC_REJECTED |geen lijst met records onder /registraties"}},
		{name: "ErrRecordsNotAList", records: "/registraties", doc: `{"registraties": ` + good("a") + `}`, problems: []string{"0 DOC_REJECTED |/registraties (records) is geen lijst"}},
		{name: "ErrListWhereObjectExpected", records: "/registraties", doc: "[" + good("a") + "]", problems: []string{"0 DOC_REJECTED |geen object"}},
		{name: "ErrRecordTooLarge", doc: "[" + good("a") + `, {"nr": "b", "naam": "` + strings.Repeat("x", 600) + `"}, ` + good("c") + "]", keys: []string{"a"},
			problems: []string{"0 ROW_TOO_LONG |groter dan 512 bytes"}},
		{name: "ErrNDJSONLineTooLong", doc: good("a") + "\n" + `{"nr": "b", "naam": "` + strings.Repeat("x", 600) + "\"}\n" + good("c"), keys: []string{"a", "c"},
			problems: []string{"2 ROW_TOO_LONG |record 2 (regel 2)"}},
		{name: "ErrNDJSONBadLine", doc: good("a") + "\n{\"nr\": \"b\",\n" + good("c"), keys: []string{"a", "c"},
			problems: []string{"2 DOC_SYNTAX |record 2 (regel 2) is geen geldige JSON"}},
		{name: "ErrNotAnObject", doc: "[" + good("a") + `, [1, 2], "x", 3, ` + good("e") + "]", keys: []string{"a", "e"},
			problems: []string{"2 FIELD_FORMAT |geen JSON-object maar een lijst", "3 FIELD_FORMAT |maar tekst", "4 FIELD_FORMAT |maar een getal"}},
		{name: "ErrInvalidUTF8", doc: "[" + good("a") + `, {"nr": "b", "naam": "Jans` + "\xff" + `n"}, ` + good("c") + "]", keys: []string{"a", "c"},
			problems: []string{"2 DOC_ENCODING |geen geldige UTF-8"}},
		{name: "ErrObjectForText", doc: `[{"nr": "a", "naam": {"eigen": "Jansen"}, "geb": ["01-02-1970"]}]`,
			problems: []string{"1 FIELD_FORMAT /geb|is een lijst", "1 FIELD_FORMAT /naam|is een object"}},
		{name: "ErrDuplicateKey", doc: "[" + good("a") + "," + good("b") + "," + good("a") + "]", keys: []string{"a", "b"},
			problems: []string{"3 RECORD_DUPLICATE /nr|in record 1"}},
		{name: "ErrFieldProblems", doc: `[{"nr": "a", "naam": "Jansen", "geb": "1970-02-01", "bsn": "12345"}, {"naam": "Jansen"}]`,
			problems: []string{"1 FIELD_FORMAT /bsn|9 cijfers", "1 FIELD_DATE /geb|verwacht dd-mm-jjjj", "2 FIELD_REQUIRED /nr|elk record moet een recordsleutel hebben"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAdapter(t, minimal(tt.records, cmpOr(tt.format, formatAuto)))
			rec := decode(t, a, cmpOr(tt.docName, "registraties.json"), []byte(tt.doc))
			var keys []string
			for _, r := range rec.Records() {
				keys = append(keys, r.RecordKey)
			}
			if strings.Join(keys, ",") != strings.Join(tt.keys, ",") {
				t.Errorf("records %q, want %q", keys, tt.keys)
			}
			errs := rec.Errors()
			if len(errs) != len(tt.problems) {
				t.Errorf("%d problems, want %d: %v", len(errs), len(tt.problems), errs)
			}
			for i, want := range tt.problems {
				if i >= len(errs) {
					break
				}
				e := errs[i]
				head, part, _ := strings.Cut(want, "|")
				if got := fmt.Sprintf("%d %s %s", e.Line, e.Code, e.Field); strings.TrimSpace(got) != strings.TrimSpace(head) || !strings.Contains(e.Message, part) {
					t.Errorf("problem %d = %q %q, want %q with %q in the message", i, got, e.Message, head, part)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestDecodeNumbersRecords checks that every record and record error of a
// list carries the record's number, also in chunks after the first.
func TestDecodeNumbersRecords(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	const n = 2*sdk.DefaultChunkRecords + 17
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		if i%100 == 50 {
			fmt.Fprintf(&b, `{"nr": "k%d", "geb": "01-02-1970"}`, i) // no surname, no BSN
			continue
		}
		fmt.Fprintf(&b, `{"nr": "k%d", "naam": "Jansen"}`, i)
	}
	b.WriteString("]")
	rec := decode(t, mustAdapter(t, minimal("", formatAuto)), "lijst.json", []byte(b.String()))
	if len(rec.Chunks()) != 3 {
		t.Errorf("%d chunks, want 3", len(rec.Chunks()))
	}
	seen := 0
	for _, r := range rec.Records() {
		if want := fmt.Sprintf("k%d", r.Line-1); r.RecordKey != want {
			t.Fatalf("record %d has key %s, want %s", r.Line, r.RecordKey, want)
		}
		seen++
	}
	for _, e := range rec.Errors() {
		if want := fmt.Sprintf("k%d", e.Line-1); e.RecordKey != want || e.Code != sdk.CodeRequired {
			t.Fatalf("error on record %d: %+v", e.Line, e)
		}
		seen++
	}
	if seen != n {
		t.Errorf("%d records and errors, want %d", seen, n)
	}
}

func TestDecodeNotConfigured(t *testing.T) {
	err := newAdapter().Decode(context.Background(), testDoc, strings.NewReader("[]"), &sdktest.Recorder{})
	if !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("Decode = %v, want sdk.ErrNotConfigured", err)
	}
}
