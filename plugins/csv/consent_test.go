package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// consentConfig is GGZ Oost's configuration with the consent columns of
// testdata/consent-ggz-oost.csv, as README.md (Toestemming) shows them.
func consentConfig(t testing.TB) []byte {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(partnerConfig(t, "ggz-oost"), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["consent"] = []any{map[string]any{
		"column":            "toestemming",
		"values":            map[string]string{"ja": "given", "j": "given", "nee": "refused", "ingetrokken": "withdrawn", "": "none"},
		"recipient_column":  "delen_met",
		"purpose":           "zorgcoordinatie",
		"valid_from_column": "toestemming_datum",
		"evidence_column":   "formulier",
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenConsent: the consent columns give a statement per row, after
// its record; a row with a consent problem is not delivered, and every
// problem names the field and column.
func TestGoldenConsent(t *testing.T) {
	checkGolden(t, mustAdapter(t, "ggz-oost", string(consentConfig(t))), "consent-ggz-oost")
}

// TestConsentConformance runs the conformance suite with the consent
// columns: statements that satisfy consent.v1 and follow their records,
// and a source digest that covers the consent columns (the next export
// withdraws a consent of an otherwise unchanged row).
func TestConsentConformance(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "consent-ggz-oost.csv"))
	if err != nil {
		t.Fatal(err)
	}
	next := bytes.Replace(data, []byte(";ja;01-03-2025;TF-2025-031;"), []byte(";ingetrokken;01-03-2025;TF-2025-031;"), 1)
	if bytes.Equal(next, data) {
		t.Fatal("the sample changed; adapt the next export")
	}
	sdktest.Run(t, newAdapter(), sdktest.Config{
		Partner:       "ggz-oost",
		AdapterConfig: consentConfig(t),
		Samples:       []sdktest.Sample{{Name: "consent-ggz-oost.csv", Data: data, WantRecords: 4, WantErrors: 5, WantConsents: 3}},
		NextExport:    next,
	})
}

// TestConsentConfig: configurations of consent columns that cannot work are
// refused with the field that is wrong.
func TestConsentConfig(t *testing.T) {
	base := `{"delimiter": ";", "columns": {"nr": "source.record_key", "naam": "client.surname"}, "consent": [%s]}`
	tests := []struct{ name, consent, field string }{
		{"NoRecipient", `{"column": "t", "purpose": "zorgcoordinatie", "evidence": "formulier"}`, "/consent/0"},
		{"TwoRecipients", `{"column": "t", "recipient": "a", "recipient_column": "b", "purpose": "zorgcoordinatie", "evidence": "formulier"}`, "/consent/0"},
		{"NoEvidence", `{"column": "t", "recipient": "opvang-zuid", "purpose": "zorgcoordinatie"}`, "/consent/0/evidence"},
		{"BemoeizorgWithoutEnd", `{"column": "t", "recipient": "opvang-zuid", "purpose": "zorgcoordinatie", "legal_basis": "bemoeizorg", "justification_column": "j"}`, "/consent/0/justification_column"},
		{"RefusedGrant", `{"column": "t", "recipient": "opvang-zuid", "purpose": "zorgcoordinatie", "legal_basis": "wettelijke_grondslag", "legal_reference": "art. 1", "values": {"x": "refused"}}`, "/consent/0/values"},
		{"GroundWithoutReference", `{"column": "t", "recipient": "opvang-zuid", "purpose": "zorgcoordinatie", "legal_basis": "wettelijke_grondslag", "values": {"x": "withdrawn"}}`, "/consent/0/legal_reference"},
		{"UnknownState", `{"column": "t", "recipient": "opvang-zuid", "purpose": "zorgcoordinatie", "evidence": "f", "values": {"x": "misschien"}}`, "/consent/0/values/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newAdapter().Configure(context.Background(), "ggz-oost", []byte(strings.Replace(base, "%s", tt.consent, 1)))
			ce, ok := err.(*sdk.ConfigError)
			if !ok || !strings.HasPrefix(ce.Field, tt.field) || ce.Message == "" {
				t.Errorf("error %v, want a ConfigError at %s", err, tt.field)
			}
		})
	}
}

// TestConsentUnchangedRow: a row the hub holds, with the same consent,
// gives no statement again; with the consent changed it is delivered.
func TestConsentUnchangedRow(t *testing.T) {
	a := mustAdapter(t, "ggz-oost", string(consentConfig(t)))
	data, err := os.ReadFile(filepath.Join("testdata", "consent-ggz-oost.csv"))
	if err != nil {
		t.Fatal(err)
	}
	first := decodeString(t, a, string(data))
	var digests []byte
	for _, r := range first.Records() {
		digests = append(digests, r.SourceDigest...)
	}
	known, err := sdk.NewDigestSet(digests)
	if err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(string(data), ";ja;01-03-2025;TF-2025-031;", ";ingetrokken;01-03-2025;TF-2025-031;", 1)
	w := &sdktest.Recorder{}
	if err := a.Decode(context.Background(), sdk.Document{ID: "doc-2", Partner: "ggz-oost", Known: known}, strings.NewReader(next), w); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range w.Chunks() {
		for _, st := range c.Consents {
			keys = append(keys, st.RecordKey+":"+string(st.JSON[strings.Index(string(st.JSON), `"state"`):][:20]))
		}
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], `ggz-7000001:"state":"withdrawn"`) {
		t.Errorf("statements of the next export %q, want only ggz-7000001 withdrawn", keys)
	}
}
