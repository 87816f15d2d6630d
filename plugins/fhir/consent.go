package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// consent is a FHIR R4 Consent, as far as the chain needs one: whose it is,
// what it covers (scope, category, policy), whether it is in force (status,
// provision period) and whether it permits or denies. Decode validates every
// Consent; with the consent configuration a valid patient-privacy Consent
// becomes consent statements for the hub (statements).
type consent struct {
	resourceHead
	Meta       *meta             `json:"meta"`
	Status     string            `json:"status"`
	Scope      *codeableConcept  `json:"scope"`
	Category   []codeableConcept `json:"category"`
	Patient    *reference        `json:"patient"`
	DateTime   string            `json:"dateTime"`
	Policy     []consentPolicy   `json:"policy"`
	PolicyRule *codeableConcept  `json:"policyRule"`
	Provision  *provision        `json:"provision"`
}

type consentPolicy struct {
	Authority string `json:"authority"`
	URI       string `json:"uri"`
}

// provision is a rule of a consent; provisions nest.
type provision struct {
	Type      string            `json:"type"`
	Period    *period           `json:"period"`
	Actor     []provisionActor  `json:"actor"`
	Purpose   []coding          `json:"purpose"`
	Code      []codeableConcept `json:"code"`
	Provision []provision       `json:"provision"`
}

type provisionActor struct {
	Role      *codeableConcept `json:"role"`
	Reference *reference       `json:"reference"`
}

// scopeSystem is the code system of Consent.scope.
const scopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope"

