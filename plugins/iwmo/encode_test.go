package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// encodeRegistrations are the registrations of the encode tests, as the
// hub hands them to Encode: one from a CSV partner with life domains and a
// regievoerder, a forwarded toewijzing of gemeente Diemen, a partial birth
// date, a voorvoegsel with an apostrophe, a deletion.
var encodeRegistrations = []sdk.Registration{
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "ggz-9000001"}, Operation: sdk.OpNew, RegisteredAt: "2025-03-01T09:30:00+01:00",
		Client:            sdk.Client{BSN: "111222333", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.H.", FirstNames: "Anna", BirthDate: "1970-03-05", Gender: "vrouw"},
		ResponsibleWorker: &sdk.ResponsibleWorker{Name: "K. Jansen", Organisation: "IMW", Role: "regievoerder"},
		ProcessStep:       "triage", TargetGroup: "feitelijk_dakloos", Municipality: "Eindhoven",
		LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "instabiel"}, "zorg": {Status: "stabiel"}}},
	{Source: sdk.Source{Partner: "gemeente-diemen", RecordKey: "0384-T1001"}, Operation: sdk.OpChange, RegisteredAt: "2025-02-03T10:15:00+01:00",
		Client: sdk.Client{BSN: "999990019", Surname: "Linde", SurnamePrefix: "van der", PartnerSurname: "Boer", PartnerSurnamePrefix: "de",
			FirstNames: "Anna Maria", Initials: "A.M.", BirthDate: "1971-06", Gender: "vrouw"},
		LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "onbekend", Date: "2025-02-03"}}},
	{Source: sdk.Source{Partner: "opvang-zuid", RecordKey: "OZ/2025/17"}, Operation: sdk.OpDelete, RegisteredAt: "2025-03-02T23:30:00Z",
		Client: sdk.Client{BSN: "999990068", Surname: "Angelo", SurnamePrefix: "d'", Initials: "T.", BirthDate: "1962", Gender: "man"}},
	{Source: sdk.Source{Partner: "ggz-oost", RecordKey: "ggz-9000004"}, Operation: sdk.OpNew, RegisteredAt: "2025-03-01T09:30:00+01:00",
		Client: sdk.Client{BSN: "999990081", Surname: "Visser", BirthDate: "1990-03-04"}},
}

func encodeItemsOf(regs []sdk.Registration) []sdk.EncodeItem {
	var items []sdk.EncodeItem
	for i, r := range regs {
		r.SchemaVersion = sdk.SchemaVersion
		items = append(items, sdk.EncodeItem{DeliveryID: fmt.Sprintf("dlv_%032x", i+1), Operation: r.Operation, JSON: r.AppendJSON(nil)})
	}
	return items
}

// encodedMessage is one message of a batch.
type encodedMessage struct {
	data []byte
	res  sdk.EncodeResult
}

// encodeAll encodes items as the hub does, a message per file, until every
// item is written or rejected.
func encodeAll(t testing.TB, a *adapter, items []sdk.EncodeItem) ([]encodedMessage, []sdk.EncodeError) {
	t.Helper()
	var msgs []encodedMessage
	var rejected []sdk.EncodeError
	for len(items) > 0 {
		var out bytes.Buffer
		req := sdk.EncodeRequest{Partner: testPartner, Items: items}
		res, err := a.Encode(context.Background(), req, &out)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		left := res.Left(req)
		if len(left) == len(items) || len(res.Written) > 1 {
			t.Fatalf("Encode of %d items wrote %d and rejected %d", len(items), len(res.Written), len(res.Rejected))
		}
		rejected = append(rejected, res.Rejected...)
		if len(res.Written) == 1 {
			msgs = append(msgs, encodedMessage{data: out.Bytes(), res: res})
		}
		items = left
	}
	return msgs, rejected
}

