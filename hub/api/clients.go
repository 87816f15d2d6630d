package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/stats"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Clients is what the API asks of the chain-client registry;
// *clients.Registry implements it.
type Clients interface {
	Lookup(ctx context.Context, c sdk.Client) ([]clients.LookupCandidate, error)
	Overview(ctx context.Context, id string) (clients.Overview, error)
	History(ctx context.Context, clientID string) ([]clients.HistoryEntry, error)
	Reviews(ctx context.Context, status string, after int64, limit int) ([]clients.ReviewItem, error)
	Review(ctx context.Context, id int64) (clients.ReviewItem, error)
	Decide(ctx context.Context, itemID int64, decision string, a clients.Actor) (clients.ReviewItem, error)
	Split(ctx context.Context, clientID string, refs []clients.RefJSON, a clients.Actor) (string, error)
	Merge(ctx context.Context, target, source string, a clients.Actor) error
	RevealBSN(enc []byte) (string, error)
	Resolve(ctx context.Context, id string) (string, error)
	Facts(ctx context.Context, ids []string) (map[string]clients.Facts, error)
	Link(ctx context.Context, partner, recordKey string) (string, clients.LinkJSON, error)
	stats.Source
}

const cursorReviews = "reviews"

// reviewPos is the position of an item in the review queue, for its cursor.
func reviewPos(it clients.ReviewItem) int64 { return it.ID }

// maxBodyBytes bounds a JSON request body.
const maxBodyBytes = 1 << 20

var clientIDPattern = regexp.MustCompile(`^kc-[a-z2-7]{24}$`)

// LookupRequest is the body of POST /v1/clients/lookup: a BSN, or name,
// birth date and gender as an intake worker knows them.
type LookupRequest = sdk.Client

// LookupResponse lists the candidate chain clients the caller may know
// about, best first.
type LookupResponse struct {
	Candidates []clients.LookupCandidate `json:"candidates"`
}

// SplitRequest is the body of POST /v1/clients/{id}/split.
type SplitRequest struct {
	Registrations []clients.RefJSON `json:"registrations"`
	Reason        string            `json:"reason"`
}

// SplitResponse names the new client.
type SplitResponse struct {
	ClientID    string `json:"client_id"`
	NewClientID string `json:"new_client_id"`
}

// MergeRequest is the body of POST /v1/clients/{id}/merge: the client whose
// registrations move to {id}.
type MergeRequest struct {
	ClientID string `json:"client_id"`
	Reason   string `json:"reason"`
}

// DecisionRequest is the body of POST /v1/reviews/{id}/decision.
type DecisionRequest struct {
	Decision string `json:"decision"` // link | keep_apart
	Reason   string `json:"reason"`
}

func (s *server) needClients(w http.ResponseWriter, r *http.Request) bool {
	if s.clients == nil {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Cliëntherkenning is op deze hub niet beschikbaar."))
		return false
	}
	return true
}

// readBody decodes a JSON request body into v, refusing unknown fields.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return hub.Errorf(hub.EINVALID, "Veld %s heeft het verkeerde type.", te.Field)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return hub.Errorf(hub.EINVALID, "De body is geen geldige JSON.")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return hub.Errorf(hub.EINVALID, "Onbekend veld in de body: %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return hub.Errorf(hub.EINVALID, "De body kan niet worden gelezen.")
	}
	return nil
}

func (s *server) clientID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !clientIDPattern.MatchString(id) {
		return "", hub.Errorf(hub.ENOTFOUND, "Cliënt niet gevonden.")
	}
	return id, nil
}

// actor is who makes a correction, with the hook that logs its link changes
// in the audit trail inside the correction's transaction.
func (s *server) actor(ctx context.Context, c caller, purpose, reason string) clients.Actor {
	base := c.event(ctx, audit.TypeLinkChange)
	base.Purpose = purpose
	return clients.Actor{ID: c.ID, Reason: reason, Record: func(ctx context.Context, tx pgx.Tx, changes []clients.LinkChange) error {
		return s.audit.Append(ctx, tx, LinkChangeEvents(base, changes)...)
	}}
}

