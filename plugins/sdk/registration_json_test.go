package sdk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// nasty holds strings that exercise every escaping rule of encoding/json.
var nasty = []string{
	"",
	`"quoted" \back\slash/`,
	"<script>alert('x')</script> & more",
	"tab\tnew\nline\rreturn\bback\fform",
	"\x00\x01\x1f\x7f",
	"line\u2028sep\u2029para",
	"bad \xff utf8 \xe2\x80 cut \xed\xa0\x80 surrogate",
	"valid \ufffd replacement",
	"ÿ é ß 日本 🙂",
	"trailing \xc3",
}

// allBytes is every byte value once, invalid UTF-8 included.
var allBytes = func() string {
	var b strings.Builder
	for c := range 256 {
		b.WriteByte(byte(c))
	}
	return b.String()
}()

func fullRegistration() *Registration {
	yes := true
	return &Registration{
		SchemaVersion: SchemaVersion,
		Source:        Source{Partner: "ggz-oost", RecordKey: "D-1"},
		Operation:     OpChange,
		RegisteredAt:  "2025-03-01T09:30:00+01:00",
		Client: Client{BSN: "123456782", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.H.",
			FirstNames: "Anna Hendrika", PartnerSurname: "Vries", PartnerSurnamePrefix: "de",
			BirthDate: "1970-03", Gender: "vrouw"},
		ResponsibleWorker: &ResponsibleWorker{Name: "M. Yilmaz", Organisation: "SZW", Role: "regievoerder"},
		ProcessStep:       "triage",
		TargetGroup:       "dreigend_dakloos",
		Municipality:      "Eindhoven",
		Neighbourhood:     "Woensel",
		LifeDomains: map[string]LifeDomain{
			"zorg": {Status: "stabiel"}, "wonen": {Status: "instabiel", Date: "2024-02-01"}, "inkomen": {Status: "onbekend"},
		},
		Sensitive: &Sensitive{DiagnosisPresent: &yes, DiagnosisClassification: "F10"},
	}
}

// checkAppendJSON fails unless AppendJSON gives the bytes of json.Marshal,
// and appends them after what dst already holds.
func checkAppendJSON(t *testing.T, r *Registration) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got := r.AppendJSON([]byte("prefix"))
	if !bytes.Equal(got[len("prefix"):], want) || string(got[:len("prefix")]) != "prefix" {
		t.Fatalf("AppendJSON differs from json.Marshal\n got: %s\nwant: prefix%s", got, want)
	}
}

func TestAppendJSON(t *testing.T) {
	no := false
	tests := []struct {
		name string
		edit func(r *Registration)
	}{
		{"Full", func(*Registration) {}},
		{"Zero", func(r *Registration) { *r = Registration{} }},
		{"RequiredOnly", func(r *Registration) {
			*r = Registration{SchemaVersion: SchemaVersion, Source: Source{Partner: "p", RecordKey: "k"}, Operation: OpNew}
		}},
		{"ClientOneField", func(r *Registration) { r.Client = Client{Gender: "man"} }},
		{"ClientLastFieldOnly", func(r *Registration) { r.Client = Client{FirstNames: "Jan"} }},
		{"WorkerEmpty", func(r *Registration) { r.ResponsibleWorker = &ResponsibleWorker{} }},
		{"WorkerRoleOnly", func(r *Registration) { r.ResponsibleWorker = &ResponsibleWorker{Role: "casemanager"} }},
		{"WorkerNil", func(r *Registration) { r.ResponsibleWorker = nil }},
		{"DomainsNil", func(r *Registration) { r.LifeDomains = nil }},
		{"DomainsEmpty", func(r *Registration) { r.LifeDomains = map[string]LifeDomain{} }},
		{"DomainOne", func(r *Registration) { r.LifeDomains = map[string]LifeDomain{"wonen": {}} }},
		{"DomainsMany", func(r *Registration) {
			r.LifeDomains = map[string]LifeDomain{}
			for i := range 20 {
				r.LifeDomains["d"+strconv.Itoa(i*7%20)] = LifeDomain{Status: strconv.Itoa(i), Date: strconv.Itoa(i % 2)}
			}
		}},
		{"DomainsOrder", func(r *Registration) {
			r.LifeDomains = map[string]LifeDomain{"a": {}, "a_b": {}, "ab": {}, "B": {}, "é": {}, "_": {}, "": {}, "a\x00": {}}
		}},
		{"SensitiveEmpty", func(r *Registration) { r.Sensitive = &Sensitive{} }},
		{"DiagnosisFalse", func(r *Registration) { r.Sensitive = &Sensitive{DiagnosisPresent: &no} }},
		{"ClassificationOnly", func(r *Registration) { r.Sensitive = &Sensitive{DiagnosisClassification: "F20"} }},
		{"SensitiveNil", func(r *Registration) { r.Sensitive = nil }},
		{"AllBytes", func(r *Registration) {
			r.Client.Surname = allBytes
			r.Source.RecordKey = allBytes
			r.LifeDomains[allBytes] = LifeDomain{Status: allBytes, Date: allBytes}
		}},
	}
	for i, s := range nasty {
		tests = append(tests, struct {
			name string
			edit func(r *Registration)
		}{"Nasty" + strconv.Itoa(i), func(r *Registration) {
			r.Source.Partner = s
			r.Operation = Operation(s)
			r.Client.Surname = s
			r.ResponsibleWorker.Name = s
			r.Municipality = s
			r.LifeDomains[s] = LifeDomain{Status: s, Date: s}
			r.Sensitive.DiagnosisClassification = s
		}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fullRegistration()
			tt.edit(r)
			checkAppendJSON(t, r)
		})
	}
}

