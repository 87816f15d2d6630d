package consent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/consent"
)

var (
	amsterdam = mustLocation("Europe/Amsterdam")
	t0        = time.Date(2025, 3, 1, 12, 0, 0, 0, amsterdam)
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestEffective(t *testing.T) {
	row := func(st consent.State, from, until time.Time) consent.Consent {
		return consent.Consent{Change: consent.Change{State: st, ValidFrom: from, ValidUntil: until}}
	}
	tests := []struct {
		name string
		c    consent.Consent
		at   time.Time
		want consent.State
	}{
		{"Given", row(consent.Given, t0, t0.Add(time.Hour)), t0, consent.Given},
		{"GivenOpenEnded", row(consent.Given, t0, time.Time{}), t0.AddDate(10, 0, 0), consent.Given},
		{"NotYetValid", row(consent.Given, t0, t0.Add(time.Hour)), t0.Add(-time.Nanosecond), consent.NotYetValid},
		{"LastInstant", row(consent.Given, t0, t0.Add(time.Hour)), t0.Add(time.Hour - time.Nanosecond), consent.Given},
		{"ExpiredAtValidUntil", row(consent.Given, t0, t0.Add(time.Hour)), t0.Add(time.Hour), consent.Expired},
		{"Refused", row(consent.Refused, t0, time.Time{}), t0, consent.Refused},
		{"WithdrawnStaysWithdrawn", row(consent.Withdrawn, t0, t0.Add(time.Hour)), t0.Add(2 * time.Hour), consent.Withdrawn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Effective(tt.at); got != tt.want {
				t.Errorf("Effective = %s, want %s", got, tt.want)
			}
			if got := tt.c.ValidAt(tt.at); got != (tt.want == consent.Given) {
				t.Errorf("ValidAt = %t", got)
			}
		})
	}
}

func TestBasisStream(t *testing.T) {
	if consent.Toestemming.Stream() != consent.StreamConsent || consent.Bemoeizorg.Stream() != consent.StreamGrant ||
		consent.WettelijkeGrondslag.Stream() != consent.StreamGrant {
		t.Error("streams")
	}
}

func TestDocument(t *testing.T) {
	v, err := consent.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    string
		issues []string // fields with an issue
	}{
		{"OK", `{"schema_version": "1", "source": {"partner": "ggz-oost", "consent_key": "TS-1"},
			"client": {"record_key": "ggz-0000001"}, "recipient": "kernpartners", "purpose": "zorgcoordinatie",
			"state": "given", "legal_basis": "toestemming", "valid_from": "2025-01-01", "valid_until": "2025-12-31",
			"evidence_ref": "formulier TS-1 in dossier", "registered_by": {"id": "w-17", "role": "behandelaar"},
			"registered_at": "2025-01-01T10:00:00+01:00"}`, nil},
		{"OKWithdrawnByChainID", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "withdrawn", "legal_basis": "toestemming"}`, nil},
		{"GivenWithoutEvidence", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "given", "legal_basis": "toestemming"}`,
			[]string{"evidence_ref"}},
		{"BemoeizorgWithoutJustificationAndEnd", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "given", "legal_basis": "bemoeizorg"}`,
			[]string{"justification"}}, // hub/schema names the first missing field
		{"LegalGroundWithoutReference", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "given", "legal_basis": "wettelijke_grondslag"}`,
			[]string{"legal_reference"}},
		{"RefusedBemoeizorg", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "refused", "legal_basis": "bemoeizorg"}`,
			[]string{"legal_basis"}},
		{"NoClient", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "withdrawn", "legal_basis": "toestemming"}`,
			[]string{"client.client_id", "client.record_key"}},
		{"Expired state is not stated", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "expired", "legal_basis": "toestemming"}`,
			[]string{"state"}},
		{"BadDate", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "withdrawn", "legal_basis": "toestemming",
			"valid_from": "31-12-2025"}`, []string{"valid_from"}},
		{"EvidenceItselfNotAllowed", `{"schema_version": "1", "source": {"partner": "ggz-oost"}, "client": {"client_id": "k-1"},
			"recipient": "ggz-oost", "purpose": "zorgcoordinatie", "state": "withdrawn", "legal_basis": "toestemming",
			"scan": "JVBERi0xLjQK"}`, []string{"scan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, issues, err := v.Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, is := range issues {
				fields = append(fields, is.Field)
			}
			for _, f := range tt.issues {
				if !contains(fields, f) {
					t.Errorf("no issue on %s; issues: %+v", f, issues)
				}
			}
			if len(tt.issues) == 0 && len(issues) > 0 {
				t.Errorf("issues on a valid statement: %+v", issues)
			}
			if len(issues) == 0 && d.SchemaVersion != "1" {
				t.Errorf("document not decoded: %+v", d)
			}
		})
	}
	if _, _, err := v.Parse([]byte(`{`)); err == nil {
		t.Error("no error on broken JSON")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDocumentChange(t *testing.T) {
	v, err := consent.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	d, issues, err := v.Parse([]byte(`{"schema_version": "1", "source": {"partner": "ggz-oost", "consent_key": "TS-1"},
		"client": {"record_key": "ggz-0000001"}, "recipient": "kernpartners", "purpose": "zorgcoordinatie",
		"state": "given", "legal_basis": "toestemming", "valid_from": "2025-01-01", "valid_until": "2025-06-30",
		"evidence_ref": "formulier TS-1", "registered_by": {"id": "w-17"}}`))
	if err != nil || len(issues) > 0 {
		t.Fatal(err, issues)
	}
	ch, err := d.Change("k-1", consent.Recorder{Kind: "partner", ID: "ggz-oost", Organisation: "ggz-oost", Role: "ketenpartner-systeem"})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 1, 1, 0, 0, 0, 0, amsterdam); !ch.ValidFrom.Equal(want) {
		t.Errorf("valid_from %v, want %v", ch.ValidFrom, want)
	}
	// The last day is included: the consent ends at the start of the next day.
	if want := time.Date(2025, 7, 1, 0, 0, 0, 0, amsterdam); !ch.ValidUntil.Equal(want) {
		t.Errorf("valid_until %v, want %v", ch.ValidUntil, want)
	}
	if ch.ClientID != "k-1" || ch.Source != "partner:ggz-oost" || ch.SourceRef != "TS-1" || ch.RecordedBy.ActingFor != "ggz-oost:w-17" {
		t.Errorf("change %+v", ch)
	}

	d.ValidUntil = "2025-06-30T18:00:00Z"
	ch, err = d.Change("k-1", consent.Recorder{ActingFor: "medewerker-3"})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 6, 30, 18, 0, 0, 0, time.UTC); !ch.ValidUntil.Equal(want) {
		t.Errorf("date-time valid_until %v, want %v", ch.ValidUntil, want)
	}
	if ch.RecordedBy.ActingFor != "medewerker-3" {
		t.Errorf("acting for %q", ch.RecordedBy.ActingFor)
	}
	d.ValidFrom = "morgen"
	if _, err := d.Change("k-1", consent.Recorder{}); err == nil || !strings.Contains(err.Error(), "valid_from") {
		t.Errorf("bad date: %v", err)
	}
}