// LinkChangeEvents returns the audit events (link_change) of link changes:
// base with the action, the clients concerned, and as detail the rule and
// the number of registrations moved. The hub uses it for its own changes too
// (clients.Options.OnLinkChange).
func LinkChangeEvents(base audit.Event, changes []clients.LinkChange) []audit.Event {
	events := make([]audit.Event, 0, len(changes))
	for _, ch := range changes {
		ev := base
		ev.Type, ev.Action, ev.Client, ev.Related = audit.TypeLinkChange, ch.Action, ch.ClientID, ch.Related
		if ev.Outcome == "" {
			ev.Outcome = audit.OutcomeSuccess
		}
		ev.Detail, _ = json.Marshal(map[string]any{"rule": ch.Rule, "registrations": ch.Registrations})
		events = append(events, ev)
	}
	return events
}

// lookupClients answers "is this client already known in the chain?", with
// only the clients the caller may know about; the comparison's evidence is
// shown only as far as the caller may see the identities it compares.
func (s *server) lookupClients(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, purpose, ok := s.begin(w, r, policy.Lookup)
	if !ok {
		return
	}
	var q LookupRequest
	if err := readBody(r, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	if q.BSN == "" && (q.Surname == "" || q.BirthDate == "") {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "Geef een BSN, of ten minste achternaam en geboortedatum."))
		return
	}
	got, err := s.clients.Lookup(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, len(got))
	for i, cand := range got {
		ids[i] = cand.ClientID
	}
	access, err := s.accessTo(r.Context(), c, purpose, policy.Lookup, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	shown := []clients.LookupCandidate{}
	var allowed []policy.Decision
	for _, cand := range got {
		a := access[cand.ClientID]
		if !a.allowed() {
			continue
		}
		allowed = append(allowed, a.allowedDecisions()...)
		if !slices.Contains(a.classes, policy.Identity) {
			cand.Rule, cand.Evidence = "", clients.EvidenceJSON{}
		} else if d, ok := a.decision(cand.Evidence.With.Partner); !ok || !d.Allowed {
			cand.Evidence.With = clients.RefJSON{}
		}
		if cand.Evidence.Fields == nil {
			cand.Evidence.Fields = []clients.FieldJSON{}
		}
		shown = append(shown, cand)
	}
	s.writeAudited(w, r, "lookup", LookupResponse{Candidates: shown}, disclosures(c.event(r.Context(), audit.TypeDisclosure), purpose, allowed)...)
}

// clientOverview returns a chain client with per partner its latest
// registration, each as far as the caller may see it.
func (s *server) clientOverview(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, purpose, id, ok := s.beginClient(w, r, policy.Lookup)
	if !ok {
		return
	}
	ov, err := s.overview(r.Context(), c, purpose, policy.Lookup, id)
	s.respond(w, r, http.StatusOK, ov, err)
}

