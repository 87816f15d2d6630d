package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// purposeOf returns the purpose of a request for op (doelbinding): the
// query parameter purpose, or else the one purpose of the caller's role for
// which the decision point allows op. When the role has none, that purpose
// is the role's first, so that the refusal that follows names the reason.
// It returns an EINVALID *hub.Error when several purposes would do and none
// was given.
func (s *server) purposeOf(r *http.Request, c caller, op policy.Operation) (string, error) {
	if p := r.URL.Query().Get("purpose"); p != "" {
		return p, nil
	}
	p := s.policy.Policy()
	if p == nil {
		return "", hub.Errorf(hub.EUNAVAILABLE, "Er zijn geen rollen en rechten geladen; de hub geeft geen inzage.")
	}
	role, ok := p.Roles[c.role]
	if !ok || len(role.Purposes) == 0 {
		return "", hub.Errorf(hub.EINVALID, "Geef het doel van dit verzoek op met ?purpose=… (doelbinding).")
	}
	var fit []string
	for _, purpose := range role.Purposes {
		d, err := s.mayPerform(r.Context(), c, purpose, op)
		if err != nil {
			return "", err
		}
		if d.Allowed || d.Code() == policy.CodeClientMissing {
			fit = append(fit, purpose)
		}
	}
	switch len(fit) {
	case 0:
		return role.Purposes[0], nil
	case 1:
		return fit[0], nil
	}
	return "", hub.Errorf(hub.EINVALID, "Geef het doel van dit verzoek op met ?purpose=… (doelbinding); rol %q mag hiervoor: %s.",
		c.role, strings.Join(fit, ", "))
}

// allowOperation asks the decision point whether the caller may perform op
// for purpose at all, before anything is read: an operation on no client is
// decided whole; for an operation on clients only the role, purpose and
// operation are checked (the decision stops at CLIENT_MISSING). A partner
// system always passes for its own registrations. A refusal is logged in
// the audit trail and returned as a *hub.Error.
func (s *server) allowOperation(r *http.Request, c caller, purpose string, op policy.Operation) (policy.Decision, error) {
	d, err := s.mayPerform(r.Context(), c, purpose, op)
	if err != nil {
		return d, err
	}
	if d.Allowed || d.Code() == policy.CodeClientMissing {
		return d, nil
	}
	ev := c.event(r.Context(), audit.TypeAuthFailure)
	ev.Outcome, ev.Purpose, ev.Detail = audit.OutcomeDenied, purpose, codeDetail(d.Code())
	if err := s.audit.Record(r.Context(), ev); err != nil {
		return d, fmt.Errorf("audit refused %s: %w", op, err)
	}
	return d, denied(d)
}

// mayPerform is the decision of allowOperation, without logging a refusal.
// A partner system reads its own registrations whatever its role, so for
// read_feed and lookup it is asked about as the source of the data; judging
// links (review_matches) takes a role that allows it.
func (s *server) mayPerform(ctx context.Context, c caller, purpose string, op policy.Operation) (policy.Decision, error) {
	req := policy.Request{Subject: c.policy, Purpose: purpose, Operation: op}
	if c.policy.Kind == policy.Partner && (op == policy.ReadFeed || op == policy.Lookup) {
		req.Source = c.ID
	}
	ds, err := s.policy.DecideMany(ctx, []policy.Request{req})
	if err != nil {
		return policy.Decision{}, fmt.Errorf("decide %s: %w", op, err)
	}
	return ds[0], nil
}

// denied turns a refusing decision into the error the caller gets: no
// consent (403, no_consent) or no access (403, forbidden), with the deciding
// reason in Dutch and its code.
func denied(d policy.Decision) error {
	msg := "geen beslissing"
	if len(d.Reasons) > 0 {
		msg = d.Reasons[0].Message
	}
	code := hub.EFORBIDDEN
	if strings.HasPrefix(d.Code(), "CONSENT_") || d.Code() == policy.CodeGrantEnded {
		code = hub.ENOCONSENT
	}
	return hub.Errorf(code, "Geen inzage: %s [%s].", msg, d.Code())
}

func codeDetail(code string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"code": code})
	return b
}

// facts returns the facts of each client in ids for the decision point,
// by id; without a client registry, clients have no facts (and a decision
// can then only rest on a partner's own registration).
func (s *server) facts(ctx context.Context, ids []string) (map[string]*policy.ClientFacts, error) {
	out := make(map[string]*policy.ClientFacts, len(ids))
	var known map[string]clients.Facts
	if s.clients != nil && len(ids) > 0 {
		var err error
		if known, err = s.clients.Facts(ctx, ids); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		f := known[id]
		out[id] = &policy.ClientFacts{ID: id, TargetGroups: f.TargetGroups, Municipalities: f.Municipalities, Organisations: f.Partners}
	}
	return out, nil
}

// decide asks the decision point about requests and fails when the consent
// registry could not be read: the caller then gets 503 rather than a page
// with rows silently left out.
func (s *server) decide(ctx context.Context, reqs []policy.Request) ([]policy.Decision, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	ds, err := s.policy.DecideMany(ctx, reqs)
	if err != nil {
		return nil, &hub.Error{Code: hub.EUNAVAILABLE, Message: "Het toestemmingsregister is niet bereikbaar; daarom nu geen inzage.", Err: err}
	}
	return ds, nil
}

