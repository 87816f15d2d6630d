package main

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestSplitPrefix(t *testing.T) {
	tests := []struct{ in, prefix, name string }{
		{"van der Giessen", "van der", "Giessen"},
		{"Van den  Berg", "van den", "Berg"},
		{"de Vries", "de", "Vries"},
		{"d'Angelo", "d'", "Angelo"},
		{"'t Hart", "'t", "Hart"},
		{"Dekker", "", "Dekker"},
		{"Vandenberg", "", "Vandenberg"},
		{"van", "", "van"},
		{"Terpstra", "", "Terpstra"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, n := splitPrefix(tt.in)
			if prefix(p) != tt.prefix || n != tt.name {
				t.Errorf("splitPrefix(%q) = %q, %q; want %q, %q", tt.in, p, n, tt.prefix, tt.name)
			}
		})
	}
}

func TestInitials(t *testing.T) {
	for _, tt := range []struct{ in, want string }{{"J.", "J."}, {"JP", "J.P."}, {"j.p.", "J.P."}, {"Th.", "Th."}, {"IJ.", "IJ."}, {"A-M", "A.M."}} {
		if got, ok := normaliseInitials(tt.in); !ok || got != tt.want {
			t.Errorf("normaliseInitials(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := normaliseInitials("J3"); ok {
		t.Error("normaliseInitials accepts a digit")
	}
	for _, tt := range []struct{ in, want string }{{"Johanna Petronella Maria", "J.P.M."}, {"IJsbrand Anne-Marie", "IJ.A.M."}, {"", ""}} {
		if got := initialsOf(tt.in); got != tt.want {
			t.Errorf("initialsOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNames checks which name is used and how its parts map.
func TestNames(t *testing.T) {
	str := func(s string) *string { return &s }
	qual := func(q string) *element {
		return &element{Extension: []extension{{URL: extQualifier, ValueCode: str(q)}}}
	}
	own := &element{Extension: []extension{{URL: extOwnName, ValueString: str("Putten")}, {URL: extOwnPrefix, ValueString: str("van")}}}
	tests := []struct {
		name     string
		initials bool
		names    []humanName
		want     sdk.Client
	}{
		{"OfficialOverUsual", true, []humanName{{Use: "usual", Family: "Jo"}, {Use: "official", Family: "van Putten-Giessen", FamilyExt: own}},
			sdk.Client{Surname: "Putten", SurnamePrefix: "van"}},
		{"NoUseOverUsual", true, []humanName{{Use: "usual", Family: "X"}, {Family: "de Wit"}}, sdk.Client{Surname: "Wit", SurnamePrefix: "de"}},
		{"MaidenNotUsed", true, []humanName{{Use: "maiden", Family: "Smit"}}, sdk.Client{}},
		{"GivenQualifiers", true, []humanName{{Use: "official", Family: "Berg", Given: []string{"Anna", "An", "J."}, GivenExt: []*element{qual("BR"), qual("CL"), qual("IN")}}},
			sdk.Client{Surname: "Berg", FirstNames: "Anna", Initials: "J."}},
		{"InitialsDerived", true, []humanName{{Family: "Berg", Given: []string{"Anna", "Sofie"}}}, sdk.Client{Surname: "Berg", FirstNames: "Anna Sofie", Initials: "A.S."}},
		{"InitialsNotDerived", false, []humanName{{Family: "Berg", Given: []string{"Anna"}}}, sdk.Client{Surname: "Berg", FirstNames: "Anna"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &mapper{p: &plan{initials: tt.initials}}
			var c sdk.Client
			if n := officialName(tt.names); n != nil {
				m.name(&c, n)
			}
			if c != tt.want || len(m.errs) != 0 {
				t.Errorf("got %+v (errors %+v), want %+v", c, m.errs, tt.want)
			}
		})
	}
}

func TestPatientKey(t *testing.T) {
	tests := []struct {
		name string
		it   item
		want string
	}{
		{"ID", item{id: "p1"}, "Patient/p1"},
		{"RequestURL", item{url: "Patient/p2"}, "Patient/p2"},
		{"FullURL", item{fullURL: "https://fhir.example.org/fhir/Patient/p3/_history/4"}, "Patient/p3"},
		{"Agree", item{id: "p4", url: "Patient/p4", fullURL: "https://x/fhir/Patient/p4"}, "Patient/p4"},
		{"UUID", item{fullURL: "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001"}, "urn:uuid:6a1c2e44-0b0f-4a59-9a1e-5d3cf0a0e001"},
		{"ErrDisagree", item{id: "p5", url: "Patient/p6"}, ""},
		{"ErrConditional", item{url: "Patient?identifier=x|1"}, ""},
		{"ErrBadID", item{id: "p 7"}, ""},
		{"ErrNone", item{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, field, msg := tt.it.patientKey()
			if key != tt.want || (tt.want == "") != (msg != "" && field != "") {
				t.Errorf("patientKey = %q, %q, %q; want %q", key, field, msg, tt.want)
			}
		})
	}
}

// TestBSN checks both BSN systems, padding and conflicts.
func TestBSN(t *testing.T) {
	tests := []struct {
		name string
		ids  []identifier
		want string
		err  bool
	}{
		{"NamingSystem", []identifier{{System: systemBSN, Value: "999990019"}}, "999990019", false},
		{"OID", []identifier{{System: "urn:oid:1.2.3", Value: "x"}, {System: systemBSNOID, Value: "99999001"}}, "099999001", false},
		{"Both", []identifier{{System: systemBSN, Value: "999990019"}, {System: systemBSNOID, Value: "999990019"}}, "999990019", false},
		{"None", []identifier{{System: "http://example.org/mrn", Value: "123"}}, "", false},
		{"ErrDigits", []identifier{{System: systemBSN, Value: "99999001A"}}, "", true},
		{"ErrConflict", []identifier{{System: systemBSN, Value: "999990019"}, {System: systemBSNOID, Value: "999990020"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &mapper{p: &plan{}}
			if got := m.bsn(tt.ids); got != tt.want || (len(m.errs) > 0) != tt.err {
				t.Errorf("bsn = %q (errors %+v), want %q", got, m.errs, tt.want)
			}
		})
	}
}
