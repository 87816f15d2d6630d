package policy_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
)

var (
	amsterdam = mustLocation("Europe/Amsterdam")
	now       = time.Date(2025, 3, 1, 12, 0, 0, 0, amsterdam)
	partners  = []string{"gemeente-szw", "ggz-oost", "opvang-zuid"}
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// fakeConsents is an in-memory consent registry that answers Current as
// the PostgreSQL one does: the latest row per (client, recipient, stream).
type fakeConsents struct {
	mu    sync.Mutex
	rows  []consent.Consent
	calls int
	err   error
}

func (f *fakeConsents) add(c consent.Consent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.ID = int64(len(f.rows) + 1)
	f.rows = append(f.rows, c)
}

func (f *fakeConsents) Current(_ context.Context, clientIDs, recipients []string, purpose string) (map[string][]consent.Consent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	type key struct{ client, recipient, stream string }
	latest := map[key]consent.Consent{}
	for _, c := range f.rows {
		if !slices.Contains(clientIDs, c.ClientID) || !slices.Contains(recipients, c.Recipient) || c.Purpose != purpose {
			continue
		}
		latest[key{c.ClientID, c.Recipient, c.Basis.Stream()}] = c
	}
	out := map[string][]consent.Consent{}
	for _, c := range latest {
		out[c.ClientID] = append(out[c.ClientID], c)
	}
	for _, l := range out {
		slices.SortFunc(l, func(a, b consent.Consent) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out, nil
}

func loadTestPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Load("testdata/roles.yaml", policy.LoadOptions{Partners: partners})
	if err != nil {
		t.Fatalf("load testdata/roles.yaml: %v", err)
	}
	return p
}

// The two clients of the matrix. inScope is served by every organisation
// and lives in Helmond (region de-peel) as a veelpleger; outOfScope lives
// outside the region, in another target group, served by nobody the
// roles below belong to.
var (
	inScope = policy.ClientFacts{ID: "client-in", TargetGroups: []string{"veelpleger"},
		Municipalities: []string{"Helmond"}, Organisations: []string{"opvang-zuid", "ggz-oost", "gemeente-szw"}}
	outOfScope = policy.ClientFacts{ID: "client-out", TargetGroups: []string{"zwerfjongere"},
		Municipalities: []string{"Rotterdam"}, Organisations: []string{"wijkteam-west"}}
)

// day returns a moment relative to now, in days.
func day(d int) time.Time { return now.AddDate(0, 0, d) }

func given(client, recipient string, from, until time.Time) consent.Consent {
	return consent.Consent{Change: consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie",
		State: consent.Given, Basis: consent.Toestemming, ValidFrom: from, ValidUntil: until, EvidenceRef: "formulier"}}
}

func stated(client, recipient string, st consent.State) consent.Consent {
	return consent.Consent{Change: consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie",
		State: st, Basis: consent.Toestemming, ValidFrom: day(-10)}}
}

func bemoeizorg(client, recipient string, from, until time.Time) consent.Consent {
	return consent.Consent{Change: consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie",
		State: consent.Given, Basis: consent.Bemoeizorg, Justification: "zorgmijder, verwaarlozing", ValidFrom: from, ValidUntil: until}}
}

// consentCase is one consent situation of a client, for the subject's
// organisation (recipient "self") or its group (kernpartners).
type consentCase struct {
	name string
	rows func(client, self string) []consent.Consent
	// basis is what allows: consent, bemoeizorg or "" (denied, with code).
	basis policy.BasisKind
	code  string
}