var (
	consentStatuses = []string{"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
	consentScopes   = []string{"adr", "research", "patient-privacy", "treatment"}
	// patientRef is a reference to a Patient: relative, absolute or a
	// urn:uuid of a transaction.
	patientRef = regexp.MustCompile(`^((https?://\S+/)?Patient/[A-Za-z0-9\-.]{1,64}(/_history/[A-Za-z0-9\-.]{1,64})?|urn:uuid:[0-9a-fA-F-]{36})$`)
)

// problem is one reason why a resource cannot be taken: a FHIR path, a
// stable code and a Dutch message without personal data.
type problem struct {
	field, code, msg string
}

// validate checks the consent against the rules of FHIR R4 that the chain
// depends on: a status and scope from their value sets, a category, the
// patient it belongs to (invariants ppc-2 to ppc-5 make it required for
// every scope), a policy or policy rule (ppc-1), valid dates, and provisions
// that permit or deny within a period that ends after it starts. It returns
// every problem found; none means the consent can be used.
func (c *consent) validate() []problem {
	var ps []problem
	add := func(field, code, format string, args ...any) {
		ps = append(ps, problem{field: field, code: code, msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Status == "":
		add("Consent.status", sdk.CodeRequired, "de status ontbreekt")
	case !slices.Contains(consentStatuses, c.Status):
		add("Consent.status", sdk.CodeValueUnknown, "de status is geen %s", strings.Join(consentStatuses, ", "))
	}
	switch {
	case c.Scope == nil || len(c.Scope.Coding) == 0:
		add("Consent.scope", sdk.CodeRequired, "de scope ontbreekt")
	case c.scope() == "":
		add("Consent.scope", sdk.CodeValueUnknown, "de scope heeft geen code %s uit %s", strings.Join(consentScopes, ", "), scopeSystem)
	}
	if len(c.Category) == 0 {
		add("Consent.category", sdk.CodeRequired, "de categorie ontbreekt")
	}
	switch {
	case c.Patient == nil || c.Patient.Reference == "":
		add("Consent.patient", sdk.CodeRequired, "de verwijzing naar de patiënt ontbreekt (verplicht bij elke scope, FHIR-regels ppc-2 tot ppc-5)")
	case !patientRef.MatchString(c.Patient.Reference):
		add("Consent.patient", sdk.CodeFieldFormat, "de verwijzing naar de patiënt is geen Patient/<id>, volledige URL of urn:uuid")
	}
	if len(c.Policy) == 0 && c.PolicyRule == nil {
		add("Consent.policy", sdk.CodeRequired, "policy en policyRule ontbreken allebei; een van beide is verplicht (FHIR-regel ppc-1)")
	}
	if c.DateTime != "" {
		if _, ok := parseFHIRTime(c.DateTime); !ok {
			add("Consent.dateTime", sdk.CodeDate, "dateTime is geen FHIR-datum of -tijdstip")
		}
	}
	if c.Provision != nil {
		c.Provision.validate("Consent.provision", add)
	}
	return ps
}

// validate checks a provision and the provisions it holds.
func (p *provision) validate(path string, add func(field, code, format string, args ...any)) {
	if p.Type != "" && p.Type != "permit" && p.Type != "deny" {
		add(path+".type", sdk.CodeValueUnknown, "het type van de bepaling is geen permit of deny")
	}
	if p.Period != nil {
		start, okS := parseFHIRTime(p.Period.Start)
		end, okE := parseFHIRTime(p.Period.End)
		switch {
		case p.Period.Start != "" && !okS:
			add(path+".period.start", sdk.CodeDate, "het begin van de periode is geen FHIR-datum of -tijdstip")
		case p.Period.End != "" && !okE:
			add(path+".period.end", sdk.CodeDate, "het einde van de periode is geen FHIR-datum of -tijdstip")
		case okS && okE && end.Before(start):
			add(path+".period.end", sdk.CodeDate, "het einde van de periode ligt vóór het begin")
		}
	}
	for i := range p.Provision {
		p.Provision[i].validate(fmt.Sprintf("%s.provision[%d]", path, i), add)
	}
}

// scope returns the consent's scope code (patient-privacy, treatment, ...),
// or "" when it has none from the scope code system.
func (c *consent) scope() string {
	if c.Scope == nil {
		return ""
	}
	for _, cd := range c.Scope.Coding {
		if cd.System == scopeSystem && slices.Contains(consentScopes, cd.Code) {
			return cd.Code
		}
	}
	return ""
}

// permits reports whether a valid consent permits at time at: it is active,
// its base provision does not deny, and at falls in the provision's period.
// Nested provisions (exceptions for some data or actors) are not weighed:
// that is the policy engine's work once consent is wired into the hub.
func (c *consent) permits(at time.Time) bool {
	if c.Status != "active" {
		return false
	}
	p := c.Provision
	if p == nil {
		return true
	}
	if p.Type == "deny" {
		return false
	}
	if p.Period != nil {
		if start, ok := parseFHIRTime(p.Period.Start); ok && at.Before(start) {
			return false
		}
		if end, ok := parseFHIRTime(p.Period.End); ok && !at.Before(endOf(p.Period.End, end)) {
			return false
		}
	}
	return true
}

// endOf returns the first moment after a period end written with precision
// s: the end of that year, month or day, or the instant itself.
func endOf(s string, t time.Time) time.Time {
	switch len(s) {
	case 4:
		return t.AddDate(1, 0, 0)
	case 7:
		return t.AddDate(0, 1, 0)
	case 10:
		return t.AddDate(0, 0, 1)
	}
	return t
}

// fhirDate is the form of a FHIR date: a year, a month or a day.
var fhirDate = regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$`)

// parseFHIRTime reads a FHIR date, dateTime or instant: 2011, 2011-08,
// 2011-08-15 or 2011-08-15T10:00:00+02:00. A date without time is midnight
// UTC.
func parseFHIRTime(s string) (time.Time, bool) {
	if fhirDate.MatchString(s) {
		layout := map[int]string{4: "2006", 7: "2006-01", 10: time.DateOnly}[len(s)]
		t, err := time.Parse(layout, s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// scopePrivacy is the scope of a Consent about sharing data; the other
// scopes (advance directives, research, treatment) are not about sharing
// and give no statement.
const scopePrivacy = "patient-privacy"

// sharingState is what a Consent amounts to as a consent statement: active
// and permitting is given, active and denying or rejected is refused, and
// inactive (ended) or entered-in-error (never valid) is withdrawn. A draft
// or proposed Consent is not in force and gives nothing.
func (c *consent) sharingState() (string, bool) {
	switch c.Status {
	case "active":
		if c.Provision != nil && c.Provision.Type == "deny" {
			return sdk.ConsentRefused, true
		}
		return sdk.ConsentGiven, true
	case "rejected":
		return sdk.ConsentRefused, true
	case "inactive", "entered-in-error":
		return sdk.ConsentWithdrawn, true
	}
	return "", false
}

// statements maps a valid patient-privacy Consent onto one consent
// statement per recipient and purpose, for the Patient with record key
// patientKey; key is the Consent's own key (Consent/<id>), the statement's
// consent key and, for given consent, its evidence. Every actor of the base
// provision must be in cc.Recipients and, when it names purposes, one of
// them in cc.Purposes: a Consent the configuration cannot place gives no
// statement at all, only its problems, never a guess.
func (c *consent) statements(cc *ConsentConfig, partner, key, patientKey string) ([]sdk.ConsentStatement, []problem) {
	state, ok := c.sharingState()
	if !ok || c.scope() != scopePrivacy {
		return nil, nil
	}
	var ps []problem
	p := c.Provision
	if p == nil {
		p = &provision{}
	}
	var recipients []string
	for i, a := range p.Actor {
		field := fmt.Sprintf("Consent.provision.actor[%d].reference", i)
		r, ok := "", false
		if a.Reference != nil {
			if r, ok = cc.Recipients[a.Reference.Reference]; !ok && a.Reference.Identifier != nil {
				r, ok = cc.Recipients[a.Reference.Identifier.System+"|"+a.Reference.Identifier.Value]
			}
		}
		if !ok {
			ps = append(ps, problem{field, sdk.CodeValueUnknown, "de actor staat niet in consent.recipients van de configuratie; de toestemming is niet doorgegeven"})
			continue
		}
		if !slices.Contains(recipients, r) {
			recipients = append(recipients, r)
		}
	}
	if len(p.Actor) == 0 {
		if cc.Recipient == "" {
			ps = append(ps, problem{"Consent.provision.actor", sdk.CodeRequired, "de bepaling noemt geen actor en de configuratie geen consent.recipient"})
		}
		recipients = append(recipients, cc.Recipient)
	}
	var purposes []string
	for _, cd := range p.Purpose {
		if pu, ok := cc.Purposes[cd.Code]; ok && !slices.Contains(purposes, pu) {
			purposes = append(purposes, pu)
		}
	}
	switch {
	case len(purposes) > 0:
	case len(p.Purpose) > 0:
		ps = append(ps, problem{"Consent.provision.purpose", sdk.CodeValueUnknown, "geen van de doelen staat in consent.purposes van de configuratie; de toestemming is niet doorgegeven"})
	case cc.Purpose == "":
		ps = append(ps, problem{"Consent.provision.purpose", sdk.CodeRequired, "de bepaling noemt geen doel en de configuratie geen consent.purpose"})
	default:
		purposes = append(purposes, cc.Purpose)
	}
	if key == "" {
		ps = append(ps, problem{"Consent.id", sdk.CodeRequired, "de Consent heeft geen id en de entry geen fullUrl; zonder die is de toestemming niet terug te vinden"})
	}
	if len(ps) > 0 {
		return nil, ps
	}
	base := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: partner, ConsentKey: key},
		Client: sdk.ConsentClient{RecordKey: patientKey}, State: state, LegalBasis: sdk.BasisToestemming}
	if p.Period != nil {
		base.ValidFrom, base.ValidUntil = consentDate(p.Period.Start, false), consentDate(p.Period.End, true)
	}
	if state == sdk.ConsentGiven {
		base.EvidenceRef = key
	}
	var out []sdk.ConsentStatement
	for _, r := range recipients {
		for _, pu := range purposes {
			st := base
			st.Recipient, st.Purpose = r, pu
			out = append(out, st)
		}
	}
	return out, nil
}

// consentDate writes a FHIR date or dateTime of a period as a statement
// does: a year or month becomes its first day, or for the end its last; a
// day or a moment stays as it is.
func consentDate(s string, end bool) string {
	switch len(s) {
	case 4:
		if end {
			return s + "-12-31"
		}
		return s + "-01-01"
	case 7:
		if !end {
			return s + "-01"
		}
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[5:])
		return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	return s
}
