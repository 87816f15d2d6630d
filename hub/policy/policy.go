// Package policy is Ketenhub's one decision point: may this subject (a user
// in a role, or a partner system), for this purpose, perform this operation
// on this client, and which fields may it see? Every read path and every
// outbound route asks Decide (or DecideMany for a feed page); nothing
// bypasses it.
//
// A decision combines three things: the role rules of roles.yaml (which
// sensitivity classes, which clients, which purposes, which operations),
// the client's consent or a grant on another ground (hub/consent), and the
// facts about the client that scope needs (ClientFacts, filled in by the
// caller from the store). Everything not allowed is denied. Filter then
// strips a registration of the fields the decision does not show, by the
// x-sensitivity of each field in schemas/registration.v1.schema.json.
//
// The rules are loaded from roles.yaml (Load) and can be swapped at run
// time (Engine.Reload); a file with problems keeps the rules in force.
// Aggregates for policy makers go through Suppress (small-cell suppression).
package policy

import (
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/consent"
)

// Class is a sensitivity class of registration fields (x-sensitivity).
type Class string

// The sensitivity classes of schemas/registration.v1.schema.json.
const (
	// Identity is who the client is: BSN, names, date of birth, gender.
	Identity Class = "identity"
	// Chain is what the chain needs to plan and monitor: process step,
	// target group, municipality, responsible worker, life domains.
	Chain Class = "chain"
	// Sensitive is that a health fact exists (a psychiatric diagnosis exists).
	Sensitive Class = "sensitive"
	// Special is the health fact itself (the DSM classification): special
	// category data under AVG art. 9.
	Special Class = "special"
)

// Classes lists every class, from least to most sensitive.
var Classes = []Class{Identity, Chain, Sensitive, Special}

// Operation is something a subject does with the hub.
type Operation string

// Operations. The first three and Receive disclose client data (fields, by
// class); ManageConsent and GrantBemoeizorg act on one client without
// disclosing its data; ReadAudit, OperateHub and ReadStats concern no
// single client.
const (
	// ReadFeed is reading the feed of registrations.
	ReadFeed Operation = "read_feed"
	// Lookup is looking up one client.
	Lookup Operation = "lookup"
	// ReviewMatches is judging whether two partner records are the same client.
	ReviewMatches Operation = "review_matches"
	// ManageConsent is recording a client's consent (toestemming) or a wettelijke grondslag.
	ManageConsent Operation = "manage_consent"
	// GrantBemoeizorg is recording a bemoeizorg grant.
	GrantBemoeizorg Operation = "grant_bemoeizorg"
	// ReadAudit is reading the disclosure log (NEN 7513).
	ReadAudit Operation = "read_audit"
	// OperateHub is running the hub: partners, adapters, documents, replays. Never client data.
	OperateHub Operation = "operate_hub"
	// ReadStats is reading aggregates, after small-cell suppression.
	ReadStats Operation = "read_stats"
	// Receive is having registrations of other partners pushed into the
	// partner's own system by outbound routing (hub/route).
	Receive Operation = "receive"
)

// Operations lists every operation.
var Operations = []Operation{ReadFeed, Lookup, ReviewMatches, ManageConsent, GrantBemoeizorg, ReadAudit, OperateHub, ReadStats, Receive}

// DisclosesData reports whether the operation shows client fields.
func (o Operation) DisclosesData() bool {
	return o == ReadFeed || o == Lookup || o == ReviewMatches || o == Receive
}

// ConcernsClient reports whether the operation is about one client.
func (o Operation) ConcernsClient() bool {
	return o.DisclosesData() || o == ManageConsent || o == GrantBemoeizorg
}

func (o Operation) known() bool { return slices.Contains(Operations, o) }

// SubjectKind is the kind of subject: a person or a partner's system.
type SubjectKind string

// Subject kinds.
const (
	User    SubjectKind = "user"
	Partner SubjectKind = "partner"
)