// clientAccess is the decision about one client as a whole: one decision
// per partner with an active registration of the client (so that a
// partner's or organisation's own registration counts), allowed when any
// is, with the union of the visible classes.
type clientAccess struct {
	facts     *policy.ClientFacts
	decisions []policy.Decision // by partner, in the order of facts.Organisations
	classes   []policy.Class
}

// allowed reports whether any registration of the client may be seen.
func (a clientAccess) allowed() bool { return len(a.allowedDecisions()) > 0 }

func (a clientAccess) allowedDecisions() []policy.Decision {
	var out []policy.Decision
	for _, d := range a.decisions {
		if d.Allowed {
			out = append(out, d)
		}
	}
	return out
}

// decision returns the decision about partner's registration, and whether
// there is one.
func (a clientAccess) decision(partner string) (policy.Decision, bool) {
	i := slices.Index(a.facts.Organisations, partner)
	if i < 0 {
		return policy.Decision{}, false
	}
	return a.decisions[i], true
}

// refusal is the error for a client none of whose registrations may be seen.
func (a clientAccess) refusal() error {
	if len(a.decisions) == 0 {
		return denied(policy.Decision{Reasons: []policy.Reason{{Code: policy.CodeDenied, Message: "de cliënt heeft geen actieve registraties"}}})
	}
	return denied(a.decisions[0])
}

// accessTo decides about whole clients for op and purpose.
func (s *server) accessTo(ctx context.Context, c caller, purpose string, op policy.Operation, ids []string) (map[string]clientAccess, error) {
	facts, err := s.facts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var reqs []policy.Request
	for _, id := range ids {
		for _, partner := range facts[id].Organisations {
			reqs = append(reqs, policy.Request{Subject: c.policy, Purpose: purpose, Operation: op, Client: facts[id], Source: partner})
		}
	}
	ds, err := s.decide(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]clientAccess, len(ids))
	k := 0
	for _, id := range ids {
		a := clientAccess{facts: facts[id]}
		for range facts[id].Organisations {
			d := ds[k]
			k++
			a.decisions = append(a.decisions, d)
			if d.Allowed {
				a.classes = union(a.classes, d.Classes)
			}
		}
		out[id] = a
	}
	return out, nil
}

// union returns the classes in a or b, in the order of policy.Classes.
func union(a, b []policy.Class) []policy.Class {
	var out []policy.Class
	for _, c := range policy.Classes {
		if slices.Contains(a, c) || slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

// disclosures returns the audit events for the allowed decisions: one per
// client and ground (a page that shows a client's registrations on two
// grounds logs two events), with the classes shown.
func disclosures(base audit.Event, purpose string, ds []policy.Decision) []audit.Event {
	var out []audit.Event
	index := map[string]int{}
	for _, d := range ds {
		if !d.Allowed || d.ClientID == "" {
			continue
		}
		b := auditBasis(d.Basis)
		key := d.ClientID + "\x00" + string(b.Kind) + "\x00" + b.Ref
		i, ok := index[key]
		if !ok {
			ev := base
			ev.Type, ev.Client, ev.Purpose, ev.Basis, ev.Outcome = audit.TypeDisclosure, d.ClientID, purpose, b, audit.OutcomeSuccess
			ev.Categories = nil
			index[key] = len(out)
			out = append(out, ev)
			i = len(out) - 1
		}
		for _, c := range d.Classes {
			if !slices.Contains(out[i].Categories, string(c)) {
				out[i].Categories = append(out[i].Categories, string(c))
			}
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Categories, func(a, b string) int {
			return slices.Index(policy.Classes, policy.Class(a)) - slices.Index(policy.Classes, policy.Class(b))
		})
	}
	return out
}

// refusedEvent is the audit event of a read about one client that was refused.
func refusedEvent(base audit.Event, purpose, client string, d policy.Decision) audit.Event {
	ev := base
	ev.Type, ev.Client, ev.Purpose, ev.Outcome, ev.Detail = audit.TypeDisclosure, client, purpose, audit.OutcomeDenied, codeDetail(d.Code())
	return ev
}

// auditBasis maps a decision's ground onto the audit trail's: the client's
// consent, a bemoeizorg grant or a legal ground, with a reference that
// names the consent row, the purpose's ground, the role or the own
// registration.
func auditBasis(b *policy.Basis) audit.Basis {
	if b == nil {
		return audit.Basis{}
	}
	switch b.Kind {
	case policy.BasisConsent:
		return audit.Basis{Kind: audit.BasisConsent, Ref: "consent-" + strconv.FormatInt(b.ConsentID, 10)}
	case policy.BasisBemoeizorg:
		return audit.Basis{Kind: audit.BasisBemoeizorg, Ref: "consent-" + strconv.FormatInt(b.ConsentID, 10)}
	case policy.BasisLegalGround:
		return audit.Basis{Kind: audit.BasisLegal, Ref: "consent-" + strconv.FormatInt(b.ConsentID, 10)}
	case policy.BasisPurpose:
		return audit.Basis{Kind: audit.BasisLegal, Ref: "purpose:" + b.Purpose}
	case policy.BasisOwnRegistration:
		return audit.Basis{Kind: audit.BasisLegal, Ref: "own-registration"}
	}
	return audit.Basis{Kind: audit.BasisLegal, Ref: "role:" + b.Role}
}