// overview reads a client's overview, keeps the registrations the caller
// may see for op, filters each by its decision's classes, logs the
// disclosure (or the refusal) and returns it. The identity shown is taken
// from the registrations whose identity the caller may see.
func (s *server) overview(ctx context.Context, c caller, purpose string, op policy.Operation, id string) (clients.Overview, error) {
	ov, err := s.clients.Overview(ctx, id)
	if err != nil {
		return ov, err
	}
	facts, err := s.facts(ctx, []string{ov.ClientID})
	if err != nil {
		return ov, err
	}
	reqs := make([]policy.Request, len(ov.Registrations))
	for i, pr := range ov.Registrations {
		reqs[i] = policy.Request{Subject: c.policy, Purpose: purpose, Operation: op, Client: facts[ov.ClientID], Source: pr.Partner}
	}
	ds, err := s.decide(ctx, reqs)
	if err != nil {
		return ov, err
	}
	base := c.event(ctx, audit.TypeDisclosure)
	out := clients.Overview{ClientID: ov.ClientID, MergedFrom: ov.MergedFrom, Registrations: []clients.PartnerRegistration{}}
	visible := map[clients.RefJSON]bool{}
	for i, pr := range ov.Registrations {
		if ds[i].Allowed {
			visible[clients.RefJSON{Partner: pr.Partner, RecordKey: pr.RecordKey}] = true
		}
	}
	var newest time.Time
	bsns := map[string]bool{}
	for i, pr := range ov.Registrations {
		d := ds[i]
		if !d.Allowed {
			continue
		}
		filtered, err := policy.Filter(pr.Registration, d.Classes)
		if err != nil {
			return ov, err
		}
		var reg sdk.Registration
		if err := json.Unmarshal(filtered, &reg); err != nil {
			return ov, fmt.Errorf("read filtered registration: %w", err)
		}
		shown := clients.PartnerRegistration{Partner: pr.Partner, RecordKey: pr.RecordKey, Status: pr.Status, UpdatedAt: pr.UpdatedAt,
			Link: pr.Link, ProcessStep: reg.ProcessStep, TargetGroup: reg.TargetGroup, Municipality: reg.Municipality,
			Neighbourhood: reg.Neighbourhood, LifeDomains: reg.LifeDomains, ResponsibleWorker: reg.ResponsibleWorker,
			Sensitive: reg.Sensitive, Registration: filtered}
		shown.Link.Evidence = visibleEvidence(pr.Link.Evidence, d.Classes, visible)
		out.Registrations = append(out.Registrations, shown)
		if slices.Contains(d.Classes, policy.Identity) {
			if b, ok := identity.CheckBSN(reg.Client.BSN); ok {
				bsns[b] = true
			}
			if pr.UpdatedAt.After(newest) {
				newest = pr.UpdatedAt
				out.Identity = reg.Client
			}
		}
	}
	out.Identity.BSN = ""
	if len(bsns) == 1 {
		for b := range bsns {
			out.Identity.BSN = b
		}
	}
	if len(out.Registrations) == 0 {
		d := policy.Decision{Reasons: []policy.Reason{{Code: policy.CodeDenied, Message: "de cliënt heeft geen registraties"}}}
		if len(ds) > 0 {
			d = ds[0]
		}
		if err := s.audit.Record(ctx, refusedEvent(base, purpose, ov.ClientID, d)); err != nil {
			return out, fmt.Errorf("audit refused overview: %w", err)
		}
		return out, denied(d)
	}
	if err := s.audit.Record(ctx, disclosures(base, purpose, ds)...); err != nil {
		return out, fmt.Errorf("audit overview: %w", err)
	}
	return out, nil
}

// visibleEvidence returns a link's evidence when the caller may see the
// identities it compares, without the registration it was compared with
// when the caller may not see that one.
func visibleEvidence(raw json.RawMessage, classes []policy.Class, visible map[clients.RefJSON]bool) json.RawMessage {
	if len(raw) == 0 || !slices.Contains(classes, policy.Identity) {
		return nil
	}
	var ev clients.EvidenceJSON
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil
	}
	if !visible[ev.With] {
		ev.With = clients.RefJSON{}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return b
}

