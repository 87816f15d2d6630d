package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/stats"
)

// AccessExplanation is the answer of GET /v1/clients/{id}/access: what a
// role (of an organisation) may see of one client for a purpose, and why.
type AccessExplanation struct {
	ClientID     string           `json:"client_id"`
	Role         string           `json:"role"`
	Organisation string           `json:"organisation"`
	Purpose      string           `json:"purpose"`
	Operation    policy.Operation `json:"operation"`
	// Allowed is set when at least one registration of the client is visible.
	Allowed bool `json:"allowed"`
	// Classes and Fields are visible in at least one registration.
	Classes []policy.Class `json:"classes"`
	Fields  []string       `json:"fields"`
	// Registrations are the visible registrations with their decisions;
	// listed only when callers ask about themselves (the partners of a
	// client are themselves client data).
	Registrations []RegistrationAccess `json:"registrations"`
	// Reasons say why what is not visible is not: each reason once,
	// without naming the partner.
	Reasons []policy.Reason `json:"reasons"`
	// PolicyRevision is the sha256 of the roles.yaml that decided.
	PolicyRevision string `json:"policy_revision"`
}

// RegistrationAccess is the decision about one registration of the client.
type RegistrationAccess struct {
	Partner string          `json:"partner"`
	Classes []policy.Class  `json:"classes"`
	Fields  []string        `json:"fields"`
	Basis   *policy.Basis   `json:"basis"`
	Reasons []policy.Reason `json:"reasons"`
}

