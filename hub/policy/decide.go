package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/consent"
)

// Subject is who asks: a person in a role, or a partner's system. The API
// layer fills it from the authenticated subject (hub/auth).
type Subject struct {
	Kind SubjectKind
	// ID identifies the user, or is the partner id of a partner system.
	ID string
	// Organisation is the partner id of the user's organisation; for a
	// partner system its own id (or empty).
	Organisation string
	// Role is the user's role. For a partner system the role comes from
	// roles.yaml (partners); a different role here is refused.
	Role string
	// ActingFor is on whose behalf the subject acts (NEN 7513). It is
	// carried into the decision for the audit log; it grants nothing.
	ActingFor string
}

// ClientFacts are the facts about one chain client that a decision needs,
// filled in by the caller from the store: the client's active
// registrations give its target groups, municipalities and the partners
// that serve it.
type ClientFacts struct {
	// ID is the opaque chain client id.
	ID string
	// TargetGroups of the client's active registrations.
	TargetGroups []string
	// Municipalities of the client's active registrations.
	Municipalities []string
	// Organisations are the partners with an active registration of the client.
	Organisations []string
}

// Request is one question to the decision point.
type Request struct {
	Subject   Subject
	Purpose   string
	Operation Operation
	// Client is the client concerned; nil for operations on no client.
	Client *ClientFacts
	// Source is the partner whose registration is to be shown; empty for
	// the client as a whole. A partner always sees its own registrations,
	// and a user those of the user's own organisation (basis
	// own_registration), without consent.
	Source string
	// Classes are the classes asked for; empty means all the subject may see.
	Classes []Class
	// Fields are the fields asked for (dotted paths, a path covers the
	// fields below it); empty means all. They narrow Decision.Fields only.
	Fields []string
}

// BasisKind is on what ground a decision allows.
type BasisKind string

// Bases of an allowing decision.
const (
	// BasisOwnRegistration: the subject's own organisation registered the record.
	BasisOwnRegistration BasisKind = "own_registration"
	// BasisConsent: the client consented (toestemming), see ConsentID.
	BasisConsent BasisKind = "consent"
	// BasisBemoeizorg: a bemoeizorg grant, see ConsentID.
	BasisBemoeizorg BasisKind = "bemoeizorg"
	// BasisLegalGround: a wettelijke grondslag for this client, see ConsentID.
	BasisLegalGround BasisKind = "wettelijke_grondslag"
	// BasisPurpose: the purpose needs no consent; see LegalGround.
	BasisPurpose BasisKind = "purpose_ground"
	// BasisRole: an operation on no client's data, allowed by the role alone.
	BasisRole BasisKind = "role"
)

