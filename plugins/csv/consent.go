package main

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// ConsentSpec is one entry of the configuration's consent list: where a
// row's consent statement is (see README.md, Toestemming).
type ConsentSpec struct {
	Column              string            `json:"column"`
	Values              map[string]string `json:"values"`
	Recipient           string            `json:"recipient"`
	RecipientColumn     string            `json:"recipient_column"`
	Purpose             string            `json:"purpose"`
	PurposeColumn       string            `json:"purpose_column"`
	LegalBasis          string            `json:"legal_basis"`
	LegalReference      string            `json:"legal_reference"`
	ValidFromColumn     string            `json:"valid_from_column"`
	ValidUntilColumn    string            `json:"valid_until_column"`
	Evidence            string            `json:"evidence"`
	EvidenceColumn      string            `json:"evidence_column"`
	JustificationColumn string            `json:"justification_column"`
	RegisteredByColumn  string            `json:"registered_by_column"`
}

// stateNone is the value of a state code that gives no statement.
const stateNone = "none"

// defaultConsentValues are the state codes understood without a table.
var defaultConsentValues = map[string]string{
	"ja": sdk.ConsentGiven, "j": sdk.ConsentGiven, "yes": sdk.ConsentGiven, "1": sdk.ConsentGiven, "given": sdk.ConsentGiven,
	"nee": sdk.ConsentRefused, "n": sdk.ConsentRefused, "no": sdk.ConsentRefused, "0": sdk.ConsentRefused,
	"geweigerd": sdk.ConsentRefused, "refused": sdk.ConsentRefused,
	"ingetrokken": sdk.ConsentWithdrawn, "withdrawn": sdk.ConsentWithdrawn,
	"": stateNone,
}

// consentColumn is a source column that consent statements read. Columns
// are shared between statements and bound like the configured columns.
type consentColumn struct {
	key   string // header name, or position as text
	index int    // 1-based position when the document has no header
	slot  int    // index in plan.consentCols
}

// consentField is one field of a statement: fixed, or from a column.
type consentField struct {
	fixed string
	col   *consentColumn
	path  string // consent.v1 field, for messages
	label string // Dutch name, for messages
	max   int    // the schema's maximum length
	id    bool   // a partner id or purpose: ^[a-z0-9][a-z0-9-]{0,62}$
}

// consentPlan is one checked ConsentSpec.
type consentPlan struct {
	state                        *consentColumn
	values                       map[string]string // folded code -> state
	basis, legalRef              string
	recipient, purpose, evidence consentField
	from, until, justification   consentField
	worker                       consentField
}

// consentID is the form of a recipient and a purpose (consent.v1).
var consentID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// setConsents checks the consent list and prepares its columns.
func (p *plan) setConsents(c *Config) error {
	cols := map[string]*consentColumn{}
	column := func(ptr, key string) (*consentColumn, error) {
		if key == "" {
			return nil, nil
		}
		k := mapping.Fold(key)
		if cc, ok := cols[k]; ok {
			return cc, nil
		}
		cc := &consentColumn{key: key, slot: len(p.consentCols)}
		if !p.header {
			n, err := strconv.Atoi(key)
			if err != nil || n < 1 || n > 10000 {
				return nil, mapping.ConfigErr(ptr, "zonder kopregel (header: false) heten kolommen naar hun positie: \"1\" is de eerste")
			}
			cc.index = n
		}
		cols[k] = cc
		p.consentCols = append(p.consentCols, cc)
		return cc, nil
	}
	for i, spec := range c.Consent {
		ptr := func(name string) string { return mapping.Pointer("consent", strconv.Itoa(i), name) }
		cp := &consentPlan{basis: spec.LegalBasis, legalRef: spec.LegalReference, values: defaultConsentValues}
		if cp.basis == "" {
			cp.basis = sdk.BasisToestemming
		}
		switch {
		case spec.Values != nil:
			cp.values = make(map[string]string, len(spec.Values))
			for code, st := range spec.Values {
				cp.values[mapping.Fold(code)] = st
			}
		case cp.basis != sdk.BasisToestemming:
			// A grant cannot be refused: "nee" ends it.
			cp.values = make(map[string]string, len(defaultConsentValues))
			for code, st := range defaultConsentValues {
				if st == sdk.ConsentRefused {
					st = sdk.ConsentWithdrawn
				}
				cp.values[code] = st
			}
		}
		for _, st := range cp.values {
			if st == sdk.ConsentRefused && cp.basis != sdk.BasisToestemming {
				return mapping.ConfigErr(ptr("values"), "alleen toestemming kan worden geweigerd (refused); beëindig een besluit met withdrawn")
			}
		}
		if cp.basis == sdk.BasisWettelijkeGrondslag && cp.legalRef == "" {
			return mapping.ConfigErr(ptr("legal_reference"), "een wettelijke grondslag vraagt een verwijzing naar het artikel of besluit")
		}
		gives := false
		for _, st := range cp.values {
			gives = gives || st == sdk.ConsentGiven
		}
		switch {
		case gives && cp.basis == sdk.BasisToestemming && spec.Evidence == "" && spec.EvidenceColumn == "":
			return mapping.ConfigErr(ptr("evidence"), "gegeven toestemming vraagt een verwijzing naar het bewijs: geef evidence of evidence_column")
		case gives && cp.basis == sdk.BasisBemoeizorg && (spec.JustificationColumn == "" || spec.ValidUntilColumn == ""):
			return mapping.ConfigErr(ptr("justification_column"), "bemoeizorg vraagt een onderbouwing en een einddatum: geef justification_column en valid_until_column")
		}
		var err error
		if cp.state, err = column(ptr("column"), spec.Column); err != nil {
			return err
		}
		fields := []struct {
			f                                *consentField
			fixed, colKey, name, path, label string
			max                              int
			id                               bool
		}{
			{&cp.recipient, spec.Recipient, spec.RecipientColumn, "recipient_column", "recipient", "ontvanger", 63, true},
			{&cp.purpose, spec.Purpose, spec.PurposeColumn, "purpose_column", "purpose", "doel", 63, true},
			{&cp.evidence, spec.Evidence, spec.EvidenceColumn, "evidence_column", "evidence_ref", "bewijs", 500, false},
			{&cp.from, "", spec.ValidFromColumn, "valid_from_column", "valid_from", "ingangsdatum", 0, false},
			{&cp.until, "", spec.ValidUntilColumn, "valid_until_column", "valid_until", "einddatum", 0, false},
			{&cp.justification, "", spec.JustificationColumn, "justification_column", "justification", "onderbouwing", 2000, false},
			{&cp.worker, "", spec.RegisteredByColumn, "registered_by_column", "registered_by.id", "medewerker", 200, false},
		}
		for _, f := range fields {
			*f.f = consentField{fixed: f.fixed, path: "consent." + f.path, label: f.label, max: f.max, id: f.id}
			if f.f.col, err = column(ptr(f.name), f.colKey); err != nil {
				return err
			}
		}
		p.consents = append(p.consents, cp)
	}
	return nil
}