// clientAccess explains what a role may see of a client for a purpose: by
// default the caller's own role and organisation; another role or
// organisation only for those who may read the audit trail (the privacy
// officer). It answers with the decision point's own reasons.
func (s *server) clientAccess(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, id, ok := s.callerAndClient(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	role, org := q.Get("role"), q.Get("organisation")
	subject := c.policy
	self := (role == "" || role == c.role) && (org == "" || org == c.Organisation)
	callerPurpose := ""
	var err error
	if !self {
		// Explaining someone else's access is oversight: read_audit.
		callerPurpose, err = s.oversightPurpose(r, c)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.policy.Policy()
		if p == nil {
			s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Er zijn geen rollen en rechten geladen."))
			return
		}
		if org == "" {
			s.fail(w, r, hub.Errorf(hub.EINVALID, "Geef ook de organisatie op (?organisation=…): wat een rol ziet, hangt ervan af."))
			return
		}
		rr, ok := p.Roles[role]
		if role == "" {
			rr, ok = p.Roles[p.Partners[org]], p.Partners[org] != ""
		}
		if !ok {
			s.fail(w, r, hub.Errorf(hub.EINVALID, "Rol %q bestaat niet in roles.yaml.", role))
			return
		}
		subject = policy.Subject{Kind: rr.For, ID: "uitleg", Organisation: org, Role: role}
		if rr.For == policy.Partner {
			subject = policy.Subject{Kind: policy.Partner, ID: org, Organisation: org}
		}
	}
	op := policy.Operation(q.Get("operation"))
	if op == "" {
		op = policy.Lookup
	}
	purpose := q.Get("purpose")
	if purpose == "" {
		if !self {
			s.fail(w, r, hub.Errorf(hub.EINVALID, "Geef het doel op (?purpose=…)."))
			return
		}
		if purpose, err = s.purposeOf(r, c, op); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	cur, err := s.clients.Resolve(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	explained := caller{Subject: c.Subject, policy: subject, role: subject.Role}
	access, err := s.accessTo(r.Context(), explained, purpose, op, []string{cur})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a := access[cur]
	out := AccessExplanation{ClientID: cur, Role: subject.Role, Organisation: subject.Organisation, Purpose: purpose, Operation: op,
		Allowed: a.allowed(), Classes: nonNil(a.classes), Fields: []string{}, Registrations: []RegistrationAccess{}, Reasons: []policy.Reason{}}
	if p := s.policy.Policy(); p != nil {
		out.PolicyRevision = p.Revision
		if subject.Kind == policy.Partner {
			out.Role = p.Partners[subject.ID]
		}
	}
	for i, d := range a.decisions {
		out.PolicyRevision = d.PolicyRevision
		if !d.Allowed {
			if !slices.ContainsFunc(out.Reasons, func(x policy.Reason) bool { return x == d.Reasons[0] }) {
				out.Reasons = append(out.Reasons, d.Reasons[0])
			}
			continue
		}
		for _, f := range d.Fields {
			if !slices.Contains(out.Fields, f) {
				out.Fields = append(out.Fields, f)
			}
		}
		if self {
			out.Registrations = append(out.Registrations, RegistrationAccess{Partner: a.facts.Organisations[i], Classes: d.Classes,
				Fields: d.Fields, Basis: d.Basis, Reasons: d.Reasons})
		}
	}
	slices.Sort(out.Fields)
	ev := c.event(r.Context(), audit.TypeDisclosure)
	ev.Action, ev.Client, ev.Purpose, ev.Categories = "explain", cur, firstNonEmpty(callerPurpose, purpose), []string{"policy"}
	ev.Basis = audit.Basis{Kind: audit.BasisLegal, Ref: "access-explanation"}
	ev.Detail, _ = json.Marshal(map[string]any{"operation": op, "role": out.Role, "organisation": subject.Organisation, "allowed": out.Allowed})
	s.writeAudited(w, r, "access explanation", out, ev)
}

// oversightPurpose returns the purpose for which the caller may read the
// audit trail (read_audit): the query's oversight purpose is not the one
// explained, so the caller's role's purposes are tried in turn. It returns
// a *hub.Error when there is none.
func (s *server) oversightPurpose(r *http.Request, c caller) (string, error) {
	p := s.policy.Policy()
	if p == nil {
		return "", hub.Errorf(hub.EUNAVAILABLE, "Er zijn geen rollen en rechten geladen.")
	}
	role := p.Roles[c.role]
	for _, purpose := range role.Purposes {
		ds, err := s.policy.DecideMany(r.Context(), []policy.Request{{Subject: c.policy, Purpose: purpose, Operation: policy.ReadAudit}})
		if err == nil && ds[0].Allowed {
			return purpose, nil
		}
	}
	_, err := s.allowOperation(r, c, firstOr(role.Purposes, ""), policy.ReadAudit)
	if err == nil {
		err = hub.Errorf(hub.EFORBIDDEN, "Alleen wie toezicht houdt (read_audit) mag de toegang van een andere rol of organisatie laten uitleggen.")
	}
	return "", err
}

func firstOr(l []string, def string) string {
	if len(l) > 0 {
		return l[0]
	}
	return def
}

// stats publishes the figures for policy: counts only, after small-cell
// suppression, for roles that may read aggregates (read_stats).
func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, purpose, ok := s.begin(w, r, policy.ReadStats)
	if !ok {
		return
	}
	var muns []string
	if p := s.policy.Policy(); p != nil {
		regions := make([]string, 0, len(p.Regions))
		for name := range p.Regions {
			regions = append(regions, name)
		}
		slices.Sort(regions)
		for _, name := range regions {
			for _, m := range p.Regions[name] {
				if !slices.ContainsFunc(muns, func(x string) bool { return strings.EqualFold(x, m) }) {
					muns = append(muns, m)
				}
			}
		}
	}
	rep, err := stats.Build(r.Context(), s.clients, stats.Options{Municipalities: muns, TargetGroups: policy.TargetGroups(),
		ProcessSteps: policy.ProcessSteps(), MinCell: policy.MinCell})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev := c.event(r.Context(), audit.TypeExport)
	ev.Action, ev.Purpose, ev.Categories = "stats", purpose, []string{"aggregate"}
	s.writeAudited(w, r, "stats", rep, ev)
}

// auditClient answers an access request (inzageverzoek): every logged event
// about one client, for those who may read the audit trail. The reading is
// logged itself.
func (s *server) auditClient(w http.ResponseWriter, r *http.Request) {
	c, purpose, id, ok := s.beginClient(w, r, policy.ReadAudit)
	if !ok {
		return
	}
	var from, to time.Time
	for _, f := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &from, false}, {"to", &to, true}} {
		v := r.URL.Query().Get(f.name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, v, time.Local)
		if err != nil {
			s.fail(w, r, hub.Errorf(hub.EINVALID, "%s moet een datum zijn als 2025-12-31.", f.name))
			return
		}
		if f.end {
			t = t.AddDate(0, 0, 1)
		}
		*f.dst = t
	}
	rep, err := s.audit.ForClient(r.Context(), id, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev := c.event(r.Context(), audit.TypeAuditRead)
	ev.Client, ev.Purpose = id, purpose
	s.writeAudited(w, r, "the audit read", rep, ev)
}