// clientHistory lists the corrections of a client's links, for those who
// may judge the client's links (review_matches).
func (s *server) clientHistory(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	cr, ok := s.readClient(w, r, policy.ReviewMatches)
	if !ok {
		return
	}
	h, err := s.clients.History(r.Context(), cr.id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeAudited(w, r, "history", List[clients.HistoryEntry]{Items: nonNil(h)}, disclosures(cr.base, cr.purpose, cr.access.allowedDecisions())...)
}

// refuseClient logs and answers a refused request about one client.
func (s *server) refuseClient(w http.ResponseWriter, r *http.Request, base audit.Event, purpose, client string, a clientAccess) {
	d := policy.Decision{Reasons: []policy.Reason{{Code: policy.CodeDenied, Message: "de cliënt heeft geen actieve registraties"}}}
	if len(a.decisions) > 0 {
		d = a.decisions[0]
	}
	if err := s.audit.Record(r.Context(), refusedEvent(base, purpose, client, d)); err != nil {
		s.fail(w, r, fmt.Errorf("audit refusal: %w", err))
		return
	}
	s.fail(w, r, a.refusal())
}

// mayJudge checks that the caller may see the identity of each of the
// given registrations of a client (any one of them when refs is empty) for
// review_matches, asking about the client as it is now: a correction of
// links is made only by someone who can compare the people concerned.
func (s *server) mayJudge(ctx context.Context, c caller, purpose, id string, refs []clients.RefJSON) error {
	client, err := s.clients.Resolve(ctx, id)
	if err != nil {
		return err
	}
	access, err := s.accessTo(ctx, c, purpose, policy.ReviewMatches, []string{client})
	if err != nil {
		return err
	}
	a := access[client]
	identityOf := func(partner string) bool {
		d, ok := a.decision(partner)
		return ok && d.Allowed && slices.Contains(d.Classes, policy.Identity)
	}
	if len(refs) == 0 {
		for _, p := range a.facts.Organisations {
			if identityOf(p) {
				return nil
			}
		}
		return a.refusalOr("de identiteit van deze cliënt is voor u niet zichtbaar")
	}
	for _, ref := range refs {
		if !identityOf(ref.Partner) {
			return a.refusalOr("de identiteit in registratie " + ref.RecordKey + " van " + ref.Partner + " is voor u niet zichtbaar")
		}
	}
	return nil
}

// refusalOr is the refusal of a client, or one with msg when the client's
// registrations are allowed but not with their identity.
func (a clientAccess) refusalOr(msg string) error {
	if !a.allowed() {
		return a.refusal()
	}
	return denied(policy.Decision{Reasons: []policy.Reason{{Code: policy.CodeClassWithheld, Message: msg}}})
}

// beginCorrection begins a correction of the links of the chain client
// named in the path (a split or a merge): on a hub with a client registry,
// for a caller who may judge links (review_matches, beginClient), with the
// request body read into req. It returns the caller, the purpose and the
// client id, or answers the request itself and returns false.
func (s *server) beginCorrection(w http.ResponseWriter, r *http.Request, req any) (caller, string, string, bool) {
	if !s.needClients(w, r) {
		return caller{}, "", "", false
	}
	c, purpose, id, ok := s.beginClient(w, r, policy.ReviewMatches)
	if !ok {
		return c, "", "", false
	}
	if err := readBody(r, req); err != nil {
		s.fail(w, r, err)
		return c, "", "", false
	}
	return c, purpose, id, true
}

// splitClient moves registrations of a wrongly merged client to a new one.
func (s *server) splitClient(w http.ResponseWriter, r *http.Request) {
	var req SplitRequest
	c, purpose, id, ok := s.beginCorrection(w, r, &req)
	if !ok {
		return
	}
	if err := s.mayJudge(r.Context(), c, purpose, id, req.Registrations); err != nil {
		s.fail(w, r, err)
		return
	}
	newID, err := s.clients.Split(r.Context(), id, req.Registrations, s.actor(r.Context(), c, purpose, req.Reason))
	s.respond(w, r, http.StatusCreated, SplitResponse{ClientID: id, NewClientID: newID}, err)
}

// mergeClient moves every registration of another client into this one.
func (s *server) mergeClient(w http.ResponseWriter, r *http.Request) {
	var req MergeRequest
	c, purpose, id, ok := s.beginCorrection(w, r, &req)
	if !ok {
		return
	}
	if !clientIDPattern.MatchString(req.ClientID) {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "client_id is geen geldige cliënt-id."))
		return
	}
	for _, cl := range []string{id, req.ClientID} {
		if err := s.mayJudge(r.Context(), c, purpose, cl, nil); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.clients.Merge(r.Context(), id, req.ClientID, s.actor(r.Context(), c, purpose, req.Reason)); err != nil {
		s.fail(w, r, err)
		return
	}
	ov, err := s.overview(r.Context(), c, purpose, policy.ReviewMatches, id)
	s.respond(w, r, http.StatusOK, ov, err)
}

// reviews lists the review queue with the evidence side by side: only the
// items of which the caller may see both registrations, each side filtered
// by its decision.
func (s *server) reviews(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, purpose, ok := s.begin(w, r, policy.ReviewMatches)
	if !ok {
		return
	}
	after, limit, err := pageParams(r, cursorReviews)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "open", "linked", "kept_apart", "obsolete":
	default:
		s.fail(w, r, hub.Errorf(hub.EINVALID, "status moet open, linked, kept_apart of obsolete zijn."))
		return
	}
	items, err := s.clients.Reviews(r.Context(), status, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	shown, ds, err := s.visibleReviews(r.Context(), c, purpose, items)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeAudited(w, r, "review queue", Page[clients.ReviewItem]{Items: shown, NextCursor: nextCursor(cursorReviews, after, items, reviewPos)},
		disclosures(c.event(r.Context(), audit.TypeDisclosure), purpose, ds)...)
}

