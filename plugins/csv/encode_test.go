package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// encodeItems reads testdata/encode/registrations.json: registrations of
// other partners as the hub routes them, with the cases that are hard to
// write in a partner's dialect.
func encodeItems(t *testing.T) []sdk.EncodeItem {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "encode", "registrations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in []struct {
		DeliveryID   string          `json:"delivery_id"`
		Operation    sdk.Operation   `json:"operation"`
		Registration json.RawMessage `json:"registration"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	items := make([]sdk.EncodeItem, len(in))
	for i, it := range in {
		items[i] = sdk.EncodeItem{DeliveryID: it.DeliveryID, Operation: it.Operation, JSON: it.Registration}
	}
	return items
}

func encodeWith(t *testing.T, a *adapter, partner string, items []sdk.EncodeItem) ([]byte, sdk.EncodeResult) {
	t.Helper()
	var out bytes.Buffer
	res, err := a.Encode(context.Background(), sdk.EncodeRequest{Partner: partner, Items: items}, &out)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return out.Bytes(), res
}

// TestGoldenEncode writes the registrations of testdata/encode in each
// example partner's dialect and compares the files (and results) with
// testdata/golden/encode-<partner>.csv (.result.json); -update rewrites them.
func TestGoldenEncode(t *testing.T) {
	items := encodeItems(t)
	for _, partner := range partners {
		t.Run(partner, func(t *testing.T) {
			a := mustAdapter(t, partner, string(partnerConfig(t, partner)))
			file, res := encodeWith(t, a, partner, items)
			result, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			result = append(result, '\n')
			base := filepath.Join("testdata", "golden", "encode-"+partner)
			for path, got := range map[string][]byte{base + ".csv": file, base + ".result.json": result} {
				sdktest.Golden(t, path, got, *update)
			}
			// The partner reads its file back without a single error.
			w := decodeString(t, a, string(file))
			if errs := w.Errors(); len(errs) > 0 {
				t.Errorf("decoding the encoded file gives errors: %+v", errs)
			}
			if len(w.Records()) != len(res.Written) {
				t.Errorf("%d records decoded, %d written", len(w.Records()), len(res.Written))
			}
		})
	}
}

// TestEncodeDialects checks what the golden files show, value by value.
func TestEncodeDialects(t *testing.T) {
	items := encodeItems(t)
	lines := func(t *testing.T, partner string) []string {
		a := mustAdapter(t, partner, string(partnerConfig(t, partner)))
		file, _ := encodeWith(t, a, partner, items)
		if partner == "ggz-oost" {
			utf, err := charmap.Windows1252.NewDecoder().Bytes(file)
			if err != nil {
				t.Fatal(err)
			}
			file = utf
		}
		return strings.Split(strings.TrimSuffix(string(file), "\r\n"), "\r\n")
	}
	ggz := lines(t, "ggz-oost")
	opv := lines(t, "opvang-zuid")
	gem := lines(t, "gemeente-szw")
	tests := []struct {
		name string
		line string
		want string
	}{
		{"GGZHeaderInOwnOrder", ggz[0], "dossiernr;bsn;achternaam;tussenvoegsel;voorletters;voornaam;geboortedatum;geslacht;doelgroep;gemeente;processtap;regievoerder;wonen;inkomen;zorg"},
		{"GGZPrefixColumnValueTablesReversed", ggz[1], "gem-1000001;111222333;Berg;van den;A.H.;Anna Hendrika;05-03-1970;V;feitelijk dakloos;Eindhoven;uitstroom;M. Yilmaz (SZW);instabiel;stabiel;onbekend"},
		{"GGZPartialDateWithZeros", ggz[2], "gem-1000002;;Angelo;d';Y.;;00-07-1965;M;dreigend dakloos;Helmond;;A. Bakker;;;"},
		{"GGZTransliterated", ggz[3], "opv-1000003;;Sahin;;A.N.;Ayse Nur;00-00-1958;;huiselijk_geweld;'s-Hertogenbosch;aanmelding;;;;"},
		{"GGZQuotedDelimiter", ggz[5], `ggz-1000005;;Kowalski-Nowak;;;;31-12-1991;M;;Bergen (NH);;"Jansen; K. (IMW, Best)";;;`},
		{"OpvangPrefixInsideGenderCodes", opv[1], "gem-1000001,111222333,van den Berg,A.H.,Anna Hendrika,1970-03-05,2,feitelijk dakloos,Eindhoven,uitstroom,M. Yilmaz (SZW),instabiel,stabiel,onbekend"},
		{"OpvangApostropheGlued", opv[2], "gem-1000002,,d'Angelo,Y.,,1965-07-00,1,dreigend dakloos,Helmond,,A. Bakker,,,"},
		{"OpvangUTF8Kept", opv[3], "opv-1000003,,Şahin,A.N.,Ayşe Nur,1958-00-00,,huiselijk_geweld,'s-Hertogenbosch,aanmelding,,,,"},
		{"OpvangQuotedComma", opv[5], `ggz-1000005,,Kowalski-Nowak,,,1991-12-31,1,,Bergen (NH),,"Jansen; K. (IMW, Best)",,,`},
		{"GemeenteCompactDates", gem[2], "gem-1000002,,Angelo,d',Y.,,19650700,man,dreigend dakloos,Helmond,,A. Bakker,,,"},
		{"GemeenteUnknownGenderEmpty", gem[3], "opv-1000003,,Şahin,,A.N.,Ayşe Nur,19580000,,huiselijk_geweld,'s-Hertogenbosch,aanmelding,,,,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.line != tt.want {
				t.Errorf("line\n%q\nwant\n%q", tt.line, tt.want)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	a := mustAdapter(t, "ggz-oost", string(partnerConfig(t, "ggz-oost")))
	_, res := encodeWith(t, a, "ggz-oost", encodeItems(t))
	want := map[string]string{"dlv-06": sdk.CodeEncodeInvalid, "dlv-07": sdk.CodeEncodeFormat}
	if len(res.Rejected) != len(want) {
		t.Fatalf("rejected %+v", res.Rejected)
	}
	for _, e := range res.Rejected {
		if want[e.DeliveryID] != e.Code || e.Message == "" {
			t.Errorf("rejected %+v", e)
		}
		if strings.Contains(e.Message, "Kees") || strings.Contains(e.Message, "Jansen") {
			t.Errorf("message repeats personal data: %q", e.Message)
		}
	}
}

func TestEncodeQuotingOff(t *testing.T) {
	a := mustAdapter(t, "p", `{"quote": "", "columns": {"nr": "source.record_key", "naam": "client.surname"}}`)
	_, res := encodeWith(t, a, "p", []sdk.EncodeItem{
		{DeliveryID: "a", JSON: []byte(`{"source": {"record_key": "1"}, "client": {"surname": "Jansen, de"}}`)},
		{DeliveryID: "b", JSON: []byte(`{"source": {"record_key": "2"}, "client": {"surname": "\"Jansen\""}}`)},
	})
	if len(res.Rejected) != 1 || res.Rejected[0].DeliveryID != "a" || res.Rejected[0].Code != sdk.CodeEncodeFormat {
		t.Fatalf("result %+v", res)
	}
}

func TestEncodeNoHeader(t *testing.T) {
	a := mustAdapter(t, "p", `{"header": false, "skip_lines": 1, "delimiter": "|", "output": {"line_ending": "lf"},
		"columns": {"1": "source.record_key", "4": "client.surname", "2": "operation"},
		"values": {"operation": {"map": {"N": "new", "W": "change", "V": "delete"}}}}`)
	file, res := encodeWith(t, a, "p", encodeItems(t)[:4])
	want := "\n" + "gem-1000001|N||van den Berg\n" + "gem-1000002|W||d'Angelo\n" + "opv-1000003|N||Şahin\n" + "opv-1000004|V||Jansen\n"
	if string(file) != want {
		t.Fatalf("file\n%q\nwant\n%q", file, want)
	}
	if res.Written[0].Line != 2 || res.Written[3].Line != 5 {
		t.Fatalf("lines %+v", res.Written)
	}
	w := decodeString(t, a, string(file))
	if len(w.Records()) != 4 || len(w.Errors()) != 0 || !bytes.Contains(w.Records()[3].JSON, []byte(`"operation":"delete"`)) {
		t.Fatalf("read back: %d records, errors %+v", len(w.Records()), w.Errors())
	}
}

func TestEncodeOutputConfig(t *testing.T) {
	const cols = `"columns": {"nr": "source.record_key", "naam": "client.surname", "geb": "client.birth_date"}`
	tests := []struct {
		name, config, field string
	}{
		{"OK/Order", `{` + cols + `, "output": {"columns": ["NR", "geb", "naam"]}}`, "-"},
		{"ErrUnknownColumn", `{` + cols + `, "output": {"columns": ["nr", "geb", "naam", "extra"]}}`, "/output/columns/3"},
		{"ErrMissingColumn", `{` + cols + `, "output": {"columns": ["nr", "naam"]}}`, "/output/columns"},
		{"ErrTwice", `{` + cols + `, "output": {"columns": ["nr", "NR", "geb", "naam"]}}`, "/output/columns/1"},
		{"ErrDateLayoutNotRead", `{` + cols + `, "output": {"date_layout": "02-01-2006"}}`, "/output/date_layout"},
		{"ErrOrderWithoutHeader", `{"header": false, "columns": {"1": "source.record_key", "2": "client.surname"}, "output": {"columns": ["2", "1"]}}`, "/output/columns"},
		{"ErrDateTimeLayout", `{` + cols + `, "output": {"datetime_layout": "15:04"}}`, "/output/datetime_layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newAdapter().Configure(context.Background(), "p", []byte(tt.config))
			var ce *sdk.ConfigError
			switch {
			case tt.field == "-" && err != nil:
				t.Fatalf("Configure: %v", err)
			case tt.field == "-":
			case !errors.As(err, &ce) || ce.Field != tt.field:
				t.Fatalf("Configure = %v, want a ConfigError at %s", err, tt.field)
			}
		})
	}
	a := mustAdapter(t, "p", `{`+cols+`, "output": {"columns": ["NR", "geb", "naam"]}}`)
	file, _ := encodeWith(t, a, "p", encodeItems(t)[:1])
	if !strings.HasPrefix(string(file), "nr,geb,naam\r\ngem-1000001,1970-03-05,van den Berg\r\n") {
		t.Fatalf("file %q", file)
	}
}

func TestEncodeNotConfigured(t *testing.T) {
	_, err := newAdapter().Encode(context.Background(), sdk.EncodeRequest{Partner: "p"}, &bytes.Buffer{})
	if !errors.Is(err, sdk.ErrNotConfigured) {
		t.Fatalf("err = %v", err)
	}
}