// Policy is one loaded roles.yaml. It is immutable: share it freely and
// replace it as a whole (Engine.Swap).
type Policy struct {
	// File is the file as named when loaded; Revision the sha256 (hex) of its bytes.
	File     string
	Revision string
	// LoadedAt is when the file was loaded.
	LoadedAt time.Time

	Purposes   map[string]Purpose
	Regions    map[string][]string // region -> municipalities as written
	Groups     map[string][]string // group -> partner ids
	Bemoeizorg BemoeizorgRules
	Roles      map[string]Role
	// Partners gives the role of each partner system, by partner id.
	Partners map[string]string

	knownPartners map[string]bool // nil when the caller gave no list
}

// parsedWith reports whether p was loaded with exactly these partner ids
// (LoadOptions.Partners).
func (p *Policy) parsedWith(ids []string) bool {
	if p == nil || p.knownPartners == nil {
		return ids == nil
	}
	if len(ids) != len(p.knownPartners) {
		return false
	}
	for _, id := range ids {
		if !p.knownPartners[id] {
			return false
		}
	}
	return true
}

// Purpose is one purpose of processing (doelbinding).
type Purpose struct {
	Name        string
	Description string
	// ConsentRequired means data is shared for this purpose only with the
	// client's consent, a bemoeizorg grant or a wettelijke grondslag.
	ConsentRequired bool
	// LegalGround is the ground for a purpose that needs no consent.
	LegalGround string
	// Classes caps the classes visible for this purpose; nil means no cap.
	Classes []Class
}

// BemoeizorgRules are the limits on bemoeizorg grants.
type BemoeizorgRules struct {
	// Max is the longest one grant may run.
	Max time.Duration
	// ReviewEvery is how long after recording a grant must be reviewed.
	ReviewEvery time.Duration
	// Classes caps the classes visible on a bemoeizorg basis.
	Classes []Class
}

// Role is one role of roles.yaml.
type Role struct {
	Name        string
	Description string
	// For is the kind of subject that can hold the role.
	For SubjectKind
	// Organisations limits the role to users of these partners; nil: any.
	Organisations []string
	Classes       []Class
	Scope         Scope
	Purposes      []string
	Operations    []Operation
}

// Scope says of which clients a role may see data. A zero Scope covers no
// client at all.
type Scope struct {
	// All covers every client.
	All bool
	// OwnOrganisation covers clients with a registration of the subject's organisation.
	OwnOrganisation bool
	// TargetGroups covers clients in one of these target groups.
	TargetGroups []string
	// Regions as written; their municipalities are in Municipalities.
	Regions []string
	// Municipalities covers clients in one of these municipalities
	// (normalised: trimmed, lower case), including those of Regions.
	Municipalities []string
}

// covers reports whether the scope covers any client at all.
func (s Scope) covers() bool {
	return s.All || s.OwnOrganisation || len(s.TargetGroups) > 0 || len(s.Municipalities) > 0
}

// Recipients returns the consent recipients that stand for an organisation:
// the partner itself and every group it belongs to, sorted.
func (p *Policy) Recipients(organisation string) []string {
	if organisation == "" {
		return nil
	}
	out := []string{organisation}
	for g, members := range p.Groups {
		if slices.Contains(members, organisation) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// ConsentRules gives the rules the consent registry applies to a change:
// the known purposes and recipients (only when Load was given the list of
// partners), the roles that may grant bemoeizorg (those with operation
// grant_bemoeizorg) and its limits.
func (p *Policy) ConsentRules() consent.Rules {
	r := consent.Rules{
		Purposes:        map[string]bool{},
		BemoeizorgRoles: map[string]bool{},
		BemoeizorgMax:   p.Bemoeizorg.Max,
		ReviewEvery:     p.Bemoeizorg.ReviewEvery,
	}
	for name := range p.Purposes {
		r.Purposes[name] = true
	}
	for name, role := range p.Roles {
		if slices.Contains(role.Operations, GrantBemoeizorg) {
			r.BemoeizorgRoles[name] = true
		}
	}
	if p.knownPartners != nil {
		r.Recipients = map[string]bool{}
		for id := range p.knownPartners {
			r.Recipients[id] = true
		}
		for g := range p.Groups {
			r.Recipients[g] = true
		}
	}
	return r
}

// normalise makes municipality names comparable.
func normalise(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// intersect returns the classes of a that are in b, in the order of Classes.
func intersect(a, b []Class) []Class {
	var out []Class
	for _, c := range Classes {
		if slices.Contains(a, c) && slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}
