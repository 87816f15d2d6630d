package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// baseConfig is a small configuration for the robustness tests.
const baseConfig = `{
  "columns": {
    "nr": "source.record_key",
    "bsn": "client.bsn",
    "naam": "client.surname",
    "geb": "client.birth_date",
    "gesl": "client.gender"
  },
  "date_layouts": ["02-01-2006"],
  "values": {"client.gender": {"map": {"M": "man", "V": "vrouw", "": "onbekend"}}}
}`

// withConfig returns baseConfig with the top-level settings of extra added.
func withConfig(t *testing.T, extra string) string {
	t.Helper()
	var base, add map[string]any
	if err := json.Unmarshal([]byte(baseConfig), &base); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(extra), &add); err != nil {
		t.Fatal(err)
	}
	for k, v := range add {
		base[k] = v
	}
	js, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// Personal data in the robustness inputs; no message may contain it.
const (
	header  = "nr,bsn,naam,geb,gesl\n"
	goodA   = "A1,123456782,Jansen,07-02-1940,M\n"
	goodB   = "B2,,Pietersen,19-08-1977,V\n"
	goodC   = "C3,111222333,Smit,01-01-1990,\n"
	secrets = "123456782|Jansen|07-02-1940|Pietersen|19-08-1977|111222333|Smit|Müller|31-02-1970|98765|Willemsen"
)

type wantErr struct {
	line   int
	code   string
	column int
	field  string
	key    string
}

