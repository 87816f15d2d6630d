package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// knownSet returns the source digests of recs as a set.
func knownSet(t testing.TB, recs ...sdk.Record) *sdk.DigestSet {
	t.Helper()
	var raw []byte
	for _, r := range recs {
		raw = append(raw, r.SourceDigest...)
	}
	s, err := sdk.NewDigestSet(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decodeKnown decodes data with the source digests of known held by the hub.
func decodeKnown(t testing.TB, a *adapter, data string, known ...sdk.Record) *sdktest.Recorder {
	t.Helper()
	doc := testDoc
	doc.Known = knownSet(t, known...)
	return adaptertest.Decode(t, a, doc, []byte(data))
}

const digestConfig = `{"delimiter": ";", "columns": {"nr": "source.record_key", "naam": "client.surname", "geboren": "client.birth_date"}}`

// TestKnownDigests checks on the example exports, good and broken, that
// every record has a source digest, and that with the digests of all or of
// every other record known, exactly those records are reported unchanged
// while everything else stays as it was.
func TestKnownDigests(t *testing.T) {
	samples := []struct{ partner, file string }{
		{"ggz-oost", "ggz-oost.csv"},
		{"opvang-zuid", "opvang-zuid.csv"},
		{"opvang-zuid", "broken-opvang-zuid.csv"},
		{"gemeente-szw", "gemeente-szw.csv"},
	}
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", s.file))
			if err != nil {
				t.Fatal(err)
			}
			a := mustAdapter(t, s.partner, string(partnerConfig(t, s.partner)))
			full := decodeString(t, a, string(raw))
			recs := full.Records()
			for _, r := range recs {
				if len(r.SourceDigest) != sdk.DigestSize {
					t.Fatalf("line %d: source digest of %d bytes", r.Line, len(r.SourceDigest))
				}
			}
			var half []sdk.Record
			for i, r := range recs {
				if i%2 == 0 {
					half = append(half, r)
				}
			}
			for name, known := range map[string][]sdk.Record{"All": recs, "EveryOther": half} {
				t.Run(name, func(t *testing.T) {
					got := decodeKnown(t, a, string(raw), known...)
					var wantRecs []sdk.Record
					var wantUnchanged []sdk.Unchanged
					isKnown := map[int]bool{}
					for _, r := range known {
						isKnown[r.Line] = true
					}
					for _, r := range recs {
						if isKnown[r.Line] {
							wantUnchanged = append(wantUnchanged, sdk.Unchanged{Line: r.Line, RecordKey: r.RecordKey})
						} else {
							wantRecs = append(wantRecs, r)
						}
					}
					if !reflect.DeepEqual(got.Records(), wantRecs) {
						t.Errorf("records differ: %d, want %d", len(got.Records()), len(wantRecs))
					}
					if !reflect.DeepEqual(got.Unchanged(), wantUnchanged) {
						t.Errorf("unchanged %+v, want %+v", got.Unchanged(), wantUnchanged)
					}
					if !reflect.DeepEqual(got.Errors(), full.Errors()) {
						t.Errorf("errors differ:\n%+v\nwant\n%+v", got.Errors(), full.Errors())
					}
				})
			}
		})
	}
}