// visibleReviews keeps the review items whose two registrations the caller
// may both see for review_matches, with each side's identity filtered by
// its decision, and returns the decisions of what is shown. A side's
// client is the client that holds the registration now.
func (s *server) visibleReviews(ctx context.Context, c caller, purpose string, items []clients.ReviewItem) ([]clients.ReviewItem, []policy.Decision, error) {
	holder := map[clients.RefJSON]string{}
	var ids []string
	for _, it := range items {
		for _, side := range []clients.ReviewSide{it.Registration, it.Other} {
			ref := clients.RefJSON{Partner: side.Partner, RecordKey: side.RecordKey}
			if _, ok := holder[ref]; ok {
				continue
			}
			id, _, err := s.clients.Link(ctx, side.Partner, side.RecordKey)
			if err != nil && hub.ErrorCode(err) != hub.ENOTFOUND {
				return nil, nil, err
			}
			holder[ref] = id
			if id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	facts, err := s.facts(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	reqs := make([]policy.Request, 0, 2*len(items))
	for _, it := range items {
		for _, side := range []clients.ReviewSide{it.Registration, it.Other} {
			f := facts[holder[clients.RefJSON{Partner: side.Partner, RecordKey: side.RecordKey}]]
			if f == nil {
				f = &policy.ClientFacts{}
			}
			reqs = append(reqs, policy.Request{Subject: c.policy, Purpose: purpose, Operation: policy.ReviewMatches, Client: f, Source: side.Partner})
		}
	}
	ds, err := s.decide(ctx, reqs)
	if err != nil {
		return nil, nil, err
	}
	shown := []clients.ReviewItem{}
	var allowed []policy.Decision
	for i, it := range items {
		a, b := ds[2*i], ds[2*i+1]
		if !a.Allowed || !b.Allowed {
			continue
		}
		var err error
		if it.Registration.Client, err = filterClient(it.Registration.Client, a.Classes); err != nil {
			return nil, nil, err
		}
		if it.Other.Client, err = filterClient(it.Other.Client, b.Classes); err != nil {
			return nil, nil, err
		}
		if !slices.Contains(a.Classes, policy.Identity) || !slices.Contains(b.Classes, policy.Identity) {
			it.Evidence.Fields = []clients.FieldJSON{}
		}
		shown = append(shown, it)
		allowed = append(allowed, a, b)
	}
	return shown, allowed, nil
}

// filterClient keeps the fields of a registration's client part that the
// classes make visible.
func filterClient(cl sdk.Client, classes []policy.Class) (sdk.Client, error) {
	b, err := json.Marshal(map[string]any{"client": cl})
	if err != nil {
		return sdk.Client{}, err
	}
	filtered, err := policy.Filter(b, classes)
	if err != nil {
		return sdk.Client{}, err
	}
	var out struct {
		Client sdk.Client `json:"client"`
	}
	if err := json.Unmarshal(filtered, &out); err != nil {
		return sdk.Client{}, fmt.Errorf("read filtered client: %w", err)
	}
	return out.Client, nil
}

// decideReview links or keeps apart the two clients of a review item.
func (s *server) decideReview(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	c, purpose, ok := s.begin(w, r, policy.ReviewMatches)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, hub.Errorf(hub.ENOTFOUND, "Beoordeling niet gevonden."))
		return
	}
	var req DecisionRequest
	if err := readBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	item, err := s.clients.Review(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, before, err := s.visibleReviews(r.Context(), c, purpose, []clients.ReviewItem{item})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(before) != 2 || !slices.Contains(before[0].Classes, policy.Identity) || !slices.Contains(before[1].Classes, policy.Identity) {
		s.fail(w, r, denied(policy.Decision{Reasons: []policy.Reason{{Code: policy.CodeClassWithheld,
			Message: "de identiteit van de registraties in deze beoordeling is voor u niet zichtbaar"}}}))
		return
	}
	it, err := s.clients.Decide(r.Context(), id, req.Decision, s.actor(r.Context(), c, purpose, req.Reason))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	shown, ds, err := s.visibleReviews(r.Context(), c, purpose, []clients.ReviewItem{it})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(shown) == 0 {
		// Decided, but the caller may not see the item as it is now.
		it = clients.ReviewItem{ID: it.ID, Status: it.Status, CreatedAt: it.CreatedAt, DecidedAt: it.DecidedAt, DecidedBy: it.DecidedBy,
			Evidence: clients.EvidenceJSON{Fields: []clients.FieldJSON{}}}
	} else {
		it = shown[0]
	}
	s.writeAudited(w, r, "review decision", it, disclosures(c.event(r.Context(), audit.TypeDisclosure), purpose, ds)...)
}