func TestDecodeRobustness(t *testing.T) {
	tests := []struct {
		name     string
		config   string // extra settings for baseConfig
		input    string
		wantKeys []string // record keys of the records, in order
		wantErrs []wantErr
		wantMsg  string // a fragment of the first error's message
	}{
		{name: "OK", input: header + goodA + goodB + goodC, wantKeys: []string{"A1", "B2", "C3"}},
		{name: "OK/BOMStripped", input: "\xEF\xBB\xBF" + header + goodA, wantKeys: []string{"A1"}},
		{name: "OK/CRLF", input: strings.ReplaceAll(header+goodA+goodB, "\n", "\r\n"), wantKeys: []string{"A1", "B2"}},
		{name: "OK/LoneCR", input: strings.ReplaceAll(header+goodA+goodB, "\n", "\r"), wantKeys: []string{"A1", "B2"}},
		{name: "OK/NoFinalNewline", input: header + strings.TrimSuffix(goodA, "\n"), wantKeys: []string{"A1"}},
		{name: "OK/BlankLinesSkipped", input: header + "\n" + goodA + "  \n\n" + goodB, wantKeys: []string{"A1", "B2"}},
		{name: "OK/CtrlZAtEnd", input: header + goodA + "\x1a", wantKeys: []string{"A1"}},
		{name: "OK/QuotedDelimiter", input: header + "A1,123456782,\"Berg, van den\",07-02-1940,M\n", wantKeys: []string{"A1"}},
		{name: "OK/HeaderCaseAndBlanks", input: "NR , BSN,Naam,GEB,gesl\n" + goodA, wantKeys: []string{"A1"}},
		{name: "OK/ExtraColumnIgnored", input: "nr,bsn,naam,extra,geb,gesl\nA1,123456782,Jansen,x,07-02-1940,M\n", wantKeys: []string{"A1"}},
		{name: "DOC_EMPTY/NoBytes", input: "", wantErrs: []wantErr{{line: 0, code: sdk.CodeEmptyDocument}}},
		{name: "DOC_EMPTY/HeaderOnly", input: header, wantErrs: []wantErr{{line: 0, code: sdk.CodeEmptyDocument}}, wantMsg: "alleen een kopregel"},
		{name: "DOC_EMPTY/BlankLines", input: "\n \n\n", wantErrs: []wantErr{{line: 0, code: sdk.CodeEmptyDocument}}},
		{
			name: "DOC_DELIMITER/Semicolons", input: strings.ReplaceAll(header+goodA+goodB, ",", ";"),
			wantErrs: []wantErr{{line: 1, code: sdk.CodeDelimiter}}, wantMsg: "';' als scheidingsteken",
		},
		{
			name: "DOC_DELIMITER/Tabs", input: strings.ReplaceAll(header+goodA, ",", "\t"),
			wantErrs: []wantErr{{line: 1, code: sdk.CodeDelimiter}}, wantMsg: "de tab",
		},
		{
			name: "DOC_HEADER/MissingColumns", input: "nr,bsn,achternaam,geb\n" + goodA,
			wantErrs: []wantErr{{line: 1, code: sdk.CodeHeaderMissing}}, wantMsg: "'gesl', 'naam'",
		},
		{
			name: "DOC_HEADER/DoubledColumn", input: "nr,bsn,naam,geb,gesl,naam\n" + "A1,123456782,Jansen,07-02-1940,M,X\n",
			wantErrs: []wantErr{{line: 1, code: sdk.CodeHeaderMissing}}, wantMsg: "meer dan eens",
		},
		{
			name: "DOC_ENCODING/Windows1252InUTF8", input: header + goodA + "D4,,M\xfcller,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeEncoding, column: 3, field: "client.surname", key: "D4"}}, wantMsg: "Windows-1252",
		},
		{
			name: "DOC_ENCODING/UTF8InWindows1252", config: `{"encoding": "windows-1252"}`,
			input:    header + goodA + "D4,,Müller,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeEncoding, column: 3, field: "client.surname", key: "D4"}}, wantMsg: "UTF-8",
		},
		{
			name: "OK/Windows1252", config: `{"encoding": "windows-1252"}`,
			input: header + "D4,,M\xfcller,01-01-1950,M\n", wantKeys: []string{"D4"},
		},
		{
			name: "DOC_ENCODING/UndefinedWindows1252Byte", config: `{"encoding": "windows-1252"}`,
			input:    header + "D4,,M\x81ller,01-01-1950,M\n" + goodB,
			wantKeys: []string{"B2"},
			wantErrs: []wantErr{{line: 2, code: sdk.CodeEncoding, column: 3, field: "client.surname", key: "D4"}},
		},
		{
			name: "DOC_ENCODING/UTF16", input: "\xFF\xFEn\x00r\x00\n\x00",
			wantErrs: []wantErr{{line: 0, code: sdk.CodeEncoding}}, wantMsg: "UTF-16",
		},
		{
			name: "DOC_BINARY/NULBytesInOneLine", input: header + goodA + "D4,\x00\x00\x00,Jansen,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeBinary, column: 2, field: "client.bsn", key: "D4"}},
		},
		{
			name: "DOC_BINARY/Xlsx", input: "PK\x03\x04\x14\x00\x06\x00" + strings.Repeat("\x00", 100),
			wantErrs: []wantErr{{line: 0, code: sdk.CodeBinary}}, wantMsg: "xlsx",
		},
		{
			name: "DOC_BINARY/MostlyControlBytes", input: strings.Repeat("\x01\x02\x03\x00abc", 200),
			wantErrs: []wantErr{{line: 0, code: sdk.CodeBinary}},
		},
		{
			name: "ROW_COLUMNS/TooFew", input: header + goodA + "D4,,Jansen,01-01-1950\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeRowRagged, key: "D4"}}, wantMsg: "4 kolommen, de kopregel heeft er 5",
		},
		{
			name: "ROW_COLUMNS/TooMany", input: header + goodA + "D4,,Jansen,01-01-1950,M,extra\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeRowRagged, key: "D4"}},
		},
		{
			name: "ROW_QUOTE/UnclosedDoesNotSwallowTheRest", input: header + goodA + "D4,,\"Jansen,01-01-1950,M\n" + goodB + goodC,
			wantKeys: []string{"A1", "B2", "C3"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeQuote, column: 3, field: "client.surname", key: "D4"}}, wantMsg: "niet gesloten op deze regel",
		},
		{
			name: "ROW_QUOTE/TextAfterClosingQuote", input: header + goodA + "D4,,\"Jansen\"x,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeQuote, column: 3, field: "client.surname", key: "D4"}},
		},
		{
			name: "OK/MultilineField", config: `{"multiline_fields": true}`,
			input:    header + "D4,,\"Jansen\nWillemsen\",01-01-1950,M\n" + goodB,
			wantKeys: []string{"D4", "B2"},
		},
		{
			name: "ROW_QUOTE/MultilineBoundedByMaxRecordBytes", config: `{"multiline_fields": true, "max_record_bytes": 300}`,
			input:    header + goodA + "D4,,\"Jansen,01-01-1950,M\n" + strings.Repeat(goodB, 10) + goodC,
			wantKeys: []string{"A1", "B2", "C3"},
			wantErrs: append([]wantErr{{line: 3, code: sdk.CodeQuote, column: 3, field: "client.surname", key: "D4"}}, dupErrs(5, 9)...),
		},
		{
			name: "ROW_QUOTE/MultilineUnclosedAtEnd", config: `{"multiline_fields": true}`,
			input:    header + goodA + "D4,,\"Jansen,01-01-1950,M\n" + goodB + goodC,
			wantKeys: []string{"A1", "B2", "C3"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeQuote, column: 3, field: "client.surname", key: "D4"}},
		},
		{
			name: "ROW_TOO_LONG", config: `{"max_record_bytes": 1024}`,
			input:    header + goodA + "D4,,Jansen" + strings.Repeat("x", 5000) + ",01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeRowTooLong}},
		},
		{
			name: "FIELD_REQUIRED/RecordKey", input: header + goodA + ",,Jansen,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeRequired, column: 1, field: "source.record_key"}}, wantMsg: "kolom 'nr'",
		},
		{
			name: "FIELD_REQUIRED/BSNOrSurname", input: header + goodA + "D4,,,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeRequired, column: 3, field: "client.surname", key: "D4"}},
		},
		{
			name: "FIELD_DATE", input: header + goodA + "D4,,Jansen,31-02-1970,M\n" + "E5,,Jansen,1970-01-01,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{
				{line: 3, code: sdk.CodeDate, column: 4, field: "client.birth_date", key: "D4"},
				{line: 4, code: sdk.CodeDate, column: 4, field: "client.birth_date", key: "E5"},
			},
			wantMsg: "geboortedatum (veld client.birth_date, kolom 'geb') is geen geldige datum (verwacht dd-mm-jjjj)",
		},
		{
			name: "FIELD_VALUE", input: header + goodA + "D4,,Jansen,01-01-1950,X\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 3, code: sdk.CodeValueUnknown, column: 5, field: "client.gender", key: "D4"}}, wantMsg: "codes in de tabel: (leeg), M, V",
		},
		{
			name: "FIELD_FORMAT/BSN", input: header + goodA + "D4,98765,Jansen,01-01-1950,M\n" + "E5,1234567890,Jansen,01-01-1950,M\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{
				{line: 3, code: sdk.CodeFieldFormat, column: 2, field: "client.bsn", key: "D4"},
				{line: 4, code: sdk.CodeFieldFormat, column: 2, field: "client.bsn", key: "E5"},
			},
		},
		{
			name: "FIELD_FORMAT/BSNWithoutSurnameIsNotAlsoRequired", input: header + "D4,98765,,01-01-1950,M\n",
			wantErrs: []wantErr{{line: 2, code: sdk.CodeFieldFormat, column: 2, field: "client.bsn", key: "D4"}},
		},
		{
			name: "FIELD_SEVERAL/AllReported", input: header + "D4,98765,Jansen,31-02-1970,X\n" + goodB,
			wantKeys: []string{"B2"},
			wantErrs: []wantErr{
				{line: 2, code: sdk.CodeFieldFormat, column: 2, field: "client.bsn", key: "D4"},
				{line: 2, code: sdk.CodeDate, column: 4, field: "client.birth_date", key: "D4"},
				{line: 2, code: sdk.CodeValueUnknown, column: 5, field: "client.gender", key: "D4"},
			},
		},
		{
			name: "RECORD_DUPLICATE", input: header + goodA + goodB + strings.Replace(goodC, "C3", "A1", 1),
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 4, code: sdk.CodeDuplicateKey, column: 1, field: "source.record_key", key: "A1"}}, wantMsg: "op regel 2",
		},
		{
			name: "OK/NoHeader", config: `{"header": false, "values": {}, "columns": {"1": "source.record_key", "3": "client.surname", "4": "client.birth_date"}}`,
			input: goodA + goodB, wantKeys: []string{"A1", "B2"},
		},
		{
			name: "ROW_COLUMNS/NoHeader", config: `{"header": false, "values": {}, "columns": {"1": "source.record_key", "3": "client.surname"}}`,
			input:    goodA + "D4,,Jansen\n" + goodB,
			wantKeys: []string{"A1", "B2"},
			wantErrs: []wantErr{{line: 2, code: sdk.CodeRowRagged, key: "D4"}}, wantMsg: "de eerste regel had er 5",
		},
		{
			name: "DOC_DELIMITER/NoHeader", config: `{"header": false, "values": {}, "columns": {"1": "source.record_key", "3": "client.surname"}}`,
			input:    strings.ReplaceAll(goodA+goodB, ",", ";"),
			wantErrs: []wantErr{{line: 1, code: sdk.CodeDelimiter}},
		},
		{
			name: "OK/SkipLines", config: `{"skip_lines": 2}`,
			input: "Export GGZ\nAangemaakt op maandag\n" + header + goodA, wantKeys: []string{"A1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig
			if tt.config != "" {
				cfg = withConfig(t, tt.config)
			}
			w := decodeString(t, mustAdapter(t, "test", cfg), tt.input)
			recs, errs := w.Records(), w.Errors()
			sdktest.CheckRecords(t, recs)
			var keys []string
			for _, r := range recs {
				keys = append(keys, r.RecordKey)
			}
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("record keys = %v, want %v", keys, tt.wantKeys)
			}
			var got []wantErr
			for _, e := range errs {
				got = append(got, wantErr{line: e.Line, code: e.Code, column: e.Column, field: e.Field, key: e.RecordKey})
			}
			if !slices.Equal(got, tt.wantErrs) {
				t.Errorf("errors = %+v\nwant     %+v\nmessages: %v", got, tt.wantErrs, messages(errs))
			}
			if tt.wantMsg != "" && (len(errs) == 0 || !strings.Contains(errs[0].Message, tt.wantMsg)) {
				t.Errorf("first message %q does not contain %q", messages(errs), tt.wantMsg)
			}
			checkMessages(t, errs)
		})
	}
}