// Basis explains on what ground a decision allows: always the role rule
// (Role, Purpose), and for client data the ground per client.
type Basis struct {
	Kind    BasisKind `json:"kind"`
	Role    string    `json:"role,omitempty"`
	Purpose string    `json:"purpose,omitempty"`
	// ConsentID is the consent registry row the decision rests on.
	ConsentID int64 `json:"consent_id,omitempty"`
	// Recipient is the recipient of that row: the partner or its group.
	Recipient string `json:"recipient,omitempty"`
	// LegalGround is the purpose's ground or the grant's legal reference.
	LegalGround string `json:"legal_ground,omitempty"`
	// ValidUntil is when the consent or grant ends, if it does.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// Reason is one step of a decision: a stable code and a Dutch message.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Decision is the answer to a Request. The zero Decision denies.
type Decision struct {
	Allowed bool `json:"allowed"`
	// ClientID is the client the decision is about, if any.
	ClientID string `json:"client_id,omitempty"`
	// Role is the role the decision was taken for (for a partner system, from roles.yaml).
	Role      string    `json:"role,omitempty"`
	Purpose   string    `json:"purpose"`
	Operation Operation `json:"operation"`
	// Classes are the visible classes; Fields the visible leaf fields
	// (within Request.Fields). Filter the data with Classes.
	Classes []Class  `json:"classes"`
	Fields  []string `json:"fields"`
	// AggregatesOnly is set for read_stats: counts after Suppress, never rows.
	AggregatesOnly bool `json:"aggregates_only,omitempty"`
	// Basis is set when Allowed.
	Basis *Basis `json:"basis,omitempty"`
	// Reasons explain the decision, the deciding one first.
	Reasons []Reason `json:"reasons"`
	// PolicyRevision is the sha256 of the roles.yaml that decided.
	PolicyRevision string `json:"policy_revision"`
}

// Code returns the code of the deciding reason.
func (d Decision) Code() string {
	if len(d.Reasons) == 0 {
		return CodeDenied
	}
	return d.Reasons[0].Code
}

// Stable reason codes.
const (
	CodeDenied              = "DENIED"
	CodePolicyNotLoaded     = "POLICY_NOT_LOADED"
	CodeSubjectInvalid      = "SUBJECT_INVALID"
	CodeRoleUnknown         = "ROLE_UNKNOWN"
	CodeRoleMismatch        = "ROLE_MISMATCH"
	CodeRoleNotForSubject   = "ROLE_NOT_FOR_SUBJECT"
	CodeOperationUnknown    = "OPERATION_UNKNOWN"
	CodeOperationNotAllowed = "OPERATION_NOT_ALLOWED"
	CodePurposeUnknown      = "PURPOSE_UNKNOWN"
	CodePurposeNotAllowed   = "PURPOSE_NOT_ALLOWED"
	CodeClientMissing       = "CLIENT_MISSING"
	CodeOutOfScope          = "OUT_OF_SCOPE"
	CodeNoClasses           = "NO_CLASSES"
	CodeConsentNone         = "CONSENT_NONE"
	CodeConsentUnavailable  = "CONSENT_UNAVAILABLE"
	CodeConsentRefused      = "CONSENT_REFUSED"
	CodeConsentWithdrawn    = "CONSENT_WITHDRAWN"
	CodeConsentExpired      = "CONSENT_EXPIRED"
	CodeConsentNotYetValid  = "CONSENT_NOT_YET_VALID"
	CodeGrantEnded          = "GRANT_ENDED"

	CodeAllowedRole            = "ALLOWED_ROLE"
	CodeAllowedOwn             = "ALLOWED_OWN_REGISTRATION"
	CodeAllowedPurpose         = "ALLOWED_PURPOSE_GROUND"
	CodeAllowedConsent         = "ALLOWED_CONSENT"
	CodeAllowedBemoeizorg      = "ALLOWED_BEMOEIZORG"
	CodeAllowedLegalGround     = "ALLOWED_LEGAL_GROUND"
	CodeAllowedNoData          = "ALLOWED_NO_DATA"
	CodeClassesCappedPurpose   = "CLASSES_CAPPED_BY_PURPOSE"
	CodeClassesCappedBemoeizrg = "CLASSES_CAPPED_BY_BEMOEIZORG"
	CodeClassWithheld          = "CLASS_WITHHELD"
)

// prepared is a request checked up to the point where consent matters.
type prepared struct {
	d       Decision
	done    bool // d is final
	role    Role
	purpose Purpose
	org     string
	classes []Class // visible classes before the consent basis
	// needConsent: the decision rests on the client's consent or a grant.
	needConsent bool
}

func (pr *prepared) deny(code, format string, args ...any) {
	pr.d.Allowed = false
	pr.d.Classes, pr.d.Fields, pr.d.Basis = []Class{}, []string{}, nil
	pr.d.Reasons = append([]Reason{{Code: code, Message: fmt.Sprintf(format, args...)}}, pr.d.Reasons...)
	pr.done = true
}

func (pr *prepared) note(code, format string, args ...any) {
	pr.d.Reasons = append(pr.d.Reasons, Reason{Code: code, Message: fmt.Sprintf(format, args...)})
}

// allow finishes an allowing decision on basis b with classes.
func (pr *prepared) allow(req Request, b Basis, code, msg string, classes []Class) {
	if req.Operation.DisclosesData() {
		classes = pr.requested(req, classes)
		if len(classes) == 0 {
			pr.deny(CodeNoClasses, "geen van de gevraagde gegevens is zichtbaar voor rol %q", pr.d.Role)
			return
		}
	}
	pr.d.Allowed = true
	pr.d.Basis = &b
	pr.d.Classes = classes
	pr.d.Fields = fieldsWithin(Fields(classes), req.Fields)
	if len(classes) == 0 {
		pr.d.Fields = []string{}
	}
	pr.d.Reasons = append([]Reason{{Code: code, Message: msg}}, pr.d.Reasons...)
	pr.done = true
}

// requested narrows classes to those asked for, noting what is withheld.
func (pr *prepared) requested(req Request, classes []Class) []Class {
	if len(req.Classes) == 0 {
		return classes
	}
	var withheld []string
	for _, c := range req.Classes {
		if !slices.Contains(classes, c) {
			withheld = append(withheld, string(c))
		}
	}
	if len(withheld) > 0 {
		pr.note(CodeClassWithheld, "niet zichtbaar: %s", strings.Join(withheld, ", "))
	}
	out := intersect(classes, req.Classes)
	if out == nil {
		out = []Class{}
	}
	return out
}

// prepare takes every step of the decision that does not need consent.
func (p *Policy) prepare(req Request) *prepared {
	pr := &prepared{d: Decision{
		Purpose: req.Purpose, Operation: req.Operation, PolicyRevision: p.Revision,
		Classes: []Class{}, Fields: []string{}, Reasons: []Reason{},
	}}
	if req.Client != nil {
		pr.d.ClientID = req.Client.ID
	}
	s := req.Subject
	pr.org = s.Organisation
	switch s.Kind {
	case User:
		if s.ID == "" || s.Organisation == "" {
			pr.deny(CodeSubjectInvalid, "een gebruiker heeft een id en een organisatie nodig")
			return pr
		}
	case Partner:
		if pr.org == "" {
			pr.org = s.ID
		}
		if s.ID == "" || pr.org != s.ID {
			pr.deny(CodeSubjectInvalid, "een partnersysteem heeft een id en is zijn eigen organisatie")
			return pr
		}
	default:
		pr.deny(CodeSubjectInvalid, "onbekend soort gebruiker %q", s.Kind)
		return pr
	}
	if !req.Operation.known() {
		pr.deny(CodeOperationUnknown, "onbekende handeling %q", req.Operation)
		return pr
	}
	purpose, ok := p.Purposes[req.Purpose]
	if !ok {
		pr.deny(CodePurposeUnknown, "doel %q is niet bekend", req.Purpose)
		return pr
	}
	pr.purpose = purpose

	// A partner always sees its own registrations.
	if s.Kind == Partner && req.Source != "" && req.Source == s.ID && req.Operation.DisclosesData() {
		pr.d.Role = p.Partners[s.ID]
		if req.Client == nil || req.Client.ID == "" {
			pr.deny(CodeClientMissing, "de handeling %s vraagt om een cliënt", req.Operation)
			return pr
		}
		pr.allow(req, Basis{Kind: BasisOwnRegistration, Role: pr.d.Role, Purpose: req.Purpose}, CodeAllowedOwn,
			"eigen registratie van partner "+s.ID, slices.Clone(Classes))
		return pr
	}

	roleName := s.Role
	if s.Kind == Partner {
		roleName = p.Partners[s.ID]
		if roleName == "" {
			pr.deny(CodeRoleUnknown, "partner %q heeft geen rol in roles.yaml", s.ID)
			return pr
		}
		if s.Role != "" && s.Role != roleName {
			pr.deny(CodeRoleMismatch, "partner %q heeft rol %q in roles.yaml, niet %q", s.ID, roleName, s.Role)
			return pr
		}
	}
	pr.d.Role = roleName
	role, ok := p.Roles[roleName]
	if !ok {
		pr.deny(CodeRoleUnknown, "rol %q is niet bekend", roleName)
		return pr
	}
	pr.role = role
	if role.For != s.Kind {
		pr.deny(CodeRoleNotForSubject, "rol %q is niet voor een %s", roleName, kindName(s.Kind))
		return pr
	}
	if role.Organisations != nil && !slices.Contains(role.Organisations, pr.org) {
		pr.deny(CodeRoleNotForSubject, "rol %q is niet voor medewerkers van %s", roleName, pr.org)
		return pr
	}
	if !slices.Contains(role.Operations, req.Operation) {
		pr.deny(CodeOperationNotAllowed, "rol %q mag %s niet", roleName, req.Operation)
		return pr
	}
	if !slices.Contains(role.Purposes, req.Purpose) {
		pr.deny(CodePurposeNotAllowed, "rol %q mag gegevens niet gebruiken voor doel %q", roleName, req.Purpose)
		return pr
	}

	ruleBasis := Basis{Kind: BasisRole, Role: roleName, Purpose: req.Purpose}
	if !req.Operation.ConcernsClient() {
		pr.d.AggregatesOnly = req.Operation == ReadStats
		pr.allow(req, ruleBasis, CodeAllowedRole, fmt.Sprintf("rol %q mag %s voor doel %q", roleName, req.Operation, req.Purpose), []Class{})
		return pr
	}
	if req.Client == nil || req.Client.ID == "" {
		pr.deny(CodeClientMissing, "de handeling %s vraagt om een cliënt", req.Operation)
		return pr
	}
	own := req.Source != "" && req.Source == pr.org
	if !own && !p.inScope(role.Scope, pr.org, req.Client) {
		pr.deny(CodeOutOfScope, "cliënt valt buiten de cliënten van rol %q", roleName)
		return pr
	}
	if !req.Operation.DisclosesData() {
		pr.allow(req, ruleBasis, CodeAllowedNoData, fmt.Sprintf("rol %q mag %s voor deze cliënt", roleName, req.Operation), []Class{})
		return pr
	}

	classes := role.Classes
	if purpose.Classes != nil {
		capped := intersect(classes, purpose.Classes)
		if len(capped) < len(classes) {
			pr.note(CodeClassesCappedPurpose, "voor doel %q ten hoogste: %s", req.Purpose, classList(purpose.Classes))
		}
		classes = capped
	}
	if len(classes) == 0 {
		pr.deny(CodeNoClasses, "rol %q ziet voor doel %q geen enkel veld", roleName, req.Purpose)
		return pr
	}
	pr.classes = classes
	switch {
	case own:
		pr.allow(req, Basis{Kind: BasisOwnRegistration, Role: roleName, Purpose: req.Purpose}, CodeAllowedOwn,
			"registratie van de eigen organisatie "+pr.org, classes)
	case !purpose.ConsentRequired:
		pr.allow(req, Basis{Kind: BasisPurpose, Role: roleName, Purpose: req.Purpose, LegalGround: purpose.LegalGround},
			CodeAllowedPurpose, fmt.Sprintf("doel %q vraagt geen toestemming; grondslag: %s", req.Purpose, purpose.LegalGround), classes)
	default:
		pr.needConsent = true
	}
	return pr
}

// withConsent finishes a decision that rests on consent, given the current
// consent rows of the client for the subject's recipients and the purpose.
func (p *Policy) withConsent(pr *prepared, req Request, rows []consent.Consent, recipients []string, now time.Time) {
	// Only rows that answer this question count.
	var grants, statements []consent.Consent
	for _, c := range rows {
		if c.ClientID != req.Client.ID || c.Purpose != req.Purpose || !slices.Contains(recipients, c.Recipient) {
			continue
		}
		if c.Basis.Stream() == consent.StreamGrant {
			grants = append(grants, c)
		} else {
			statements = append(statements, c)
		}
	}
	roleName := pr.d.Role

	// A running grant on another ground: bemoeizorg or a wettelijke grondslag.
	var grant *consent.Consent
	for i := range grants {
		if grants[i].ValidAt(now) && (grant == nil || grants[i].ID > grant.ID) {
			grant = &grants[i]
		}
	}
	if grant != nil {
		b := Basis{Role: roleName, Purpose: req.Purpose, ConsentID: grant.ID, Recipient: grant.Recipient, ValidUntil: timePtr(grant.ValidUntil)}
		if grant.Basis == consent.Bemoeizorg {
			b.Kind = BasisBemoeizorg
			classes := intersect(pr.classes, p.Bemoeizorg.Classes)
			if len(classes) < len(pr.classes) {
				pr.note(CodeClassesCappedBemoeizrg, "onder bemoeizorg ten hoogste: %s", classList(p.Bemoeizorg.Classes))
			}
			if len(classes) == 0 {
				pr.deny(CodeNoClasses, "onder bemoeizorg is voor rol %q geen enkel veld zichtbaar", roleName)
				return
			}
			pr.allow(req, b, CodeAllowedBemoeizorg, fmt.Sprintf("bemoeizorgbesluit %d voor %s, tot %s", grant.ID, grant.Recipient, day(grant.ValidUntil)), classes)
			return
		}
		b.Kind, b.LegalGround = BasisLegalGround, grant.LegalReference
		pr.allow(req, b, CodeAllowedLegalGround, fmt.Sprintf("wettelijke grondslag %d voor %s: %s", grant.ID, grant.Recipient, grant.LegalReference), pr.classes)
		return
	}
	for _, g := range grants {
		if st := g.Effective(now); st == consent.Expired || st == consent.Withdrawn {
			pr.note(CodeGrantEnded, "%s %d is beëindigd (%s)", basisName(g.Basis), g.ID, stateName(st))
		}
	}

	// The client's own statement: a valid consent counts unless the client
	// said no (refused, withdrew) later, for this partner or a group it is in.
	var given *consent.Consent
	for i := range statements {
		if statements[i].ValidAt(now) && (given == nil || statements[i].ID > given.ID) {
			given = &statements[i]
		}
	}
	var no *consent.Consent
	for i := range statements {
		st := statements[i].State
		if (st == consent.Refused || st == consent.Withdrawn) && (given == nil || statements[i].ID > given.ID) &&
			(no == nil || statements[i].ID > no.ID) {
			no = &statements[i]
		}
	}
	switch {
	case no != nil && no.State == consent.Refused:
		pr.deny(CodeConsentRefused, "de cliënt heeft toestemming geweigerd voor %s (registratie %d)", no.Recipient, no.ID)
	case no != nil:
		pr.deny(CodeConsentWithdrawn, "de cliënt heeft toestemming ingetrokken voor %s (registratie %d)", no.Recipient, no.ID)
	case given != nil:
		pr.allow(req, Basis{Kind: BasisConsent, Role: roleName, Purpose: req.Purpose, ConsentID: given.ID, Recipient: given.Recipient,
			ValidUntil: timePtr(given.ValidUntil)}, CodeAllowedConsent,
			fmt.Sprintf("toestemming %d van de cliënt voor %s%s", given.ID, given.Recipient, untilText(given.ValidUntil)), pr.classes)
	default:
		code, msg := CodeConsentNone, "er is geen toestemming van de cliënt voor dit doel"
		for _, c := range statements {
			switch c.Effective(now) {
			case consent.Expired:
				code, msg = CodeConsentExpired, fmt.Sprintf("de toestemming voor %s is verlopen op %s (registratie %d)", c.Recipient, day(c.ValidUntil), c.ID)
			case consent.NotYetValid:
				if code != CodeConsentExpired {
					code, msg = CodeConsentNotYetValid, fmt.Sprintf("de toestemming voor %s gaat pas in op %s (registratie %d)", c.Recipient, day(c.ValidFrom), c.ID)
				}
			}
		}
		pr.deny(code, "%s", msg)
	}
}

// inScope reports whether a client is among the clients of a scope.
// Every condition the scope states must hold.
func (p *Policy) inScope(s Scope, org string, c *ClientFacts) bool {
	if s.All {
		return true
	}
	if !s.covers() {
		return false
	}
	if s.OwnOrganisation && !slices.Contains(c.Organisations, org) {
		return false
	}
	if len(s.TargetGroups) > 0 && !slices.ContainsFunc(c.TargetGroups, func(tg string) bool { return slices.Contains(s.TargetGroups, tg) }) {
		return false
	}
	if len(s.Municipalities) > 0 && !slices.ContainsFunc(c.Municipalities, func(m string) bool { return slices.Contains(s.Municipalities, normalise(m)) }) {
		return false
	}
	return true
}

func kindName(k SubjectKind) string {
	if k == Partner {
		return "partnersysteem"
	}
	return "medewerker"
}

func basisName(b consent.Basis) string {
	switch b {
	case consent.Bemoeizorg:
		return "bemoeizorgbesluit"
	case consent.WettelijkeGrondslag:
		return "wettelijke grondslag"
	}
	return "toestemming"
}

func stateName(s consent.State) string {
	switch s {
	case consent.Expired:
		return "verlopen"
	case consent.Withdrawn:
		return "ingetrokken"
	case consent.Refused:
		return "geweigerd"
	case consent.NotYetValid:
		return "nog niet ingegaan"
	}
	return "gegeven"
}

func classList(cs []Class) string {
	if len(cs) == 0 {
		return "geen"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func day(t time.Time) string {
	if t.IsZero() {
		return "onbepaalde tijd"
	}
	return t.In(amsterdam).Format("2006-01-02 15:04")
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ", geldig tot " + day(t)
}
