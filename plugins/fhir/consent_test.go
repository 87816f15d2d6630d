package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
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

// consentFromXMLString reads a Consent from XML as Decode does.
func consentFromXMLString(t *testing.T, xml string) *consent {
	t.Helper()
	xr := newXMLReader(newDecoder(mustAdapter(t, `{}`).plan.Load(), testDoc, &sdktest.Recorder{}), strings.NewReader(xml))
	root, err := xr.x.Root()
	if err != nil {
		t.Fatal(err)
	}
	n, err := xr.build(root)
	if err != nil {
		t.Fatal(err)
	}
	return consentFromXML(n)
}

// TestConsentSamples checks that the Nictiz consent examples, read from XML,
// are valid, and keep what the chain needs.
func TestConsentSamples(t *testing.T) {
	for _, name := range []string{"nl-core-AdvanceDirective-01.xml", "nl-core-TreatmentDirective2-01-Consent-01.xml", "nl-core-TreatmentDirective2-01.xml"} {
		t.Run(name, func(t *testing.T) {
			c := consentFromXMLString(t, string(sdktest.Testdata(t, name)))
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

// TestConsentStatements: how a patient-privacy Consent becomes statements:
// its state from status and provision type, recipients and purposes
// through the configuration (an actor it does not know gives no statement
// at all), the period's partial dates as whole days.
func TestConsentStatements(t *testing.T) {
	cc := &ConsentConfig{Recipients: map[string]string{"Organization/o1": "opvang-zuid", "urn:oid:1|42": "kernpartners"},
		Purposes: map[string]string{"TREAT": "zorgcoordinatie"}, Purpose: "aanmelding"}
	tests := []struct {
		name, status, typ, actors, purposes, period string
		want                                        string // state recipient/purpose ... or the problem's code
	}{
		{"Permit", "active", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[{"code": "TREAT"}]`, "", "given opvang-zuid/zorgcoordinatie"},
		{"Deny", "active", "deny", `[{"reference": {"identifier": {"system": "urn:oid:1", "value": "42"}}}]`, `[]`, "", "refused kernpartners/aanmelding"},
		{"Rejected", "rejected", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[]`, "", "refused opvang-zuid/aanmelding"},
		{"Inactive", "inactive", "permit", `[{"reference": {"reference": "Organization/o1"}}, {"reference": {"identifier": {"system": "urn:oid:1", "value": "42"}}}]`, `[]`, "",
			"withdrawn opvang-zuid/aanmelding withdrawn kernpartners/aanmelding"},
		{"EnteredInError", "entered-in-error", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[]`, "", "withdrawn opvang-zuid/aanmelding"},
		{"Draft", "draft", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[]`, "", ""},
		{"UnknownActor", "active", "permit", `[{"reference": {"reference": "Organization/o1"}}, {"reference": {"reference": "Organization/o2"}}]`, `[]`, "", "FIELD_VALUE"},
		{"NoActorNoDefault", "active", "permit", `[]`, `[]`, "", "FIELD_REQUIRED"},
		{"UnknownPurpose", "active", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[{"code": "HRESCH"}]`, "", "FIELD_VALUE"},
		{"PartialPeriod", "active", "permit", `[{"reference": {"reference": "Organization/o1"}}]`, `[]`, `{"start": "2024-02", "end": "2024-02"}`,
			"given opvang-zuid/aanmelding 2024-02-01..2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			period := ""
			if tt.period != "" {
				period = `, "period": ` + tt.period
			}
			c := parseConsentJSON(t, `{"resourceType": "Consent", "id": "c1", "status": "`+tt.status+`",
				"scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
				"category": [{"coding": [{"code": "x"}]}], "patient": {"reference": "Patient/p1"}, "policyRule": {"text": "opt-in"},
				"provision": {"type": "`+tt.typ+`", "actor": `+tt.actors+`, "purpose": `+tt.purposes+period+`}}`)
			cfg := *cc
			if tt.name == "NoActorNoDefault" {
				cfg.Recipient = ""
			} else {
				cfg.Recipient = "opvang-zuid"
			}
			sts, ps := c.statements(&cfg, "ggz-oost", "Consent/c1", "Patient/p1")
			var got []string
			for _, p := range ps {
				got = append(got, p.code)
			}
			for _, st := range sts {
				s := st.State + " " + st.Recipient + "/" + st.Purpose
				if st.ValidFrom != "" {
					s += " " + st.ValidFrom + ".." + st.ValidUntil
				}
				got = append(got, s)
				if st.Client.RecordKey != "Patient/p1" || st.Source.ConsentKey != "Consent/c1" || (st.State == "given") != (st.EvidenceRef == "Consent/c1") {
					t.Errorf("statement %+v", st)
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// TestActorIdentifierFromXML: an actor named by identifier is read from XML too.
func TestActorIdentifierFromXML(t *testing.T) {
	xml := `<Consent xmlns="http://hl7.org/fhir"><id value="c1"/><provision><actor><reference><identifier>
		<system value="http://fhir.nl/fhir/NamingSystem/ura"/><value value="12345678"/></identifier></reference></actor></provision></Consent>`
	c := consentFromXMLString(t, xml)
	if id := c.Provision.Actor[0].Reference.Identifier; id == nil || id.Value != "12345678" {
		t.Errorf("actor %+v", c.Provision.Actor)
	}
}

// TestMitzExamples decodes the Mitz examples of the shared data (read
// there: they are EUPL-licensed and not copied into this repository) with
// the consent configuration: none of them is a Consent (an XACML query, a
// Subscription, a Nationale Verwijsindex List), so none gives a statement,
// and none breaks Decode.
func TestMitzExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "mitz")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the shared data is not beside the repository: %v", err)
	}
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "consent")))
	for _, name := range []string{"mitz_xacml_example.xml", "mitz_example_subscription.xml", "nvi_bundle-transaction.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			w := decodeNamed(t, a, name, string(data))
			for _, c := range w.Chunks() {
				if len(c.Consents) > 0 || len(c.Records) > 0 {
					t.Errorf("chunk %+v from a document without Patient or Consent", c)
				}
			}
			if name == "mitz_xacml_example.xml" && (len(w.Errors()) != 1 || w.Errors()[0].Code != "DOC_HEADER") {
				t.Errorf("the XACML query gives %+v, want one DOC_HEADER (not FHIR)", w.Errors())
			}
		})
	}
}