var consentCases = []consentCase{
	{"None", func(c, s string) []consent.Consent { return nil }, "", policy.CodeConsentNone},
	{"Given", func(c, s string) []consent.Consent { return []consent.Consent{given(c, s, day(-30), day(300))} },
		policy.BasisConsent, policy.CodeAllowedConsent},
	{"GivenOpenEnded", func(c, s string) []consent.Consent { return []consent.Consent{given(c, s, day(-30), time.Time{})} },
		policy.BasisConsent, policy.CodeAllowedConsent},
	{"GivenToGroup", func(c, s string) []consent.Consent {
		return []consent.Consent{given(c, "kernpartners", day(-30), day(300))}
	}, policy.BasisConsent, policy.CodeAllowedConsent},
	{"GivenToOtherPartner", func(c, s string) []consent.Consent {
		return []consent.Consent{given(c, "wijkteam-west", day(-30), day(300))}
	}, "", policy.CodeConsentNone},
	{"Withdrawn", func(c, s string) []consent.Consent {
		return []consent.Consent{given(c, s, day(-30), day(300)), stated(c, s, consent.Withdrawn)}
	}, "", policy.CodeConsentWithdrawn},
	{"WithdrawnForGroupAfterGivenToPartner", func(c, s string) []consent.Consent {
		return []consent.Consent{given(c, s, day(-30), day(300)), stated(c, "kernpartners", consent.Withdrawn)}
	}, "", policy.CodeConsentWithdrawn},
	{"Expired", func(c, s string) []consent.Consent { return []consent.Consent{given(c, s, day(-400), day(-1))} },
		"", policy.CodeConsentExpired},
	{"ExpiresNow", func(c, s string) []consent.Consent { return []consent.Consent{given(c, s, day(-400), now)} },
		"", policy.CodeConsentExpired},
	{"NotYetValid", func(c, s string) []consent.Consent { return []consent.Consent{given(c, s, day(1), day(300))} },
		"", policy.CodeConsentNotYetValid},
	{"Refused", func(c, s string) []consent.Consent { return []consent.Consent{stated(c, s, consent.Refused)} },
		"", policy.CodeConsentRefused},
	{"RefusedThenGiven", func(c, s string) []consent.Consent {
		return []consent.Consent{stated(c, s, consent.Refused), given(c, "kernpartners", day(-1), day(300))}
	}, policy.BasisConsent, policy.CodeAllowedConsent},
	{"BemoeizorgValid", func(c, s string) []consent.Consent { return []consent.Consent{bemoeizorg(c, s, day(-10), day(50))} },
		policy.BasisBemoeizorg, policy.CodeAllowedBemoeizorg},
	{"BemoeizorgDespiteRefusal", func(c, s string) []consent.Consent {
		return []consent.Consent{stated(c, s, consent.Refused), bemoeizorg(c, s, day(-10), day(50))}
	}, policy.BasisBemoeizorg, policy.CodeAllowedBemoeizorg},
	{"BemoeizorgExpired", func(c, s string) []consent.Consent { return []consent.Consent{bemoeizorg(c, s, day(-100), day(-10))} },
		"", policy.CodeConsentNone},
	{"BemoeizorgWithdrawn", func(c, s string) []consent.Consent {
		w := bemoeizorg(c, s, day(-10), day(50))
		w.State = consent.Withdrawn
		return []consent.Consent{bemoeizorg(c, s, day(-10), day(50)), w}
	}, "", policy.CodeConsentNone},
	{"BemoeizorgExpiredConsentGiven", func(c, s string) []consent.Consent {
		return []consent.Consent{bemoeizorg(c, s, day(-100), day(-10)), given(c, s, day(-5), day(300))}
	}, policy.BasisConsent, policy.CodeAllowedConsent},
}

// roleCase is one subject of the matrix with what it may see.
type roleCase struct {
	name    string
	subject policy.Subject
	// reads: the role may read the feed for zorgcoordinatie at all.
	reads bool
	// consentClasses are visible on the client's consent, bemoeizorgClasses under bemoeizorg.
	consentClasses, bemoeizorgClasses []policy.Class
	// deniedCode is the code when the role may not read at all.
	deniedCode string
}