// TestEncodeGolden writes every registration as a WMO301, compares the
// messages with the golden files and reads them back through the
// adapter: the same client, on the line Encode says, with the operation
// and the moment of the registration.
func TestEncodeGolden(t *testing.T) {
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "aanbieder-ontvangt")))
	msgs, rejected := encodeAll(t, a, encodeItemsOf(encodeRegistrations))
	if len(rejected) != 0 || len(msgs) != len(encodeRegistrations) {
		t.Fatalf("%d messages, rejected %+v", len(msgs), rejected)
	}
	for i, m := range msgs {
		golden := filepath.Join("testdata", "golden", fmt.Sprintf("encode-%d.xml", i+1))
		sdktest.Golden(t, golden, m.data, *update)
		w := decodeString(t, a, string(m.data))
		recs := w.Records()
		sdktest.CheckRecords(t, recs)
		if len(recs) != 1 || len(w.Errors()) != 0 {
			t.Fatalf("message %d reads back as %d records with errors %+v", i+1, len(recs), w.Errors())
		}
		if recs[0].Line != m.res.Written[0].Line {
			t.Errorf("message %d: record on line %d, Encode said %d", i+1, recs[0].Line, m.res.Written[0].Line)
		}
		var got sdk.Registration
		if err := json.Unmarshal(recs[0].JSON, &got); err != nil {
			t.Fatal(err)
		}
		reg := encodeRegistrations[i]
		wantClient := reg.Client
		if wantClient.Gender == "" {
			wantClient.Gender = "onbekend" // Geslacht is required: 0, onbekend
		}
		if got.Client != wantClient || got.Operation != reg.Operation {
			t.Errorf("message %d: %s %+v back, want %s %+v", i+1, got.Operation, got.Client, reg.Operation, wantClient)
		}
		if !sameInstant(got.RegisteredAt, reg.RegisteredAt) {
			t.Errorf("message %d: registered_at %s back, want %s", i+1, got.RegisteredAt, reg.RegisteredAt)
		}
	}
	// The forwarded toewijzing keeps its gemeente, number and category.
	if !bytes.Contains(msgs[1].data, []byte("<wmo301:Afzender>0384</wmo301:Afzender>")) || !bytes.Contains(msgs[1].data, []byte("<wmo301:ToewijzingNummer>1001<")) ||
		!bytes.Contains(msgs[1].data, []byte("<iwmo:Categorie>16<")) {
		t.Errorf("the forwarded toewijzing:\n%s", msgs[1].data)
	}
}

// TestEncodeStableNumber: every delivery of a record has the same
// ToewijzingNummer; another record has another.
func TestEncodeStableNumber(t *testing.T) {
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "aanbieder-ontvangt")))
	changed := encodeRegistrations[0]
	changed.Operation, changed.ProcessStep = sdk.OpChange, "trajecttoewijzing"
	msgs, _ := encodeAll(t, a, encodeItemsOf([]sdk.Registration{encodeRegistrations[0], changed, encodeRegistrations[3]}))
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		recs := decodeString(t, a, string(m.data)).Records()
		if len(recs) != 1 {
			t.Fatalf("message %d: %d records", i, len(recs))
		}
		keys[i] = recs[0].RecordKey
	}
	if keys[0] != keys[1] || keys[0] == keys[2] || !strings.HasPrefix(keys[0], "0772-T") {
		t.Errorf("record keys %q", keys)
	}
}

// TestEncodeRejects: a registration a WMO301 cannot hold is rejected with
// a code, the field and the iWmo retourcode, never with the value, and the
// next registration is written in its place.
func TestEncodeRejects(t *testing.T) {
	client := func(f func(*sdk.Registration)) []byte {
		r := encodeRegistrations[3]
		f(&r)
		r.SchemaVersion = sdk.SchemaVersion
		return r.AppendJSON(nil)
	}
	tests := []struct {
		name, field, code, rc string
		json                  []byte
	}{
		{"ErrNoJSON", "", sdk.CodeEncodeInvalid, "", []byte(`[`)},
		{"ErrNoKey", "source.record_key", sdk.CodeEncodeInvalid, "", client(func(r *sdk.Registration) { r.Source.RecordKey = "" })},
		{"ErrNoBSN", "client.bsn", sdk.CodeEncodeFormat, "0399", client(func(r *sdk.Registration) { r.Client.BSN = "" })},
		{"ErrBSN", "client.bsn", sdk.CodeEncodeFormat, "0399", client(func(r *sdk.Registration) { r.Client.BSN = "99999008" })},
		{"ErrNoSurname", "client.surname", sdk.CodeEncodeFormat, "0312", client(func(r *sdk.Registration) { r.Client.Surname = " " })},
		{"ErrLongPrefix", "client.surname_prefix", sdk.CodeEncodeFormat, "0312", client(func(r *sdk.Registration) { r.Client.SurnamePrefix = "van den van de" })},
		{"ErrInitials", "client.initials", sdk.CodeEncodeFormat, "0310", client(func(r *sdk.Registration) { r.Client.Initials = "A.B.C.D.E.F.G." })},
		{"ErrNoBirthDate", "client.birth_date", sdk.CodeEncodeFormat, "0350", client(func(r *sdk.Registration) { r.Client.BirthDate = "" })},
		{"ErrGender", "client.gender", sdk.CodeEncodeFormat, "0351", client(func(r *sdk.Registration) { r.Client.Gender = "x" })},
		{"ErrNoMoment", "registered_at", sdk.CodeEncodeInvalid, "1173", client(func(r *sdk.Registration) { r.RegisteredAt = "" })},
	}
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "aanbieder-ontvangt")))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := encodeItemsOf(encodeRegistrations[:1])[0]
			items := []sdk.EncodeItem{{DeliveryID: "dlv_bad", Operation: sdk.OpNew, JSON: tt.json}, good}
			msgs, rejected := encodeAll(t, a, items)
			if len(msgs) != 1 || len(rejected) != 1 {
				t.Fatalf("%d messages, rejected %+v", len(msgs), rejected)
			}
			r := rejected[0]
			if r.DeliveryID != "dlv_bad" || r.Code != tt.code || r.Field != tt.field || tt.rc != "" && !strings.Contains(r.Message, tt.rc) {
				t.Errorf("rejected %+v, want %s on %s with retourcode %s", r, tt.code, tt.field, tt.rc)
			}
			for _, pd := range []string{"99999008", "van den van de", "Visser"} {
				if strings.Contains(r.Message, pd) {
					t.Errorf("the message holds %q: %s", pd, r.Message)
				}
			}
		})
	}
	t.Run("ErrNoOutput", func(t *testing.T) {
		g := mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen")))
		msgs, rejected := encodeAll(t, g, encodeItemsOf(encodeRegistrations[:1]))
		if len(msgs) != 0 || len(rejected) != 1 || rejected[0].Code != sdk.CodeEncodeFormat {
			t.Errorf("%d messages, rejected %+v", len(msgs), rejected)
		}
	})
}

