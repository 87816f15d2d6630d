package schema

import (
	"testing"

	"github.com/ketenhub/ketenhub/schemas"
)

func TestRegistrationV1(t *testing.T) {
	v, err := Compile(schemas.RegistrationV1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    string
		fields []string
	}{
		{"OK", `{"schema_version":"1","source":{"partner":"ggz-oost","record_key":"1"},"operation":"new","client":{"surname":"Berg","surname_prefix":"van den","birth_date":"1944-03","gender":"man"},"process_step":"triage","life_domains":{"wonen":{"status":"stabiel","date":"2026-01-02"}},"sensitive":{"diagnosis_present":true}}`, nil},
		{"OKBSNOnly", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"change","client":{"bsn":"999993653"}}`, nil},
		{"ErrMissingClientIdentity", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"new","client":{"initials":"A."}}`, []string{"client.bsn", "client.surname"}},
		{"ErrRequired", `{"schema_version":"1","source":{"partner":"p"},"operation":"new","client":{"surname":"X"}}`, []string{"source.record_key"}},
		{"ErrEnum", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"upsert","client":{"surname":"X","gender":"M"}}`, []string{"client.gender", "operation"}},
		{"ErrBirthDate", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"new","client":{"surname":"X","birth_date":"1944-13-01"}}`, []string{"client.birth_date"}},
		{"ErrUnknownField", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"new","client":{"surname":"X"},"diagnose":"x"}`, []string{"diagnose"}},
		{"ErrLifeDomainStatus", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"new","client":{"surname":"X"},"life_domains":{"wonen":{"status":"goed"}}}`, []string{"life_domains.wonen.status"}},
		{"ErrDateFormat", `{"schema_version":"1","source":{"partner":"p","record_key":"1"},"operation":"new","client":{"surname":"X"},"life_domains":{"wonen":{"status":"stabiel","date":"02-01-2026"}}}`, []string{"life_domains.wonen.date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, issues, err := v.ValidateJSON([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, is := range issues {
				got = append(got, is.Field)
				if is.Message == "" {
					t.Errorf("issue at %s has no message", is.Field)
				}
			}
			if len(got) != len(tt.fields) {
				t.Fatalf("fields = %v, want %v (issues %+v)", got, tt.fields, issues)
			}
			for i := range got {
				if got[i] != tt.fields[i] {
					t.Fatalf("fields = %v, want %v", got, tt.fields)
				}
			}
		})
	}
}

func BenchmarkValidateRegistration(b *testing.B) {
	v, err := Compile(schemas.RegistrationV1)
	if err != nil {
		b.Fatal(err)
	}
	doc := []byte(`{"schema_version":"1","source":{"partner":"ggz-oost","record_key":"ggz-0000001"},"operation":"new","registered_at":"2026-11-22T10:00:00Z","client":{"bsn":"220476573","surname":"Angelo","surname_prefix":"d'","initials":"Y.","birth_date":"1940-02-07","gender":"vrouw"},"responsible_worker":{"name":"A. Bakker","organisation":"opvang"},"process_step":"triage","target_group":"zorgmijder","municipality":"Best","life_domains":{"wonen":{"status":"instabiel"},"inkomen":{"status":"instabiel"},"zorg":{"status":"onbekend"}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, issues, err := v.ValidateJSON(doc); err != nil || issues != nil {
			b.Fatal(err, issues)
		}
	}
}