var (
	icsS  = []policy.Class{policy.Identity, policy.Chain, policy.Sensitive}
	icsSp = []policy.Class{policy.Identity, policy.Chain, policy.Sensitive, policy.Special}
	ic    = []policy.Class{policy.Identity, policy.Chain}
)

var roleCases = []roleCase{
	{"Regievoerder", policy.Subject{Kind: policy.User, ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"},
		true, icsS, icsS, ""},
	{"TrajectmanagerVeelplegers", policy.Subject{Kind: policy.User, ID: "u2", Organisation: "gemeente-szw", Role: "trajectmanager-veelplegers"},
		true, icsS, icsS, ""},
	{"OpvangMedewerker", policy.Subject{Kind: policy.User, ID: "u3", Organisation: "opvang-zuid", Role: "opvang-medewerker"},
		true, icsS, icsS, ""},
	{"GGZBehandelaar", policy.Subject{Kind: policy.User, ID: "u4", Organisation: "ggz-oost", Role: "ggz-behandelaar"},
		true, icsSp, icsS, ""},
	{"PartnerSysteem", policy.Subject{Kind: policy.Partner, ID: "ggz-oost"},
		true, ic, ic, ""},
	{"PrivacyOfficer", policy.Subject{Kind: policy.User, ID: "u5", Organisation: "gemeente-szw", Role: "privacy-officer"},
		false, nil, nil, policy.CodeOperationNotAllowed},
	{"ICTBeheer", policy.Subject{Kind: policy.User, ID: "u6", Organisation: "gemeente-szw", Role: "ict-beheer"},
		false, nil, nil, policy.CodeOperationNotAllowed},
	{"Beleid", policy.Subject{Kind: policy.User, ID: "u7", Organisation: "gemeente-szw", Role: "beleid"},
		false, nil, nil, policy.CodeOperationNotAllowed},
}

// TestDecideMatrix runs every role against both clients in every consent
// situation, reading the feed for zorgcoordinatie (consent required), and
// checks the decision and, through Filter, each field shown and not shown.
func TestDecideMatrix(t *testing.T) {
	p := loadTestPolicy(t)
	for _, rc := range roleCases {
		for _, client := range []policy.ClientFacts{inScope, outOfScope} {
			for _, cc := range consentCases {
				scope := "InScope"
				if client.ID == outOfScope.ID {
					scope = "OutOfScope"
				}
				t.Run(rc.name+"/"+scope+"/"+cc.name, func(t *testing.T) {
					org := cmp.Or(rc.subject.Organisation, rc.subject.ID)
					fake := &fakeConsents{}
					for _, c := range cc.rows(client.ID, org) {
						fake.add(c)
					}
					e := policy.NewEngine(p, fake, policy.EngineOptions{Now: func() time.Time { return now }})
					d, err := e.Decide(context.Background(), policy.Request{
						Subject: rc.subject, Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &client})
					if err != nil {
						t.Fatal(err)
					}

					var wantClasses []policy.Class
					wantCode := cc.code
					switch {
					case !rc.reads:
						wantCode = rc.deniedCode
					case client.ID == outOfScope.ID:
						wantCode = policy.CodeOutOfScope
					case cc.basis == policy.BasisConsent:
						wantClasses = rc.consentClasses
					case cc.basis == policy.BasisBemoeizorg:
						wantClasses = rc.bemoeizorgClasses
					}
					checkDecision(t, d, wantCode, wantClasses)
					if d.Allowed && d.Basis.Kind != cc.basis {
						t.Errorf("basis %q, want %q", d.Basis.Kind, cc.basis)
					}
					if d.Allowed && d.Basis.ConsentID == 0 {
						t.Error("an allowing decision on consent names no consent row")
					}
					checkFiltered(t, d.Classes)
				})
			}
		}
	}
}

// checkDecision checks the code, whether it allows, and the classes and
// fields it shows.
func checkDecision(t *testing.T, d policy.Decision, wantCode string, wantClasses []policy.Class) {
	t.Helper()
	checkDecisionFields(t, d, wantCode, wantClasses, policy.Fields(wantClasses))
}

// checkDecisionFields is checkDecision with the fields expected.
func checkDecisionFields(t *testing.T, d policy.Decision, wantCode string, wantClasses []policy.Class, wantFields []string) {
	t.Helper()
	if d.Code() != wantCode {
		t.Errorf("code %s (%v), want %s", d.Code(), d.Reasons, wantCode)
	}
	wantAllowed := wantClasses != nil
	if d.Allowed != wantAllowed {
		t.Fatalf("allowed = %t, want %t (%v)", d.Allowed, wantAllowed, d.Reasons)
	}
	if !slices.Equal(d.Classes, wantClasses) && (len(d.Classes) > 0 || len(wantClasses) > 0) {
		t.Errorf("classes %v, want %v", d.Classes, wantClasses)
	}
	if !slices.Equal(d.Fields, wantFields) && (len(d.Fields) > 0 || len(wantFields) > 0) {
		t.Errorf("fields %v, want %v", d.Fields, wantFields)
	}
	if !d.Allowed && (len(d.Classes) > 0 || len(d.Fields) > 0 || d.Basis != nil) {
		t.Errorf("a denial shows classes %v, fields %v, basis %v", d.Classes, d.Fields, d.Basis)
	}
	for _, r := range d.Reasons {
		if r.Code == "" || r.Message == "" {
			t.Errorf("reason without code or message: %+v", r)
		}
	}
}

// TestDecideCases covers the steps of a decision one by one.
func TestDecideCases(t *testing.T) {
	p := loadTestPolicy(t)
	regie := policy.Subject{Kind: policy.User, ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"}
	opvang := policy.Subject{Kind: policy.User, ID: "u3", Organisation: "opvang-zuid", Role: "opvang-medewerker"}
	ggzSystem := policy.Subject{Kind: policy.Partner, ID: "ggz-oost"}
	client := inScope
	feed := func(s policy.Subject, purpose string) policy.Request {
		return policy.Request{Subject: s, Purpose: purpose, Operation: policy.ReadFeed, Client: &client}
	}
	withSource := func(r policy.Request, src string) policy.Request { r.Source = src; return r }
	withClasses := func(r policy.Request, cs ...policy.Class) policy.Request { r.Classes = cs; return r }
	withFields := func(r policy.Request, fs ...string) policy.Request { r.Fields = fs; return r }
	op := func(s policy.Subject, purpose string, o policy.Operation, c *policy.ClientFacts) policy.Request {
		return policy.Request{Subject: s, Purpose: purpose, Operation: o, Client: c}
	}
	user := func(role, org string) policy.Subject {
		return policy.Subject{Kind: policy.User, ID: "u9", Organisation: org, Role: role}
	}

	tests := []struct {
		name        string
		req         policy.Request
		code        string
		classes     []policy.Class
		fields      []string // when set, the exact Decision.Fields
		basis       policy.BasisKind
		aggregates  bool
		consentRows []consent.Consent
	}{
		{name: "OwnRegistrationPartnerSeesAllWithoutConsent", req: withSource(feed(ggzSystem, "zorgcoordinatie"), "ggz-oost"),
			code: policy.CodeAllowedOwn, classes: policy.Classes, basis: policy.BasisOwnRegistration},
		{name: "OwnRegistrationPartnerWithoutRole", req: withSource(feed(policy.Subject{Kind: policy.Partner, ID: "wijkteam-west"}, "zorgcoordinatie"), "wijkteam-west"),
			code: policy.CodeAllowedOwn, classes: policy.Classes, basis: policy.BasisOwnRegistration},
		{name: "OtherPartnersRegistrationNeedsConsent", req: withSource(feed(ggzSystem, "zorgcoordinatie"), "opvang-zuid"),
			code: policy.CodeConsentNone},
		{name: "OwnRegistrationUserKeepsRoleClasses", req: withSource(feed(opvang, "zorgcoordinatie"), "opvang-zuid"),
			code: policy.CodeAllowedOwn, classes: icsS, basis: policy.BasisOwnRegistration},
		{name: "OwnRegistrationUserOutOfScope", req: policy.Request{Subject: opvang, Purpose: "zorgcoordinatie", Operation: policy.Lookup,
			Client: &outOfScope, Source: "opvang-zuid"}, code: policy.CodeAllowedOwn, classes: icsS, basis: policy.BasisOwnRegistration},
		{name: "OwnRegistrationNotForICTBeheer", req: withSource(feed(user("ict-beheer", "opvang-zuid"), "beheer"), "opvang-zuid"),
			code: policy.CodeOperationNotAllowed},
		{name: "AanmeldingNeedsNoConsentButCapsClasses", req: op(regie, "aanmelding", policy.Lookup, &client),
			code: policy.CodeAllowedPurpose, classes: ic, basis: policy.BasisPurpose},
		{name: "AanmeldingNotForGGZBehandelaar", req: op(user("ggz-behandelaar", "ggz-oost"), "aanmelding", policy.Lookup, &client),
			code: policy.CodePurposeNotAllowed},
		{name: "ReviewMatchesAanmelding", req: op(regie, "aanmelding", policy.ReviewMatches, &client),
			code: policy.CodeAllowedPurpose, classes: ic, basis: policy.BasisPurpose},
		{name: "ReviewMatchesNotForOpvang", req: op(opvang, "aanmelding", policy.ReviewMatches, &client),
			code: policy.CodeOperationNotAllowed},
		{name: "RequestedClassesNarrow", req: withClasses(feed(regie, "zorgcoordinatie"), policy.Identity),
			consentRows: []consent.Consent{given("client-in", "gemeente-szw", day(-1), day(10))},
			code:        policy.CodeAllowedConsent, classes: []policy.Class{policy.Identity}, basis: policy.BasisConsent},
		{name: "RequestedSpecialWithheld", req: withClasses(feed(opvang, "zorgcoordinatie"), policy.Sensitive, policy.Special),
			consentRows: []consent.Consent{given("client-in", "opvang-zuid", day(-1), day(10))},
			code:        policy.CodeAllowedConsent, classes: []policy.Class{policy.Sensitive}, basis: policy.BasisConsent},
		{name: "RequestedOnlySpecialDenied", req: withClasses(feed(opvang, "zorgcoordinatie"), policy.Special),
			consentRows: []consent.Consent{given("client-in", "opvang-zuid", day(-1), day(10))},
			code:        policy.CodeNoClasses},
		{name: "RequestedFields", req: withFields(feed(regie, "zorgcoordinatie"), "client", "sensitive.diagnosis_classification"),
			consentRows: []consent.Consent{given("client-in", "kernpartners", day(-1), day(10))},
			code:        policy.CodeAllowedConsent, classes: icsS, basis: policy.BasisConsent,
			fields: []string{"client.birth_date", "client.bsn", "client.first_names", "client.gender", "client.initials",
				"client.partner_surname", "client.partner_surname_prefix", "client.surname", "client.surname_prefix"}},
		{name: "LegalGround", req: feed(regie, "zorgcoordinatie"),
			consentRows: []consent.Consent{stated("client-in", "gemeente-szw", consent.Refused), {Change: consent.Change{
				ClientID: "client-in", Recipient: "gemeente-szw", Purpose: "zorgcoordinatie", State: consent.Given,
				Basis: consent.WettelijkeGrondslag, LegalReference: "rechterlijke machtiging", ValidFrom: day(-1)}}},
			code: policy.CodeAllowedLegalGround, classes: icsS, basis: policy.BasisLegalGround},
		{name: "ConsentForOtherPurposeDoesNotCount", req: feed(regie, "zorgcoordinatie"),
			consentRows: []consent.Consent{func() consent.Consent {
				c := given("client-in", "gemeente-szw", day(-1), day(10))
				c.Purpose = "aanmelding"
				return c
			}()},
			code: policy.CodeConsentNone},
		{name: "ManageConsentInScope", req: op(regie, "zorgcoordinatie", policy.ManageConsent, &client),
			code: policy.CodeAllowedNoData, classes: []policy.Class{}, basis: policy.BasisRole},
		{name: "ManageConsentOutOfScope", req: op(regie, "zorgcoordinatie", policy.ManageConsent, &outOfScope),
			code: policy.CodeOutOfScope},
		{name: "GrantBemoeizorgRegievoerder", req: op(regie, "zorgcoordinatie", policy.GrantBemoeizorg, &client),
			code: policy.CodeAllowedNoData, classes: []policy.Class{}, basis: policy.BasisRole},
		{name: "GrantBemoeizorgNotOpvang", req: op(opvang, "zorgcoordinatie", policy.GrantBemoeizorg, &client),
			code: policy.CodeOperationNotAllowed},
		{name: "PrivacyOfficerReadsAudit", req: op(user("privacy-officer", "gemeente-szw"), "verantwoording", policy.ReadAudit, nil),
			code: policy.CodeAllowedRole, classes: []policy.Class{}, basis: policy.BasisRole},
		{name: "PrivacyOfficerNotForBeheer", req: op(user("privacy-officer", "gemeente-szw"), "beheer", policy.ReadAudit, nil),
			code: policy.CodePurposeNotAllowed},
		{name: "ICTBeheerOperates", req: op(user("ict-beheer", "gemeente-szw"), "beheer", policy.OperateHub, nil),
			code: policy.CodeAllowedRole, classes: []policy.Class{}, basis: policy.BasisRole},
		{name: "ICTBeheerNoLookup", req: op(user("ict-beheer", "gemeente-szw"), "beheer", policy.Lookup, &client),
			code: policy.CodeOperationNotAllowed},
		{name: "ICTBeheerNoAudit", req: op(user("ict-beheer", "gemeente-szw"), "beheer", policy.ReadAudit, nil),
			code: policy.CodeOperationNotAllowed},
		{name: "BeleidAggregatesOnly", req: op(user("beleid", "gemeente-szw"), "beleid", policy.ReadStats, nil),
			code: policy.CodeAllowedRole, classes: []policy.Class{}, basis: policy.BasisRole, aggregates: true},
		{name: "BeleidNoLookup", req: op(user("beleid", "gemeente-szw"), "beleid", policy.Lookup, &client),
			code: policy.CodeOperationNotAllowed},
		{name: "RoleUnknown", req: feed(user("directeur", "gemeente-szw"), "zorgcoordinatie"), code: policy.CodeRoleUnknown},
		{name: "RoleForOtherOrganisation", req: feed(user("ggz-behandelaar", "opvang-zuid"), "zorgcoordinatie"),
			code: policy.CodeRoleNotForSubject},
		{name: "PartnerRoleForUser", req: feed(user("ketenpartner-systeem", "ggz-oost"), "zorgcoordinatie"),
			code: policy.CodeRoleNotForSubject},
		{name: "UserRoleClaimedByPartner", req: feed(policy.Subject{Kind: policy.Partner, ID: "ggz-oost", Role: "regievoerder"}, "zorgcoordinatie"),
			code: policy.CodeRoleMismatch},
		{name: "PartnerWithoutRole", req: feed(policy.Subject{Kind: policy.Partner, ID: "wijkteam-west"}, "zorgcoordinatie"),
			code: policy.CodeRoleUnknown},
		{name: "PartnerWithOtherOrganisation", req: feed(policy.Subject{Kind: policy.Partner, ID: "ggz-oost", Organisation: "opvang-zuid"}, "zorgcoordinatie"),
			code: policy.CodeSubjectInvalid},
		{name: "UserWithoutOrganisation", req: feed(policy.Subject{Kind: policy.User, ID: "u1", Role: "regievoerder"}, "zorgcoordinatie"),
			code: policy.CodeSubjectInvalid},
		{name: "UnknownKind", req: feed(policy.Subject{Kind: "robot", ID: "r", Organisation: "x", Role: "regievoerder"}, "zorgcoordinatie"),
			code: policy.CodeSubjectInvalid},
		{name: "UnknownPurpose", req: feed(regie, "marketing"), code: policy.CodePurposeUnknown},
		{name: "UnknownOperation", req: op(regie, "zorgcoordinatie", "export_all", &client), code: policy.CodeOperationUnknown},
		{name: "ClientMissing", req: op(regie, "zorgcoordinatie", policy.Lookup, nil), code: policy.CodeClientMissing},
		{name: "ClientWithoutID", req: op(regie, "zorgcoordinatie", policy.Lookup, &policy.ClientFacts{}), code: policy.CodeClientMissing},
		{name: "MunicipalityCaseInsensitive", req: op(regie, "aanmelding", policy.Lookup, &policy.ClientFacts{ID: "c", Municipalities: []string{" HELMOND "}}),
			code: policy.CodeAllowedPurpose, classes: ic, basis: policy.BasisPurpose},
		{name: "VeelplegersOnlyVeelplegers", req: op(user("trajectmanager-veelplegers", "gemeente-szw"), "aanmelding", policy.Lookup,
			&policy.ClientFacts{ID: "c", TargetGroups: []string{"zwerfjongere"}, Municipalities: []string{"Helmond"}}),
			code: policy.CodeOutOfScope},
		{name: "VeelplegersOnlyDePeel", req: op(user("trajectmanager-veelplegers", "gemeente-szw"), "aanmelding", policy.Lookup,
			&policy.ClientFacts{ID: "c", TargetGroups: []string{"veelpleger"}, Municipalities: []string{"Bladel"}}),
			code: policy.CodeOutOfScope},
		{name: "OwnOrganisationScopeNeedsRegistration", req: op(opvang, "aanmelding", policy.Lookup,
			&policy.ClientFacts{ID: "c", Organisations: []string{"ggz-oost"}, Municipalities: []string{"Helmond"}}),
			code: policy.CodeOutOfScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeConsents{}
			for _, c := range tt.consentRows {
				fake.add(c)
			}
			e := policy.NewEngine(p, fake, policy.EngineOptions{Now: func() time.Time { return now }})
			d, err := e.Decide(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			wantFields := tt.fields
			if wantFields == nil {
				wantFields = policy.Fields(tt.classes)
			}
			checkDecisionFields(t, d, tt.code, tt.classes, wantFields)
			if d.Allowed && d.Basis.Kind != tt.basis {
				t.Errorf("basis %q, want %q", d.Basis.Kind, tt.basis)
			}
			if d.AggregatesOnly != tt.aggregates {
				t.Errorf("aggregates only = %t, want %t", d.AggregatesOnly, tt.aggregates)
			}
			if d.PolicyRevision != p.Revision {
				t.Errorf("policy revision %q, want %q", d.PolicyRevision, p.Revision)
			}
		})
	}
}

// TestWithdrawalDeniesAtOnce: after a withdrawal every later read is
// denied, and an expiry takes effect at the moment it passes.
func TestWithdrawalDeniesAtOnce(t *testing.T) {
	p := loadTestPolicy(t)
	fake := &fakeConsents{}
	clock := now
	e := policy.NewEngine(p, fake, policy.EngineOptions{Now: func() time.Time { return clock }})
	req := policy.Request{Subject: policy.Subject{Kind: policy.User, ID: "u1", Organisation: "opvang-zuid", Role: "opvang-medewerker"},
		Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &inScope}
	decide := func() policy.Decision {
		t.Helper()
		d, err := e.Decide(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fake.add(given(inScope.ID, "opvang-zuid", day(-1), day(10)))
	if d := decide(); !d.Allowed {
		t.Fatalf("given consent denied: %v", d.Reasons)
	}
	fake.add(stated(inScope.ID, "opvang-zuid", consent.Withdrawn))
	if d := decide(); d.Allowed || d.Code() != policy.CodeConsentWithdrawn {
		t.Fatalf("after withdrawal: allowed %t, code %s", d.Allowed, d.Code())
	}
	fake.add(given(inScope.ID, "opvang-zuid", day(-1), day(10)))
	if d := decide(); !d.Allowed {
		t.Fatalf("consent given again denied: %v", d.Reasons)
	}
	clock = day(10).Add(-time.Nanosecond)
	if d := decide(); !d.Allowed {
		t.Fatalf("consent denied just before it ends: %v", d.Reasons)
	}
	clock = day(10)
	if d := decide(); d.Allowed || d.Code() != policy.CodeConsentExpired {
		t.Fatalf("at the end of the consent: allowed %t, code %s", d.Allowed, d.Code())
	}
}

// TestDecideManyOneQuery: a feed page of 500 clients asks the consent
// registry once and keeps the request order.
func TestDecideManyOneQuery(t *testing.T) {
	p := loadTestPolicy(t)
	fake := &fakeConsents{}
	subject := policy.Subject{Kind: policy.User, ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"}
	reqs := make([]policy.Request, 500)
	for i := range reqs {
		c := inScope
		c.ID = "client-" + string(rune('a'+i%26)) + "-" + time.Duration(i).String()
		if i%2 == 0 {
			fake.add(given(c.ID, "kernpartners", day(-1), day(10)))
		}
		reqs[i] = policy.Request{Subject: subject, Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &c}
	}
	// Own registrations and out-of-scope clients need no query.
	reqs[7].Source = "gemeente-szw"
	reqs[9].Client = &outOfScope
	e := policy.NewEngine(p, fake, policy.EngineOptions{Now: func() time.Time { return now }})
	ds, err := e.DecideMany(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if fake.calls != 1 {
		t.Errorf("%d consent queries, want 1", fake.calls)
	}
	for i, d := range ds {
		wantAllowed := i%2 == 0 || i == 7
		if i == 9 {
			wantAllowed = false
		}
		if d.Allowed != wantAllowed {
			t.Errorf("request %d: allowed %t, want %t (%s)", i, d.Allowed, wantAllowed, d.Code())
		}
		if d.ClientID != reqs[i].Client.ID {
			t.Errorf("request %d: decision for %s, want %s", i, d.ClientID, reqs[i].Client.ID)
		}
	}
}

func TestDecideConsentUnavailable(t *testing.T) {
	p := loadTestPolicy(t)
	fake := &fakeConsents{err: errors.New("connection refused")}
	e := policy.NewEngine(p, fake, policy.EngineOptions{})
	d, err := e.Decide(context.Background(), policy.Request{
		Subject: policy.Subject{Kind: policy.User, ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"},
		Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &inScope})
	if err == nil {
		t.Error("no error when the consent registry fails")
	}
	checkDecision(t, d, policy.CodeConsentUnavailable, nil)
}

func TestDecideWithoutPolicy(t *testing.T) {
	e := policy.NewEngine(nil, &fakeConsents{}, policy.EngineOptions{})
	d, err := e.Decide(context.Background(), policy.Request{
		Subject: policy.Subject{Kind: policy.Partner, ID: "ggz-oost"}, Purpose: "zorgcoordinatie",
		Operation: policy.ReadFeed, Client: &inScope, Source: "ggz-oost"})
	if err != nil {
		t.Fatal(err)
	}
	checkDecision(t, d, policy.CodePolicyNotLoaded, nil)
}
