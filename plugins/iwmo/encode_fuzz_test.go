package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// FuzzEncode writes random registrations as WMO301 messages. Encode must
// never panic or fail; a message it writes must read back through the
// adapter without record errors, as a registration of the shared schema
// with the client it was given (in the form the decoder gives it); an item
// it rejects carries a known code.
func FuzzEncode(f *testing.F) {
	for _, r := range encodeRegistrations {
		c := r.Client
		f.Add(r.Source.RecordKey, c.BSN, c.Surname, c.SurnamePrefix, c.PartnerSurname, c.PartnerSurnamePrefix, c.FirstNames, c.Initials, c.BirthDate, c.Gender, r.RegisteredAt, uint8(0))
	}
	f.Add("0384-T0012", "999990019", " van\tDijk & <Zn> ", "Van  Der", "", "de", "Jan  Piet\nKees", "j.p", "2000-02-29", "vrouw", "2025-03-01T23:59:59-11:00", uint8(1))
	f.Add("k", "999990019", "A\uFFFEB", "", "X\x00", "", "", "Ĳ", "0000-01", "", "2025-03-01T00:00:00Z", uint8(2))
	a := mustAdapter(f, string(adaptertest.ReadConfig(f, "aanbieder-ontvangt")))
	f.Fuzz(func(t *testing.T, key, bsn, surname, prefix, partner, partnerPrefix, first, initials, birth, gender, at string, mode uint8) {
		op := []sdk.Operation{sdk.OpNew, sdk.OpChange, sdk.OpDelete}[int(mode)%3]
		reg := sdk.Registration{Source: sdk.Source{Partner: "ggz-oost", RecordKey: key}, Operation: op, RegisteredAt: at,
			Client: sdk.Client{BSN: bsn, Surname: surname, SurnamePrefix: prefix, PartnerSurname: partner, PartnerSurnamePrefix: partnerPrefix,
				FirstNames: first, Initials: initials, BirthDate: birth, Gender: gender}}
		msgs, rejected := encodeAll(t, a, encodeItemsOf([]sdk.Registration{reg}))
		if len(rejected) == 1 {
			if e := rejected[0]; e.Code != sdk.CodeEncodeInvalid && e.Code != sdk.CodeEncodeFormat || e.Message == "" {
				t.Fatalf("rejected %+v", e)
			}
			return
		}
		w := decodeString(t, a, string(msgs[0].data))
		if errs := w.Errors(); len(errs) > 0 {
			t.Fatalf("the message reads back with errors %+v\n%s", errs, msgs[0].data)
		}
		recs := w.Records()
		sdktest.CheckRecords(t, recs)
		if len(recs) != 1 {
			t.Fatalf("%d records back", len(recs))
		}
		var got sdk.Registration
		if err := json.Unmarshal(recs[0].JSON, &got); err != nil {
			t.Fatal(err)
		}
		if want := expectedClient(reg.Client); got.Client != want || got.Operation != op || !sameInstant(got.RegisteredAt, at) {
			t.Fatalf("%s %+v at %s back, want %s %+v at %s\n%s", got.Operation, got.Client, got.RegisteredAt, op, want, at, msgs[0].data)
		}
	})
}

// expectedClient is the client as the partner reads it back: names on one
// line, voorvoegsels in lower case, the partner's voorvoegsel only with
// the partner's name, initials as letters with dots, gender onbekend when
// the registration has none.
func expectedClient(c sdk.Client) sdk.Client {
	want := sdk.Client{BSN: c.BSN, Surname: xmlText(c.Surname), SurnamePrefix: strings.ToLower(xmlText(c.SurnamePrefix)),
		PartnerSurname: xmlText(c.PartnerSurname), FirstNames: xmlText(c.FirstNames), BirthDate: c.BirthDate, Gender: c.Gender}
	if want.PartnerSurname != "" {
		want.PartnerSurnamePrefix = strings.ToLower(xmlText(c.PartnerSurnamePrefix))
	}
	var in strings.Builder
	for _, r := range c.Initials {
		if unicode.IsLetter(r) {
			// Encode writes the letter in upper case, the decoder upper-cases again.
			in.WriteRune(unicode.ToUpper(unicode.ToUpper(r)))
			in.WriteByte('.')
		}
	}
	want.Initials = in.String()
	if want.Gender == "" {
		want.Gender = "onbekend"
	}
	return want
}
