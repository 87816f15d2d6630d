package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// encodeRegistrations are the registrations of the encode tests: every
// shape of name, date and gender the Patient mapping knows, in the form
// the hub hands them to Encode (after the policy filter: the sensitive
// fields are never there, the life domains are not carried).
var encodeRegistrations = []sdk.Registration{
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "ggz-9000001"}, Operation: sdk.OpNew, RegisteredAt: "2025-03-01T09:30:00+01:00",
		Client:            sdk.Client{BSN: "111222333", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.H.", FirstNames: "Anna", BirthDate: "1970-03-05", Gender: "vrouw"},
		ResponsibleWorker: &sdk.ResponsibleWorker{Name: "K. Jansen", Organisation: "IMW", Role: "regievoerder"},
		ProcessStep:       "triage", TargetGroup: "feitelijk_dakloos", Municipality: "Eindhoven",
		LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "instabiel"}}},
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "Patient/nl-core-Patient-01"}, Operation: sdk.OpChange, RegisteredAt: "2025-03-01T08:30:00Z",
		Client: sdk.Client{BSN: "111222333", Surname: "Putten", SurnamePrefix: "van", PartnerSurname: "Giessen", PartnerSurnamePrefix: "van der",
			FirstNames: "Johanna Petronella Maria", Initials: "J.P.M.", BirthDate: "1934-04-28", Gender: "vrouw"}},
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "ggz 9000002/b"}, Operation: sdk.OpDelete, RegisteredAt: "2025-03-01T09:30:00+01:00",
		Client: sdk.Client{Surname: "Angelo", SurnamePrefix: "d'", Initials: "Th.", BirthDate: "1960-01", Gender: "onbekend"}, ProcessStep: "uitstroom_nazorg"},
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001"}, Operation: sdk.OpNew,
		Client: sdk.Client{BSN: "999990068", BirthDate: "1962", Gender: "man"}},
}

func encodeItemsOf(t testing.TB, regs []sdk.Registration) []sdk.EncodeItem {
	t.Helper()
	var items []sdk.EncodeItem
	for i, r := range regs {
		r.SchemaVersion = sdk.SchemaVersion
		items = append(items, sdk.EncodeItem{DeliveryID: fmt.Sprintf("dlv_%032x", i+1), Operation: r.Operation, JSON: r.AppendJSON(nil)})
	}
	return items
}

// encodeWith encodes items with an adapter configured with config and
// fails the test on an error.
func encodeWith(t testing.TB, a *adapter, items []sdk.EncodeItem) ([]byte, sdk.EncodeResult) {
	t.Helper()
	var out bytes.Buffer
	res, err := a.Encode(context.Background(), sdk.EncodeRequest{Partner: testPartner, Items: items}, &out)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return out.Bytes(), res
}

var encodeForms = []struct{ name, config string }{
	{"transaction", `{}`},
	{"collection", `{"output": {"format": "collection", "base": "https://keten.example.nl/fhir"}}`},
	{"ndjson", `{"output": {"format": "ndjson"}}`},
	{"patient-only", `{"output": {"format": "collection", "episode_of_care": false}, "initials_from_given": false}`},
}

// TestEncodeGolden writes the registrations in every form, compares the
// files with the golden files and reads them back through the adapter:
// every registration comes back, on the line Encode says, with the same
// client.
func TestEncodeGolden(t *testing.T) {
	items := encodeItemsOf(t, encodeRegistrations)
	for _, f := range encodeForms {
		t.Run(f.name, func(t *testing.T) {
			a := mustAdapter(t, f.config)
			file, res := encodeWith(t, a, items)
			if len(res.Rejected) != 0 || len(res.Written) != len(items) {
				t.Fatalf("written %d, rejected %+v", len(res.Written), res.Rejected)
			}
			golden := filepath.Join("testdata", "golden", "encode-"+f.name+res.Suffix)
			sdktest.Golden(t, golden, file, *update)
			w := decodeNamed(t, a, "levering"+res.Suffix, string(file))
			if errs := w.Errors(); len(errs) > 0 {
				t.Fatalf("the encoded file decodes with errors: %+v", errs)
			}
			recs := w.Records()
			sdktest.CheckRecords(t, recs)
			if len(recs) != len(encodeRegistrations) {
				t.Fatalf("%d records back, want %d", len(recs), len(encodeRegistrations))
			}
			for i, rec := range recs {
				if rec.Line != res.Written[i].Line {
					t.Errorf("record %d on line %d, Encode said %d", i, rec.Line, res.Written[i].Line)
				}
				var got sdk.Registration
				if err := json.Unmarshal(rec.JSON, &got); err != nil {
					t.Fatal(err)
				}
				want := encodeRegistrations[i]
				if got.Client != want.Client {
					t.Errorf("record %d: client %+v back, want %+v", i, got.Client, want.Client)
				}
				wantOp := want.Operation
				if f.name != "transaction" && wantOp == sdk.OpChange {
					wantOp = sdk.OpNew // a collection or NDJSON has no requests: the sidecar tells
				}
				if got.Operation != wantOp {
					t.Errorf("record %d: operation %s back, want %s", i, got.Operation, wantOp)
				}
				if want.RegisteredAt != "" && got.RegisteredAt != want.RegisteredAt {
					t.Errorf("record %d: registered_at %s back, want %s", i, got.RegisteredAt, want.RegisteredAt)
				}
			}
		})
	}
}

