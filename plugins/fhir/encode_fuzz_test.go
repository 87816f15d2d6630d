package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// FuzzEncode writes random registrations in every output form. Encode must
// never panic or fail; an item it writes must read back through the
// adapter without record errors, as a registration of the shared schema
// with the client it was given (in the normal form the decoder gives); an
// item it rejects carries a known code.
func FuzzEncode(f *testing.F) {
	for _, r := range encodeRegistrations {
		c := r.Client
		f.Add(r.Source.RecordKey, c.BSN, c.Surname, c.SurnamePrefix, c.PartnerSurname, c.PartnerSurnamePrefix, c.FirstNames, c.Initials, c.BirthDate, c.Gender, uint8(0))
	}
	f.Add("k\x00", "12345678", " van\tDijk ", "Van  Der", "", "de", "Jan  Piet\nKees", "j.p", "2000-02-29", "vrouw", uint8(7))
	f.Add("Patient/a", "", "", "", "Boer", "", strings.Repeat("a ", 45), "", "1999-13", "x", uint8(2))
	f.Add("Patient/b", "", "Boer", "", "", "", strings.Repeat("a ", 45), "", "", "", uint8(0))
	adapters := make([]*adapter, len(encodeForms))
	for i, form := range encodeForms {
		adapters[i] = mustAdapter(f, form.config)
	}
	f.Fuzz(func(t *testing.T, key, bsn, surname, prefix, partner, partnerPrefix, first, initials, birth, gender string, mode uint8) {
		form := int(mode) % len(encodeForms)
		a := adapters[form]
		op := []sdk.Operation{sdk.OpNew, sdk.OpChange, sdk.OpDelete}[int(mode/4)%3]
		reg := sdk.Registration{Source: sdk.Source{Partner: "ggz-oost", RecordKey: key}, Operation: op, RegisteredAt: "2025-03-01T09:30:00+01:00",
			Client: sdk.Client{BSN: bsn, Surname: surname, SurnamePrefix: prefix, PartnerSurname: partner, PartnerSurnamePrefix: partnerPrefix,
				FirstNames: first, Initials: initials, BirthDate: birth, Gender: gender}, ProcessStep: "triage"}
		items := encodeItemsOf(t, []sdk.Registration{reg})
		file, res := encodeWith(t, a, items)
		if len(res.Written)+len(res.Rejected) != 1 {
			t.Fatalf("written %+v, rejected %+v", res.Written, res.Rejected)
		}
		if len(res.Rejected) == 1 {
			if e := res.Rejected[0]; e.Code != sdk.CodeEncodeInvalid && e.Code != sdk.CodeEncodeFormat || e.Message == "" {
				t.Fatalf("rejected %+v", e)
			}
			return
		}
		w := decodeNamed(t, a, "levering"+res.Suffix, string(file))
		if errs := w.Errors(); len(errs) > 0 {
			t.Fatalf("the written file reads back with errors %+v\n%s", errs, file)
		}
		recs := w.Records()
		sdktest.CheckRecords(t, recs)
		if len(recs) != 1 {
			t.Fatalf("%d records back", len(recs))
		}
		got := decodedClient(t, recs[0])
		if want := expectedClient(reg.Client, a.plan.Load().initials); got != want {
			t.Fatalf("client %+v back, want %+v", got, want)
		}
	})
}

// expectedClient is the client as the partner reads it back: names on one
// line, voorvoegsels in lower case and only with their surname, initials
// in normal form or derived from the first names.
func expectedClient(c sdk.Client, deriveInitials bool) sdk.Client {
	want := sdk.Client{BSN: c.BSN, Surname: oneLine(c.Surname), PartnerSurname: oneLine(c.PartnerSurname),
		FirstNames: oneLine(c.FirstNames), BirthDate: c.BirthDate, Gender: c.Gender}
	if want.Surname != "" {
		want.SurnamePrefix = prefix(c.SurnamePrefix)
	}
	if want.PartnerSurname != "" {
		want.PartnerSurnamePrefix = prefix(c.PartnerSurnamePrefix)
	}
	want.Initials, _ = normaliseInitials(c.Initials)
	if want.Initials == "" && deriveInitials {
		want.Initials = initialsOf(want.FirstNames)
	}
	return want
}

func decodedClient(t *testing.T, r sdk.Record) sdk.Client {
	t.Helper()
	var reg sdk.Registration
	if err := json.Unmarshal(r.JSON, &reg); err != nil || !utf8.Valid(r.JSON) {
		t.Fatalf("record is no registration: %v", err)
	}
	return reg.Client
}
