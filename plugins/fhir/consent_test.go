package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// consentJSON is a valid data-sharing consent (scope patient-privacy).
const consentJSON = `{"resourceType": "Consent", "id": "c1", "status": "active",
 "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
 "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
 "patient": {"reference": "Patient/p1"}, "dateTime": "2025-02-03T10:00:00+01:00",
 "policy": [{"uri": "https://wetten.overheid.nl/"}],
 "provision": {"type": "permit", "period": {"start": "2025-02-03", "end": "2025-12-31"},
   "provision": [{"type": "deny", "code": [{"coding": [{"code": "x"}]}]}]}}`

func parseConsentJSON(t *testing.T, s string) *consent {
	t.Helper()
	var c consent
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestConsentSamples checks that the Nictiz consent examples, read from XML,
// are valid, and keep what the chain needs.
func TestConsentSamples(t *testing.T) {
	for _, name := range []string{"nl-core-AdvanceDirective-01.xml", "nl-core-TreatmentDirective2-01-Consent-01.xml", "nl-core-TreatmentDirective2-01.xml"} {
		t.Run(name, func(t *testing.T) {
			xr := newXMLReader(newDecoder(mustAdapter(t, `{}`).plan.Load(), testDoc, &chunkRecorder{}), strings.NewReader(string(readSample(t, name))))
			root, err := xr.nextStart()
			if err != nil {
				t.Fatal(err)
			}
			n, err := xr.build(root)
			if err != nil {
				t.Fatal(err)
			}
			c := consentFromXML(n)
			if ps := c.validate(); len(ps) != 0 {
				t.Errorf("validate = %+v, want no problems", ps)
			}
			if c.Patient.Reference != "Patient/nl-core-Patient-01" || c.scope() == "" || len(c.Category) != 1 {
				t.Errorf("consent read as %+v", c)
			}
		})
	}
}

func TestConsentValidate(t *testing.T) {
	tests := []struct {
		name, from, to string
		field          string
	}{
		{"OK", "", "", ""},
		{"ErrNoStatus", `"status": "active",`, ``, "Consent.status"},
		{"ErrStatus", `"status": "active"`, `"status": "accepted"`, "Consent.status"},
		{"ErrScope", `"code": "patient-privacy"`, `"code": "privacy"`, "Consent.scope"},
		{"ErrNoCategory", `"category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],`, ``, "Consent.category"},
		{"ErrNoPatient", `"patient": {"reference": "Patient/p1"}, `, ``, "Consent.patient"},
		{"ErrPatientRef", `"Patient/p1"`, `"Practitioner/p1"`, "Consent.patient"},
		{"ErrNoPolicy", `"policy": [{"uri": "https://wetten.overheid.nl/"}],`, ``, "Consent.policy"},
		{"ErrDateTime", `"2025-02-03T10:00:00+01:00"`, `"3 februari"`, "Consent.dateTime"},
		{"ErrProvisionType", `"type": "permit"`, `"type": "allow"`, "Consent.provision.type"},
		{"ErrPeriod", `"end": "2025-12-31"`, `"end": "2024-12-31"`, "Consent.provision.period.end"},
		{"ErrNested", `"type": "deny"`, `"type": "nee"`, "Consent.provision.provision[0].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := consentJSON
			if tt.from != "" {
				if !strings.Contains(doc, tt.from) {
					t.Fatalf("test consent has no %s", tt.from)
				}
				doc = strings.Replace(doc, tt.from, tt.to, 1)
			}
			ps := parseConsentJSON(t, doc).validate()
			switch {
			case tt.field == "" && len(ps) != 0:
				t.Errorf("validate = %+v, want no problems", ps)
			case tt.field != "" && (len(ps) != 1 || ps[0].field != tt.field || ps[0].msg == ""):
				t.Errorf("validate = %+v, want one problem with %s", ps, tt.field)
			}
		})
	}
}

func TestConsentPermits(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	c := parseConsentJSON(t, consentJSON)
	tests := []struct {
		name   string
		change func(*consent)
		at     string
		want   bool
	}{
		{"InPeriod", nil, "2025-06-01T12:00:00Z", true},
		{"LastDay", nil, "2025-12-31T23:00:00Z", true},
		{"Before", nil, "2025-02-02T23:59:59Z", false},
		{"After", nil, "2026-01-01T00:00:00Z", false},
		{"Inactive", func(c *consent) { c.Status = "inactive" }, "2025-06-01T12:00:00Z", false},
		{"Deny", func(c *consent) { c.Provision.Type = "deny" }, "2025-06-01T12:00:00Z", false},
		{"NoProvision", func(c *consent) { c.Provision = nil }, "2030-01-01T00:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := *c
			p := *c.Provision
			cc.Provision = &p
			if tt.change != nil {
				tt.change(&cc)
			}
			if got := cc.permits(at(tt.at)); got != tt.want {
				t.Errorf("permits(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}