// TestEncodeKeys: the record key comes back as the partner's
// configuration reads it: Patient/<id> and urn keys as they are (a urn
// not with a conditional update), other keys as Patient/<key> when the key
// is a FHIR id, else as Patient/kh-<hash>.
func TestEncodeKeys(t *testing.T) {
	tests := []struct {
		form, key string
		op        sdk.Operation
		want      string
	}{
		{"transaction", "Patient/abc-1", sdk.OpChange, "Patient/abc-1"},
		{"transaction", "ggz-9000001", sdk.OpNew, "Patient/ggz-9000001"},
		{"transaction", "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001", sdk.OpNew, "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001"},
		{"transaction", "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001", sdk.OpChange, "Patient/kh-"},
		{"collection", "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001", sdk.OpChange, "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001"},
		{"ndjson", "urn:oid:2.16.840.1", sdk.OpNew, "Patient/kh-"},
		{"ndjson", "0384-T1001", sdk.OpNew, "Patient/0384-T1001"},
		{"collection", "dossier 12/a", sdk.OpNew, "Patient/kh-"},
	}
	for _, tt := range tests {
		t.Run(tt.form+"/"+tt.key+"/"+string(tt.op), func(t *testing.T) {
			a := mustAdapter(t, `{"output": {"format": "`+tt.form+`"}}`)
			reg := sdk.Registration{Source: sdk.Source{Partner: "ggz-oost", RecordKey: tt.key}, Operation: tt.op, Client: sdk.Client{Surname: "Visser"}}
			file, res := encodeWith(t, a, encodeItemsOf(t, []sdk.Registration{reg}))
			w := decodeNamed(t, a, "levering"+res.Suffix, string(file))
			recs := w.Records()
			if len(recs) != 1 || len(w.Errors()) != 0 {
				t.Fatalf("records %+v, errors %+v", recs, w.Errors())
			}
			if tt.want == "Patient/kh-" && (!strings.HasPrefix(recs[0].RecordKey, tt.want) || !fhirID.MatchString(strings.TrimPrefix(recs[0].RecordKey, "Patient/"))) ||
				tt.want != "Patient/kh-" && recs[0].RecordKey != tt.want {
				t.Errorf("record key %q back, want %q", recs[0].RecordKey, tt.want)
			}
		})
	}
}

// TestEncodeSameRecordTwice: a second delivery of a record in the same
// batch (a change after the new) ends the file; it comes first in the
// next.
func TestEncodeSameRecordTwice(t *testing.T) {
	a := mustAdapter(t, `{}`)
	regs := []sdk.Registration{encodeRegistrations[0], encodeRegistrations[1], encodeRegistrations[0], encodeRegistrations[3]}
	regs[2].Operation = sdk.OpChange
	items := encodeItemsOf(t, regs)
	_, res := encodeWith(t, a, items)
	left := res.Left(sdk.EncodeRequest{Items: items})
	if len(res.Written) != 2 || len(left) != 2 || left[0].DeliveryID != items[2].DeliveryID {
		t.Fatalf("written %+v, left %d", res.Written, len(left))
	}
}