// dupErrs are the duplicate-key errors of n repeated goodB rows from line
// first on.
func dupErrs(first, n int) []wantErr {
	out := make([]wantErr, n)
	for i := range out {
		out[i] = wantErr{line: first + i, code: sdk.CodeDuplicateKey, column: 1, field: "source.record_key", key: "B2"}
	}
	return out
}

func messages(errs []sdk.RecordError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Message)
	}
	return out
}

// checkMessages checks that every message is there and holds no personal
// data from the test inputs.
func checkMessages(t *testing.T, errs []sdk.RecordError) {
	t.Helper()
	for _, e := range errs {
		if e.Message == "" {
			t.Errorf("error %+v has no message", e)
		}
		for _, s := range strings.Split(secrets, "|") {
			if strings.Contains(e.Message, s) {
				t.Errorf("message %q contains personal data %q", e.Message, s)
			}
		}
	}
}

func TestDecodeNormalisation(t *testing.T) {
	cfg := `{
	  "delimiter": ";",
	  "columns": {
	    "nr": "source.record_key", "bsn": "client.bsn", "naam": "client.surname",
	    "vl": "client.initials", "vn": "client.first_names", "geb": "client.birth_date",
	    "stap": "process_step", "doelgroep": "target_group", "mutatie": "operation",
	    "gewijzigd": "registered_at", "wonen": "life_domains.wonen.status", "wonen_datum": "life_domains.wonen.date",
	    "diagnose": "sensitive.diagnosis_present", "dsm": "sensitive.diagnosis_classification",
	    "regie": {"pattern": "(?P<naam>[^()]*?)\\s*(?:\\((?P<org>[^()]*)\\))?", "groups": {"naam": "responsible_worker.name", "org": "responsible_worker.organisation"}}
	  },
	  "date_layouts": ["02-01-2006", "20060102"],
	  "initials_from_first_names": true,
	  "null_values": ["NULL"],
	  "values": {
	    "process_step": {"map": {"uitstroom": "uitstroom_nazorg"}},
	    "operation": {"map": {"N": "new", "W": "change", "V": "delete"}},
	    "life_domains.*.status": {"map": {"S": "stabiel", "I": "instabiel", "?": "onbekend"}}
	  }
	}`
	head := "nr;bsn;naam;vl;vn;geb;stap;doelgroep;mutatie;gewijzigd;wonen;wonen_datum;diagnose;dsm;regie\n"
	tests := []struct {
		name, row string
		want      sdk.Registration
	}{
		{
			name: "OK/Everything",
			row:  "K1; 1234.56.782 ;Berg, van den;ah;;00-00-1970;Uitstroom;Dreigend Dakloos;w;2024-05-01 10:00:00;s;15-04-2024;ja;F20.0;M. Yilmaz (SZW)",
			want: sdk.Registration{
				SchemaVersion: "1", Source: sdk.Source{Partner: "test", RecordKey: "K1"}, Operation: sdk.OpChange,
				RegisteredAt:      "2024-05-01T10:00:00+02:00",
				Client:            sdk.Client{BSN: "123456782", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.H.", BirthDate: "1970"},
				ResponsibleWorker: &sdk.ResponsibleWorker{Name: "M. Yilmaz", Organisation: "SZW"},
				ProcessStep:       "uitstroom_nazorg", TargetGroup: "dreigend_dakloos",
				LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "stabiel", Date: "2024-04-15"}},
				Sensitive:   &sdk.Sensitive{DiagnosisPresent: ptr(true), DiagnosisClassification: "F20.0"},
			},
		},
		{
			name: "OK/Defaults",
			row:  "K2;12345678;d'Angelo;;Karel Cornelis;19700300;;;;;;;;;NULL",
			want: sdk.Registration{
				SchemaVersion: "1", Source: sdk.Source{Partner: "test", RecordKey: "K2"}, Operation: sdk.OpNew,
				RegisteredAt: testDoc.ReceivedAt,
				Client:       sdk.Client{BSN: "012345678", Surname: "Angelo", SurnamePrefix: "d'", Initials: "K.C.", FirstNames: "Karel Cornelis", BirthDate: "1970-03"},
			},
		},
		{
			name: "OK/WorkerWithoutOrganisation",
			row:  "K3;000000000;Jansen;;;;;;;;;;nee;;K. Jansen",
			want: sdk.Registration{
				SchemaVersion: "1", Source: sdk.Source{Partner: "test", RecordKey: "K3"}, Operation: sdk.OpNew,
				RegisteredAt:      testDoc.ReceivedAt,
				Client:            sdk.Client{Surname: "Jansen"},
				ResponsibleWorker: &sdk.ResponsibleWorker{Name: "K. Jansen"},
				Sensitive:         &sdk.Sensitive{DiagnosisPresent: ptr(false)},
			},
		},
	}
	a := mustAdapter(t, "test", cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := decodeString(t, a, head+tt.row+"\n")
			if errs := w.Errors(); len(errs) > 0 {
				t.Fatalf("errors: %+v", errs)
			}
			recs := w.Records()
			sdktest.CheckRecords(t, recs)
			want, err := json.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || string(recs[0].JSON) != string(want) {
				t.Errorf("got  %s\nwant %s", recs[0].JSON, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestValueTables(t *testing.T) {
	tests := []struct {
		name, table, in string
		want            string // the gender in the record; "ERR" for a FIELD_VALUE error
	}{
		{"OK/Exact", `{"map": {"M": "man"}}`, "M", "man"},
		{"OK/CaseInsensitive", `{"map": {"Dhr": "man", "Mevr": "vrouw"}}`, "MEVR", "vrouw"},
		{"OK/Blanks", `{"map": {"Dhr": "man"}}`, "  dhr ", "man"},
		{"OK/EmptyCode", `{"map": {"": "onbekend"}}`, "", "onbekend"},
		{"OK/EmptyWithoutCodeStaysEmpty", `{"map": {"M": "man"}}`, "", ""},
		{"OK/CanonicalValueWithoutCode", `{"map": {"M": "man"}}`, "Vrouw", "vrouw"},
		{"ErrUnknownByDefault", `{"map": {"M": "man"}}`, "X", "ERR"},
		{"OK/UnknownEmpty", `{"map": {"M": "man"}, "unknown": "empty"}`, "X", ""},
		{"OK/UnknownDefault", `{"map": {"M": "man"}, "unknown": "default", "default": "onbekend"}`, "X", "onbekend"},
		{"OK/NumericCodes", `{"map": {"1": "man", "2": "vrouw"}}`, "2", "vrouw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := `{"columns": {"nr": "source.record_key", "naam": "client.surname", "gesl": "client.gender"},
				"values": {"client.gender": ` + tt.table + `}}`
			w := decodeString(t, mustAdapter(t, "test", cfg), "nr,naam,gesl\nK1,Jansen,"+tt.in+"\n")
			if tt.want == "ERR" {
				if errs := w.Errors(); len(errs) != 1 || errs[0].Code != sdk.CodeValueUnknown {
					t.Errorf("errors = %+v, want one FIELD_VALUE", errs)
				}
				return
			}
			recs := w.Records()
			if len(recs) != 1 {
				t.Fatalf("records = %d, errors %+v", len(recs), w.Errors())
			}
			var reg sdk.Registration
			if err := json.Unmarshal(recs[0].JSON, &reg); err != nil {
				t.Fatal(err)
			}
			if reg.Client.Gender != tt.want {
				t.Errorf("gender = %q, want %q", reg.Client.Gender, tt.want)
			}
		})
	}
}

func TestValueTableKeepsFreeText(t *testing.T) {
	cfg := `{"columns": {"nr": "source.record_key", "naam": "client.surname", "gem": "municipality"},
		"values": {"municipality": {"map": {"GM0772": "Eindhoven"}, "unknown": "keep"}}}`
	w := decodeString(t, mustAdapter(t, "test", cfg), "nr,naam,gem\nK1,Jansen,gm0772\nK2,Jansen,Best\n")
	var got []string
	for _, r := range w.Records() {
		var reg sdk.Registration
		if err := json.Unmarshal(r.JSON, &reg); err != nil {
			t.Fatal(err)
		}
		got = append(got, reg.Municipality)
	}
	if want := []string{"Eindhoven", "Best"}; !slices.Equal(got, want) {
		t.Errorf("municipalities = %v, want %v", got, want)
	}
}

func TestDecodeChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := range 1234 {
		fmt.Fprintf(&b, "K%d,,Jansen,01-01-1950,M\n", i)
		if i%100 == 0 {
			fmt.Fprintf(&b, "K%d,,Jansen,31-02-1950,M\n", i+100000)
		}
	}
	a := mustAdapter(t, "test", baseConfig)
	first, second := decodeString(t, a, b.String()), decodeString(t, a, b.String())
	js1, _ := json.Marshal(first.Chunks())
	js2, _ := json.Marshal(second.Chunks())
	if string(js1) != string(js2) {
		t.Error("two decodes of the same document gave different chunks")
	}
	for i, c := range first.Chunks() {
		if c.Seq != i {
			t.Errorf("chunk %d has Seq %d", i, c.Seq)
		}
		if n := len(c.Records) + len(c.Errors); n != sdk.DefaultChunkRecords && i != len(first.Chunks())-1 {
			t.Errorf("chunk %d holds %d entries, want %d", i, n, sdk.DefaultChunkRecords)
		}
	}
	if got := len(first.Records()); got != 1234 {
		t.Errorf("records = %d, want 1234", got)
	}
	if got := len(first.Errors()); got != 13 {
		t.Errorf("errors = %d, want 13", got)
	}
}

func TestDecodeNotConfigured(t *testing.T) {
	err := newAdapter().Decode(context.Background(), testDoc, strings.NewReader(header), &sdktest.Recorder{})
	if !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("Decode before Configure = %v, want sdk.ErrNotConfigured", err)
	}
}

func TestDecodeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := mustAdapter(t, "test", baseConfig)
	err := a.Decode(ctx, testDoc, strings.NewReader(header+goodA), &sdktest.Recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Decode with a cancelled context = %v, want context.Canceled", err)
	}
}

// failingReader fails after its data.
type failingReader struct{ data string }

var errDisk = errors.New("disk on fire")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errDisk
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	a := mustAdapter(t, "test", baseConfig)
	err := a.Decode(context.Background(), testDoc, &failingReader{data: header + goodA}, &sdktest.Recorder{})
	if !errors.Is(err, errDisk) {
		t.Errorf("Decode = %v, want the read error", err)
	}
}

// TestDecodeConcurrent decodes documents at the same time on one adapter
// while it is configured again, for the race detector.
func TestDecodeConcurrent(t *testing.T) {
	a := mustAdapter(t, "test", baseConfig)
	input := header + goodA + goodB + goodC
	done := make(chan *sdktest.Recorder)
	for range 4 {
		go func() {
			w := &sdktest.Recorder{}
			if err := a.Decode(context.Background(), testDoc, strings.NewReader(input), w); err != nil {
				t.Error(err)
			}
			done <- w
		}()
	}
	if err := a.Configure(context.Background(), "test", []byte(baseConfig)); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if w := <-done; len(w.Records()) != 3 {
			t.Errorf("records = %d, want 3", len(w.Records()))
		}
	}
}