func TestKnownDuplicateKey(t *testing.T) {
	a := mustAdapter(t, "test", digestConfig)
	data := "nr;naam;geboren\nA1;Jansen;1980-01-02\nA2;Bakker;1981-02-03\nA1;Jansen;1980-01-02\n"
	first := decodeString(t, a, data)
	if len(first.Records()) != 2 || len(first.Errors()) != 1 {
		t.Fatalf("records %d errors %d", len(first.Records()), len(first.Errors()))
	}
	// A1 is known: the first is unchanged, the second still a duplicate.
	got := decodeKnown(t, a, data, first.Records()[0])
	if u := got.Unchanged(); len(u) != 1 || u[0] != (sdk.Unchanged{Line: 2, RecordKey: "A1"}) {
		t.Errorf("unchanged %+v", u)
	}
	if e := got.Errors(); len(e) != 1 || e[0].Code != sdk.CodeDuplicateKey || e[0].Line != 4 {
		t.Errorf("errors %+v, want RECORD_DUPLICATE on line 4", e)
	}
	// A row the hub holds but that repeats a key is a duplicate all the same.
	data = "nr;naam;geboren\nA1;Visser;1980-01-02\nA1;Jansen;1980-01-02\n"
	got = decodeKnown(t, a, data, first.Records()[0])
	if len(got.Unchanged()) != 0 || len(got.Errors()) != 1 || got.Errors()[0].Line != 3 {
		t.Errorf("unchanged %+v errors %+v, want the known row on line 3 a duplicate", got.Unchanged(), got.Errors())
	}
}

// TestDigestSensitivity checks what a source digest depends on.
func TestDigestSensitivity(t *testing.T) {
	const head = "nr;naam;geboren;opmerking\n"
	digestOf := func(t *testing.T, partner, config, data string) []byte {
		t.Helper()
		recs := decodeString(t, mustAdapter(t, partner, config), data).Records()
		if len(recs) != 1 {
			t.Fatalf("%q gives %d records", data, len(recs))
		}
		return recs[0].SourceDigest
	}
	base := digestOf(t, "test", digestConfig, head+"A1;Jansen;1980-01-02;x\n")
	tests := []struct {
		name    string
		partner string
		config  string
		data    string
		same    bool
	}{
		{"SameRow", "test", digestConfig, head + "A1;Jansen;1980-01-02;x\n", true},
		{"UnmappedColumnChanged", "test", digestConfig, head + "A1;Jansen;1980-01-02;y\n", true},
		{"ColumnsMoved", "test", digestConfig, "geboren;opmerking;naam;nr\n1980-01-02;x;Jansen;A1\n", true},
		{"MappedFieldChanged", "test", digestConfig, head + "A1;Janssen;1980-01-02;x\n", false},
		{"BlanksChanged", "test", digestConfig, head + "A1;Jansen ;1980-01-02;x\n", false},
		{"ConfigChanged", "test", `{"delimiter": ";", "columns": {"nr": "source.record_key", "naam": "client.surname", "geboren": "client.birth_date"}, "null_values": ["-"]}`,
			head + "A1;Jansen;1980-01-02;x\n", false},
		{"OtherPartner", "test-2", digestConfig, head + "A1;Jansen;1980-01-02;x\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digestOf(t, tt.partner, tt.config, tt.data); bytes.Equal(got, base) != tt.same {
				t.Errorf("same digest = %v, want %v", !tt.same, tt.same)
			}
		})
	}
}

// BenchmarkDecodeKnown decodes a generated 1,000,000-row export whose rows
// the hub holds all but one in a hundred (a second night), and reports rows
// per second.
func BenchmarkDecodeKnown(b *testing.B) {
	const rows = 1_000_000
	a := mustAdapter(b, "gemeente-szw", string(partnerConfig(b, "gemeente-szw")))
	all := &sdktest.Recorder{}
	if err := a.Decode(context.Background(), testDoc, newGenerator(rows), all); err != nil {
		b.Fatal(err)
	}
	var raw []byte
	for i, r := range all.Records() {
		if i%100 != 0 {
			raw = append(raw, r.SourceDigest...)
		}
	}
	all = nil
	doc := testDoc
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		set, err := sdk.NewDigestSet(raw)
		if err != nil {
			b.Fatal(err)
		}
		doc.Known = set
		c := &counter{}
		if err := a.Decode(context.Background(), doc, newGenerator(rows), c); err != nil {
			b.Fatal(err)
		}
		if c.records != rows/100 {
			b.Fatalf("records %d, want %d", c.records, rows/100)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}