// TestEncodeRejects: what a Patient cannot hold is rejected with a code
// and a field, never with the value; the items around it are written.
func TestEncodeRejects(t *testing.T) {
	ok := encodeRegistrations[0]
	client := func(f func(*sdk.Client)) []byte {
		r := ok
		f(&r.Client)
		return r.AppendJSON(nil)
	}
	tests := []struct {
		name  string
		json  []byte
		code  string
		field string
	}{
		{"ErrNoJSON", []byte(`{"source":`), sdk.CodeEncodeInvalid, ""},
		{"ErrNoKey", []byte(`{"source": {"partner": "ggz-oost"}, "client": {"surname": "X"}}`), sdk.CodeEncodeInvalid, "source.record_key"},
		{"ErrNoSource", []byte(`{"source": {"record_key": "k"}, "client": {"surname": "X"}}`), sdk.CodeEncodeInvalid, "source.partner"},
		{"ErrOperation", []byte(`{"source": {"partner": "p", "record_key": "k"}, "operation": "explode", "client": {"surname": "X"}}`), sdk.CodeEncodeInvalid, "operation"},
		{"ErrKeyControl", []byte(`{"source": {"partner": "p", "record_key": "k\u0001"}, "operation": "new", "client": {"surname": "X"}}`), sdk.CodeEncodeFormat, "source.record_key"},
		{"ErrBSN", client(func(c *sdk.Client) { c.BSN = "12345" }), sdk.CodeEncodeFormat, "client.bsn"},
		{"ErrNoIdentity", client(func(c *sdk.Client) { c.BSN, c.Surname = "", "" }), sdk.CodeEncodeInvalid, "client.surname"},
		{"ErrLongName", client(func(c *sdk.Client) { c.Surname = strings.Repeat("x", 201) }), sdk.CodeEncodeFormat, "client.surname"},
		{"ErrLongPrefix", client(func(c *sdk.Client) { c.SurnamePrefix = strings.Repeat("v", 21) }), sdk.CodeEncodeFormat, "client.surname_prefix"},
		{"ErrInitials", client(func(c *sdk.Client) { c.Initials = "A.1." }), sdk.CodeEncodeFormat, "client.initials"},
		{"ErrBirthDate", client(func(c *sdk.Client) { c.BirthDate = "1970-02-31" }), sdk.CodeEncodeFormat, "client.birth_date"},
		{"ErrGender", client(func(c *sdk.Client) { c.Gender = "x" }), sdk.CodeEncodeFormat, "client.gender"},
	}
	a := mustAdapter(t, `{}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := encodeItemsOf(t, []sdk.Registration{ok, encodeRegistrations[1]})
			items = []sdk.EncodeItem{items[0], {DeliveryID: "dlv_bad", Operation: sdk.OpNew, JSON: tt.json}, items[1]}
			if tt.name == "ErrOperation" {
				items[1].Operation = ""
			}
			_, res := encodeWith(t, a, items)
			if len(res.Written) != 2 || len(res.Rejected) != 1 {
				t.Fatalf("written %+v, rejected %+v", res.Written, res.Rejected)
			}
			r := res.Rejected[0]
			if r.DeliveryID != "dlv_bad" || r.Code != tt.code || r.Field != tt.field || r.Message == "" {
				t.Errorf("rejected %+v, want code %s field %s", r, tt.code, tt.field)
			}
			if strings.Contains(r.Message, "xxxxx") || strings.Contains(r.Message, "12345") {
				t.Errorf("the message holds the value: %s", r.Message)
			}
		})
	}
}

// TestEncodeErrors: Encode fails as a whole only without configuration,
// for another partner or with an ended context.
func TestEncodeErrors(t *testing.T) {
	items := encodeItemsOf(t, encodeRegistrations)
	if _, err := newAdapter().Encode(context.Background(), sdk.EncodeRequest{Partner: testPartner, Items: items}, io.Discard); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	a := mustAdapter(t, `{}`)
	if _, err := a.Encode(context.Background(), sdk.EncodeRequest{Partner: "opvang-zuid", Items: items}, io.Discard); !errors.Is(err, sdk.ErrOtherPartner) {
		t.Errorf("another partner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Encode(ctx, sdk.EncodeRequest{Partner: testPartner, Items: items}, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestEncodeOutputConfig: the output settings are checked, against the
// format the partner's own files are read in too.
func TestEncodeOutputConfig(t *testing.T) {
	for _, tt := range []struct{ config, field string }{
		{`{"output": {"format": "document"}}`, "/output/format"},
		{`{"output": {"base": "ftp://x"}}`, "/output/base"},
		{`{"output": {"base": "https://ketenhub.nl/fhir/"}}`, "/output/base"},
		{`{"output": {"base": "https://ketenhub.nl/fhir?x=1"}}`, "/output/base"},
		{`{"output": {"format": "ndjson"}, "format": "json"}`, "/output/format"},
		{`{"output": {"format": "collection"}, "format": "ndjson"}`, "/output/format"},
		{`{"output": {}, "format": "xml"}`, "/output"},
		{`{"output": {"colums": []}}`, "/output/colums"},
		{`{"output": []}`, "/output"},
		{`{"output": {"episode_of_care": "ja"}}`, "/output/episode_of_care"},
	} {
		err := newAdapter().Configure(context.Background(), testPartner, []byte(tt.config))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("Configure(%s) = %v, want a ConfigError on %s", tt.config, err, tt.field)
		}
	}
}

// TestEncodeNLCoreShape validates a written Patient structurally against
// the Nictiz example nl-core-Patient-01.xml (a byte-for-byte copy of
// /work/shared/data/fhir): every element it writes is an element the
// example has, at the same place, and every extension is one the example
// uses, except the elements the example has no value for (id, meta.source,
// meta.lastUpdated, active).
func TestEncodeNLCoreShape(t *testing.T) {
	sample, sampleExt := xmlPaths(t, sdktest.Testdata(t, "nl-core-Patient-01.xml"))
	allowed := map[string]bool{"Patient.id": true, "Patient.meta.source": true, "Patient.meta.lastUpdated": true, "Patient.active": true}
	for _, f := range encodeForms {
		a := mustAdapter(t, f.config)
		file, _ := encodeWith(t, a, encodeItemsOf(t, encodeRegistrations))
		for _, pt := range writtenResources(t, file, "Patient") {
			paths, exts := jsonPaths(pt)
			for _, p := range paths {
				if !sample[p] && !allowed[p] {
					t.Errorf("%s: the Patient has %s, which nl-core-Patient-01 has not", f.name, p)
				}
			}
			for _, u := range exts {
				if !sampleExt[u] {
					t.Errorf("%s: the Patient uses extension %s, which nl-core-Patient-01 does not", f.name, u)
				}
			}
			var ids []identifier
			_ = json.Unmarshal(pt["identifier"], &ids)
			for _, id := range ids {
				if id.System != systemBSN && !strings.HasPrefix(id.System, "https://") {
					t.Errorf("%s: identifier system %s", f.name, id.System)
				}
			}
		}
		for _, ep := range writtenResources(t, file, "EpisodeOfCare") {
			for _, req := range []string{"status", "patient", "identifier", "meta"} {
				if _, ok := ep[req]; !ok {
					t.Errorf("%s: the EpisodeOfCare has no %s", f.name, req)
				}
			}
		}
	}
}

// writtenResources returns the resources of type typ in an encoded file,
// each as its top-level members.
func writtenResources(t *testing.T, file []byte, typ string) []map[string]json.RawMessage {
	t.Helper()
	var raws []json.RawMessage
	var bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(file, &bundle); err == nil {
		for _, e := range bundle.Entry {
			raws = append(raws, e.Resource)
		}
	} else {
		for _, l := range bytes.Split(bytes.TrimSpace(file), []byte("\n")) {
			raws = append(raws, l)
		}
	}
	var out []map[string]json.RawMessage
	for _, r := range raws {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatalf("resource is no JSON object: %v", err)
		}
		if string(m["resourceType"]) == `"`+typ+`"` {
			out = append(out, m)
		}
	}
	return out
}

// jsonPaths lists the element paths of a FHIR JSON resource (Patient.name.given,
// the _given extensions as Patient.name.given.extension.…) and the
// extension URLs it uses.
func jsonPaths(res map[string]json.RawMessage) (paths, exts []string) {
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				name := strings.TrimPrefix(k, "_")
				if k == "url" {
					if u, ok := sub.(string); ok {
						exts = append(exts, u)
					}
				}
				walk(prefix+"."+name, sub)
			}
		case []any:
			for _, sub := range v {
				walk(prefix, sub)
			}
		default:
			paths = append(paths, prefix)
		}
	}
	for k, raw := range res {
		if k == "resourceType" {
			continue
		}
		var v any
		_ = json.Unmarshal(raw, &v)
		walk("Patient."+strings.TrimPrefix(k, "_"), v)
	}
	slices.Sort(paths)
	return slices.Compact(paths), exts
}

// xmlPaths lists the element paths of a FHIR XML resource whose value
// attribute, or url attribute, is set (Patient.name.given,
// Patient.name.given.extension.url) and its extension URLs.
func xmlPaths(t *testing.T, data []byte) (map[string]bool, map[string]bool) {
	t.Helper()
	paths, exts := map[string]bool{}, map[string]bool{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			p := strings.Join(stack, ".")
			for _, at := range tok.Attr {
				switch at.Name.Local {
				case "value":
					paths[p] = true
				case "url":
					paths[p+".url"] = true
					exts[at.Value] = true
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return paths, exts
}

// TestEncodeNoPersonalDataInResult: the result (which the hub logs and
// stores) holds delivery ids, lines and codes only.
func TestEncodeNoPersonalDataInResult(t *testing.T) {
	regs := append([]sdk.Registration(nil), encodeRegistrations...)
	regs[0].Client.BSN = "1234"
	_, res := encodeWith(t, mustAdapter(t, `{}`), encodeItemsOf(t, regs))
	b, _ := json.Marshal(res)
	for _, pd := range []string{"1234", "Berg", "111222333", "Putten"} {
		if bytes.Contains(b, []byte(pd)) {
			t.Errorf("the result holds %q: %s", pd, b)
		}
	}
	if !reflect.DeepEqual(len(res.Rejected), 1) {
		t.Errorf("rejected %+v", res.Rejected)
	}
}