// consentRef names a consent column for a message.
func (m *mapper) consentRef(c *consentColumn) string {
	if m.p.header {
		return "kolom '" + c.key + "'"
	}
	return "kolom " + c.key
}

// mapConsents reads the consent statements of a row with record key key.
// It returns them, or the problems found: messages name the field and the
// column, never the value.
func (m *mapper) mapConsents(line int, row []string, key string) ([]sdk.Consent, []sdk.RecordError) {
	var out []sdk.Consent
	var errs []sdk.RecordError
	fail := func(c *consentColumn, path, label, code, format string, args ...any) {
		e := sdk.RecordError{Line: line, Field: path, RecordKey: key, Code: code}
		where := "vaste waarde"
		if c != nil {
			e.Column, where = m.cpos[c.slot]+1, m.consentRef(c)
		}
		e.Message = fmt.Sprintf("toestemming: %s (veld %s, %s) ", label, path, where) + fmt.Sprintf(format, args...)
		errs = append(errs, e)
	}
	get := func(f consentField) string {
		if f.col == nil {
			return f.fixed
		}
		v := m.m.Clean(row[m.cpos[f.col.slot]])
		switch {
		case v == "":
		case f.id && !consentID.MatchString(v):
			fail(f.col, f.path, f.label, sdk.CodeFieldFormat, "is geen id uit roles.yaml (kleine letters, cijfers en '-')")
			return ""
		case f.max > 0 && utf8.RuneCountInString(v) > f.max:
			fail(f.col, f.path, f.label, sdk.CodeFieldFormat, "is langer dan %d tekens", f.max)
			return ""
		}
		return v
	}
	date := func(f consentField) string {
		v := get(f)
		if v == "" {
			return ""
		}
		d, ok := m.p.ParseDate(v)
		if !ok {
			fail(f.col, f.path, f.label, sdk.CodeDate, "is geen geldige datum (verwacht %s)", m.p.DateLayoutsText())
			return ""
		}
		return d
	}
	for _, cp := range m.p.consents {
		n := len(errs)
		state, ok := mapping.LookupFold(cp.values, m.m.Clean(row[m.cpos[cp.state.slot]]))
		if !ok {
			fail(cp.state, "consent.state", "status", sdk.CodeValueUnknown, "heeft een waarde die niet in de waardentabel staat")
			continue
		}
		if state == stateNone {
			continue
		}
		st := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: m.p.Partner}, Client: sdk.ConsentClient{RecordKey: key},
			State: state, LegalBasis: cp.basis, LegalRef: cp.legalRef,
			Recipient: get(cp.recipient), Purpose: get(cp.purpose), EvidenceRef: get(cp.evidence),
			ValidFrom: date(cp.from), ValidUntil: date(cp.until), Justification: get(cp.justification)}
		if w := get(cp.worker); w != "" {
			st.RegisteredBy = &sdk.ConsentWorker{ID: w}
		}
		required := []struct {
			f  consentField
			ok bool
		}{
			{cp.recipient, st.Recipient != ""},
			{cp.purpose, st.Purpose != ""},
			{cp.evidence, state != sdk.ConsentGiven || cp.basis != sdk.BasisToestemming || st.EvidenceRef != ""},
			{cp.justification, state != sdk.ConsentGiven || cp.basis != sdk.BasisBemoeizorg || st.Justification != ""},
			{cp.until, state != sdk.ConsentGiven || cp.basis != sdk.BasisBemoeizorg || st.ValidUntil != ""},
		}
		for _, r := range required {
			if !r.ok && len(errs) == n {
				fail(r.f.col, r.f.path, r.f.label, sdk.CodeRequired, "ontbreekt; een verklaring met status %s en grondslag %s vraagt erom", state, cp.basis)
			}
		}
		if len(errs) > n {
			continue
		}
		out = append(out, st.Consent(line))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
