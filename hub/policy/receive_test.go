package policy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/policy"
)

// receiveRoles gives opvang-zuid a role that may receive registrations of
// homeless clients pushed into its system, and ggz-oost one that may read
// the feed but not receive.
const receiveRoles = `version: 1
purposes:
  aanmelding:
    description: Nagaan of de cliënt bekend is.
    consent: not_required
    legal_ground: "Convenant art. 4"
    classes: [identity, chain]
  zorgcoordinatie:
    description: Eén plan.
    consent: required
bemoeizorg:
  max_days: 90
  review_every_days: 30
  classes: [identity, chain]
roles:
  opvang-systeem:
    description: Systeem van de opvang.
    for: partner
    classes: [identity, chain, sensitive]
    scope:
      target_groups: [feitelijk_dakloos]
    purposes: [aanmelding, zorgcoordinatie]
    operations: [read_feed, receive]
  lezer:
    description: Leest alleen.
    for: partner
    classes: [identity, chain]
    scope:
      own_organisation: true
    purposes: [zorgcoordinatie]
    operations: [read_feed]
partners:
  opvang-zuid: opvang-systeem
  ggz-oost: lezer
`

func TestReceive(t *testing.T) {
	p, err := policy.Parse("roles.yaml", []byte(receiveRoles), policy.LoadOptions{Partners: partners})
	if err != nil {
		t.Fatal(err)
	}
	homeless := policy.ClientFacts{ID: "kc-1", TargetGroups: []string{"feitelijk_dakloos"}, Municipalities: []string{"Eindhoven"},
		Organisations: []string{"ggz-oost"}}
	other := policy.ClientFacts{ID: "kc-2", TargetGroups: []string{"veelpleger"}, Organisations: []string{"ggz-oost"}}
	consents := &fakeConsents{}
	consents.add(given("kc-1", "opvang-zuid", day(-1), day(30)))
	e := policy.NewEngine(p, consents, policy.EngineOptions{Now: func() time.Time { return now }})
	req := func(partner string, c policy.ClientFacts, purpose string) policy.Request {
		return policy.Request{Subject: policy.Subject{Kind: policy.Partner, ID: partner}, Purpose: purpose,
			Operation: policy.Receive, Client: &c, Source: "gemeente-szw"}
	}
	tests := []struct {
		name    string
		req     policy.Request
		allowed bool
		code    string
	}{
		{"AllowedConsent", req("opvang-zuid", homeless, "zorgcoordinatie"), true, policy.CodeAllowedConsent},
		{"AllowedPurposeGround", req("opvang-zuid", other2(homeless), "aanmelding"), true, policy.CodeAllowedPurpose},
		{"ErrOutOfScope", req("opvang-zuid", other, "zorgcoordinatie"), false, policy.CodeOutOfScope},
		{"ErrConsentNone", req("opvang-zuid", other2(homeless), "zorgcoordinatie"), false, policy.CodeConsentNone},
		{"ErrNoRole", req("wijkteam-west", homeless, "zorgcoordinatie"), false, policy.CodeRoleUnknown},
		{"ErrReadOnlyRole", req("ggz-oost", homeless, "zorgcoordinatie"), false, policy.CodeOperationNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.Decide(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.allowed || d.Code() != tt.code {
				t.Fatalf("decision %v %s, want %v %s: %+v", d.Allowed, d.Code(), tt.allowed, tt.code, d.Reasons)
			}
			if d.Allowed && !slices.Contains(d.Fields, "client.surname") {
				t.Errorf("receive shows no identity fields: %v", d.Fields)
			}
		})
	}
}

// other2 is c under another client id, without consent rows.
func other2(c policy.ClientFacts) policy.ClientFacts {
	c.ID = "kc-3"
	return c
}
