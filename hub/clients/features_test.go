package clients

import (
	"reflect"
	"testing"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestFeaturesRoundTrip(t *testing.T) {
	// The codec knows every field of Normalised but the BSN (never stored
	// with the features); a new field must be added to it.
	if n := reflect.TypeOf(identity.Normalised{}).NumField(); n != 13 {
		t.Fatalf("identity.Normalised has %d fields; teach encodeFeatures and decodeFeatures the new ones", n)
	}
	for _, c := range []sdk.Client{
		{},
		{BSN: "123", Surname: "van den Berg-Jansen", FirstNames: "Anna Maria", BirthDate: "1985-03", Gender: "vrouw",
			PartnerSurname: "Jansen", PartnerSurnamePrefix: "de"},
		{Surname: "d' Angelo", Initials: "Y.", BirthDate: "1940-02-07", Gender: "man"},
	} {
		n := identity.Normalise(c)
		n.BSN = ""
		got, err := decodeFeatures(encodeFeatures(n))
		if err != nil || !reflect.DeepEqual(got, n) {
			t.Fatalf("round trip of %+v:\n got %+v\nwant %+v (%v)", c, got, n, err)
		}
	}
}

func FuzzDecodeFeatures(f *testing.F) {
	f.Add(encodeFeatures(identity.Normalise(sdk.Client{Surname: "Berg", FirstNames: "Anna", BirthDate: "1985-03-14"})))
	f.Add([]byte{1, 0, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeFeatures(b)
		if err == nil && string(encodeFeatures(n)) != string(b) {
			// Not every accepted input is canonical (varint padding), but
			// decoding must never panic and must re-decode the same.
			if again, err := decodeFeatures(encodeFeatures(n)); err != nil || !reflect.DeepEqual(again, n) {
				t.Fatalf("unstable decode of %x", b)
			}
		}
	})
}

func BenchmarkDecodeFeatures(b *testing.B) {
	enc := encodeFeatures(identity.Normalise(sdk.Client{Surname: "van den Berg-Jansen", FirstNames: "Anna Maria",
		BirthDate: "1985-03-14", Gender: "vrouw"}))
	for b.Loop() {
		if _, err := decodeFeatures(enc); err != nil {
			b.Fatal(err)
		}
	}
}