// TestEncodeErrors: Encode fails as a whole only without configuration,
// for another partner or with an ended context.
func TestEncodeErrors(t *testing.T) {
	items := encodeItemsOf(encodeRegistrations)
	if _, err := newAdapter().Encode(context.Background(), sdk.EncodeRequest{Partner: testPartner, Items: items}, io.Discard); !errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "aanbieder-ontvangt")))
	if _, err := a.Encode(context.Background(), sdk.EncodeRequest{Partner: "opvang-zuid", Items: items}, io.Discard); !errors.Is(err, sdk.ErrOtherPartner) {
		t.Errorf("another partner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Encode(ctx, sdk.EncodeRequest{Partner: testPartner, Items: items}, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestEncodeOutputConfig: the output settings are checked against the
// partner's role, codes, message types and life domains.
func TestEncodeOutputConfig(t *testing.T) {
	const base = `"role": "aanbieder", "codes": ["98026987"], "life_domains": {"16": "wonen"}`
	for _, tt := range []struct{ config, field string }{
		{`{"role": "gemeente", "codes": ["0384"], "output": {"afzender": "0384", "product_category": "06"}}`, "/output"},
		{`{` + base + `, "message_types": ["WMO305"], "output": {"afzender": "0384", "product_category": "06"}}`, "/output"},
		{`{` + base + `, "output": {"product_category": "06"}}`, "/output/afzender"},
		{`{` + base + `, "output": {"afzender": "384", "product_category": "06"}}`, "/output/afzender"},
		{`{` + base + `, "output": {"afzender": "0384", "ontvanger": "98025566", "product_category": "06"}}`, "/output/ontvanger"},
		{`{` + base + `, "output": {"afzender": "0384"}}`, "/output/product_category"},
		{`{` + base + `, "output": {"afzender": "0384", "product_category": "16"}}`, "/output/product_category"},
		{`{` + base + `, "output": {"afzender": "0384", "product_category": "06", "product_code": "06-01"}}`, "/output/product_code"},
		{`{` + base + `, "output": {"afzender": "0384", "product_category": "06", "release": "2.1"}}`, "/output/release"},
		{`{` + base + `, "output": []}`, "/output"},
		{`{` + base + `, "output": {"afzender": 384}}`, "/output/afzender"},
	} {
		err := newAdapter().Configure(context.Background(), testPartner, []byte(tt.config))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("Configure(%s) = %v, want a ConfigError on %s", tt.config, err, tt.field)
		}
	}
}

// sameInstant reports whether two RFC 3339 times are the same moment (the
// message writes it in the partner's time zone).
func sameInstant(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339, a)
	tb, errB := time.Parse(time.RFC3339, b)
	return errA == nil && errB == nil && ta.Equal(tb)
}
