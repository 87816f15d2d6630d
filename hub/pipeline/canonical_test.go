package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleRegistration() sdk.Registration {
	return sdk.Registration{SchemaVersion: "1", Source: sdk.Source{Partner: "p", RecordKey: "k1"}, Operation: sdk.OpNew,
		RegisteredAt: "2026-11-22T10:00:00Z", Client: sdk.Client{Surname: `Berg "de" \ Vries`, BirthDate: "1970"},
		LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "stabiel"}}}
}

func TestScanRecord(t *testing.T) {
	base := sampleRegistration()
	h0, err := scanRecord(mustJSON(t, base))
	if err != nil {
		t.Fatal(err)
	}
	if string(h0.operation) != "new" || string(h0.registeredAt) != "2026-11-22T10:00:00Z" {
		t.Fatalf("volatile members: %q %q", h0.operation, h0.registeredAt)
	}
	t.Run("VolatileMembersDoNotCount", func(t *testing.T) {
		r := base
		r.RegisteredAt, r.Operation = "2026-11-23T02:00:00Z", sdk.OpChange
		if f, _ := scanRecord(mustJSON(t, r)); !bytes.Equal(f.hash, h0.hash) {
			t.Fatal("hash changed with registered_at/operation")
		}
		r.RegisteredAt = ""
		if f, _ := scanRecord(mustJSON(t, r)); !bytes.Equal(f.hash, h0.hash) || f.registeredAt != nil {
			t.Fatal("hash changed without registered_at")
		}
	})
	changes := map[string]func(r *sdk.Registration){
		"Surname":     func(r *sdk.Registration) { r.Client.Surname = "Berg" },
		"RecordKey":   func(r *sdk.Registration) { r.Source.RecordKey = "k2" },
		"Partner":     func(r *sdk.Registration) { r.Source.Partner = "q" },
		"LifeDomain":  func(r *sdk.Registration) { r.LifeDomains = map[string]sdk.LifeDomain{"wonen": {Status: "instabiel"}} },
		"AddedField":  func(r *sdk.Registration) { r.Municipality = "Best" },
		"ProcessStep": func(r *sdk.Registration) { r.ProcessStep = "triage" },
	}
	for name, change := range changes {
		t.Run("Changed"+name, func(t *testing.T) {
			r := sampleRegistration()
			change(&r)
			f, err := scanRecord(mustJSON(t, r))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(f.hash, h0.hash) {
				t.Fatal("a content change kept the hash")
			}
		})
	}
	t.Run("WhitespaceAndNesting", func(t *testing.T) {
		f, err := scanRecord([]byte(` { "a" : [1, {"b": "}]\""}] , "operation" : "delete", "n": -1.5e3, "t": true }`))
		if err != nil || string(f.operation) != "delete" {
			t.Fatalf("%v %q", err, f.operation)
		}
	})
	for _, bad := range []string{``, `[]`, `{"a":`, `{"a" 1}`, `{"a":"x`, `{"a":{"b":1}`, `{a:1}`, `{"a":}`} {
		if _, err := scanRecord([]byte(bad)); err == nil {
			t.Errorf("scanRecord(%q) gave no error", bad)
		}
	}
}

func FuzzScanRecord(f *testing.F) {
	f.Add([]byte(`{"schema_version":"1","operation":"new","client":{"surname":"x"}}`))
	f.Add([]byte(`{"a":"\"}","b":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fa, errA := scanRecord(b)
		// Whatever the input, scanning is deterministic and never panics.
		fb, errB := scanRecord(b)
		if (errA == nil) != (errB == nil) || !bytes.Equal(fa.hash, fb.hash) {
			t.Fatal("scanRecord is not deterministic")
		}
	})
}

func BenchmarkScanRecord(b *testing.B) {
	doc := mustJSON(b, sampleRegistration())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scanRecord(doc); err != nil {
			b.Fatal(err)
		}
	}
}