// TestAppendJSONCoversEveryField fills every field of Registration and the
// types it holds, found by reflection, and compares. A field that
// AppendJSON does not know about makes it fail, as does a field of a kind
// this test cannot fill.
func TestAppendJSONCoversEveryField(t *testing.T) {
	var r Registration
	n := 0
	fillAll(t, reflect.ValueOf(&r).Elem(), &n)
	checkAppendJSON(t, &r)
	if n < 25 {
		t.Fatalf("filled only %d values", n)
	}
}

// fillAll gives every field under v a value that is not empty; strings get
// distinct values.
func fillAll(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		*n++
		v.SetString("v" + strconv.Itoa(*n))
	case reflect.Bool:
		*n++
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(t, v.Field(i), n)
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillAll(t, p.Elem(), n)
		v.Set(p)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 3 {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			fillAll(t, k, n)
			fillAll(t, e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		t.Fatalf("cannot fill a %s; teach fillAll and AppendJSON about it", v.Type())
	}
}

// FuzzAppendJSON builds registrations from fuzzed strings: each string field
// takes one of three of them, or stays empty, after two bits of mask; the
// remaining bits decide the pointers and the life domains.
func FuzzAppendJSON(f *testing.F) {
	f.Add("Jansen", "<&>", "\u2028\xff", "wonen", uint64(0x5555_5555_5555_5555))
	f.Add("", "", "", "", uint64(0))
	f.Add("a\"b\\c", "\x00\x1f\x7f", "é日🙂", "", ^uint64(0))
	f.Fuzz(func(t *testing.T, a, b, c, key string, mask uint64) {
		vals := [4]string{"", a, b, c}
		bit := uint(0)
		pick := func() string {
			v := vals[mask>>bit&3]
			bit = (bit + 2) % 64
			return v
		}
		yes := mask&1 == 0
		r := &Registration{}
		var worker ResponsibleWorker
		var sensitive Sensitive
		for _, p := range []*string{
			&r.SchemaVersion, &r.Source.Partner, &r.Source.RecordKey, (*string)(&r.Operation), &r.RegisteredAt,
			&r.Client.BSN, &r.Client.Surname, &r.Client.SurnamePrefix, &r.Client.Initials, &r.Client.FirstNames,
			&r.Client.PartnerSurname, &r.Client.PartnerSurnamePrefix, &r.Client.BirthDate, &r.Client.Gender,
			&worker.Name, &worker.Organisation, &worker.Role,
			&r.ProcessStep, &r.TargetGroup, &r.Municipality, &r.Neighbourhood,
			&sensitive.DiagnosisClassification,
		} {
			*p = pick()
		}
		if mask>>60&1 == 1 {
			r.ResponsibleWorker = &worker
		}
		if mask>>61&1 == 1 {
			r.Sensitive = &sensitive
			if mask>>62&1 == 1 {
				sensitive.DiagnosisPresent = &yes
			}
		}
		if mask>>63&1 == 1 {
			r.LifeDomains = map[string]LifeDomain{key: {Status: pick(), Date: pick()}}
			for _, k := range []string{a, b, c, key + a} {
				r.LifeDomains[k] = LifeDomain{Status: key, Date: pick()}
			}
		}
		checkAppendJSON(t, r)
	})
}

func BenchmarkRegistrationJSON(b *testing.B) {
	r := fullRegistration()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
