package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// ConsentRequest is the body of POST /v1/clients/{id}/consents: one
// statement about sharing the client's data, as recorded by a worker.
type ConsentRequest struct {
	// Recipient is a partner id or a group of partners in roles.yaml.
	Recipient string `json:"recipient"`
	// Purpose is a purpose of roles.yaml, such as zorgcoordinatie.
	Purpose string `json:"purpose"`
	// State is given, refused or withdrawn.
	State string `json:"state"`
	// LegalBasis is toestemming, bemoeizorg or wettelijke_grondslag.
	LegalBasis     string `json:"legal_basis"`
	Justification  string `json:"justification,omitempty"`
	LegalReference string `json:"legal_reference,omitempty"`
	// ValidFrom and ValidUntil are dates (YYYY-MM-DD, Dutch time; until
	// includes the day) or RFC 3339 date-times.
	ValidFrom  string `json:"valid_from,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
	// EvidenceRef points at the evidence (the signed form), never the evidence.
	EvidenceRef string `json:"evidence_ref,omitempty"`
}

// ConsentRecord is one row of the consent registry as the API shows it.
type ConsentRecord struct {
	ID        int64  `json:"id"`
	ClientID  string `json:"client_id"`
	Recipient string `json:"recipient"`
	Purpose   string `json:"purpose"`
	// State is as recorded; Effective what it amounts to now (given,
	// refused, withdrawn, expired or not_yet_valid).
	State          string          `json:"state"`
	Effective      string          `json:"effective"`
	LegalBasis     string          `json:"legal_basis"`
	Justification  string          `json:"justification,omitempty"`
	LegalReference string          `json:"legal_reference,omitempty"`
	ValidFrom      time.Time       `json:"valid_from"`
	ValidUntil     *time.Time      `json:"valid_until,omitempty"`
	ReviewDue      *time.Time      `json:"review_due,omitempty"`
	EvidenceRef    string          `json:"evidence_ref,omitempty"`
	RecordedBy     ConsentRecorder `json:"recorded_by"`
	Source         string          `json:"source"`
	SourceRef      string          `json:"source_ref,omitempty"`
	RecordedAt     time.Time       `json:"recorded_at"`
	// RecordedFor is the client the row was recorded for, when it applies
	// to another client now (after a merge or split).
	RecordedFor string `json:"recorded_for,omitempty"`
	// Detached is set for a row that applies to nobody: the registrations
	// it was given for belong to different clients now.
	Detached bool `json:"detached,omitempty"`
}

// ConsentRecorder is who recorded a consent row.
type ConsentRecorder struct {
	Kind         string `json:"kind"`
	ID           string `json:"id"`
	Organisation string `json:"organisation,omitempty"`
	Role         string `json:"role,omitempty"`
	ActingFor    string `json:"acting_for,omitempty"`
}

func consentRecord(c consent.Consent, now time.Time) ConsentRecord {
	out := ConsentRecord{ID: c.ID, ClientID: c.ClientID, Recipient: c.Recipient, Purpose: c.Purpose, State: string(c.State),
		Effective: string(c.Effective(now)), LegalBasis: string(c.Basis), Justification: c.Justification,
		LegalReference: c.LegalReference, ValidFrom: c.ValidFrom, EvidenceRef: c.EvidenceRef,
		RecordedBy: ConsentRecorder{Kind: c.RecordedBy.Kind, ID: c.RecordedBy.ID, Organisation: c.RecordedBy.Organisation,
			Role: c.RecordedBy.Role, ActingFor: c.RecordedBy.ActingFor},
		Source: c.Source, SourceRef: c.SourceRef, RecordedAt: c.RecordedAt, Detached: c.Detached}
	if c.RecordedFor != c.ClientID {
		out.RecordedFor = c.RecordedFor
	}
	if !c.ValidUntil.IsZero() {
		t := c.ValidUntil
		out.ValidUntil = &t
	}
	if !c.ReviewDue.IsZero() {
		t := c.ReviewDue
		out.ReviewDue = &t
	}
	return out
}

func (s *server) needConsents(w http.ResponseWriter, r *http.Request) bool {
	if s.consents == nil || s.clients == nil {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Het toestemmingsregister is op deze hub niet beschikbaar."))
		return false
	}
	return true
}

// consentOperation is the operation that records a change on basis b.
func consentOperation(b consent.Basis) policy.Operation {
	if b == consent.Bemoeizorg {
		return policy.GrantBemoeizorg
	}
	return policy.ManageConsent
}

// recordConsent records a worker's statement about a client's consent, or
// a grant on another ground, and logs it in the audit trail in the same
// transaction. From the next read on, every decision follows it.
func (s *server) recordConsent(w http.ResponseWriter, r *http.Request) {
	if !s.needConsents(w, r) {
		return
	}
	c, id, ok := s.callerAndClient(w, r)
	if !ok {
		return
	}
	var req ConsentRequest
	if err := readBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	from, until, err := consent.ParseValidity(req.ValidFrom, req.ValidUntil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch := consent.Change{Recipient: req.Recipient, Purpose: req.Purpose, State: consent.State(req.State),
		Basis: consent.Basis(req.LegalBasis), Justification: req.Justification, LegalReference: req.LegalReference,
		ValidFrom: from, ValidUntil: until, EvidenceRef: req.EvidenceRef, Source: "api"}
	rec, err := s.storeConsent(r, c, id, ch)
	s.respond(w, r, http.StatusCreated, rec, err)
}

// partnerConsent takes a consent statement a partner system delivers
// (schemas/consent.v1.schema.json), for a client named by the chain client
// id or by the partner's own record key.
func (s *server) partnerConsent(w http.ResponseWriter, r *http.Request) {
	if !s.needConsents(w, r) {
		return
	}
	c, err := s.callerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	partner := r.PathValue("partner")
	if err := auth.RequirePartner(c.Subject, partner); err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "De body kan niet worden gelezen."))
		return
	}
	doc, issues, err := s.consentDocs.Parse(data)
	if err != nil {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "De body is geen geldige JSON."))
		return
	}
	if len(issues) > 0 {
		msgs := make([]string, 0, len(issues))
		for _, is := range issues {
			if is.Field == "" {
				msgs = append(msgs, is.Message)
			} else {
				msgs = append(msgs, is.Field+": "+is.Message)
			}
		}
		s.fail(w, r, hub.Errorf(hub.EINVALID, "De verklaring voldoet niet aan consent.v1: %s.", strings.Join(msgs, "; ")))
		return
	}
	if doc.Source.Partner != partner {
		s.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "source.partner moet %s zijn: een partner levert alleen eigen verklaringen aan.", partner))
		return
	}
	clientID := doc.Client.ClientID
	if clientID == "" {
		if clientID, _, err = s.clients.Link(r.Context(), partner, doc.Client.RecordKey); err != nil {
			if hub.ErrorCode(err) == hub.ENOTFOUND {
				err = hub.Errorf(hub.ENOTFOUND, "De hub kent geen registratie van %s met dit dossiernummer (client.record_key).", partner)
			}
			s.fail(w, r, err)
			return
		}
	} else if !clientIDPattern.MatchString(clientID) {
		s.fail(w, r, hub.Errorf(hub.ENOTFOUND, "Cliënt niet gevonden."))
		return
	}
	ch, err := doc.Change(clientID, consent.Recorder{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if doc.Client.ClientID == "" {
		// Given for the partner's own registration: it follows that
		// registration through merges and splits.
		ch.Anchors = []consent.Anchor{{Partner: partner, RecordKey: doc.Client.RecordKey}}
	}
	rec, err := s.storeConsent(r, c, clientID, ch)
	s.respond(w, r, http.StatusCreated, rec, err)
}

// storeConsent asks the decision point whether the caller may record ch for
// the client (manage_consent, or grant_bemoeizorg for a bemoeizorg grant,
// for the statement's purpose), then records it and its audit event in one
// transaction.
func (s *server) storeConsent(r *http.Request, c caller, id string, ch consent.Change) (ConsentRecord, error) {
	ctx := r.Context()
	cur, err := s.clients.Resolve(ctx, id)
	if err != nil {
		return ConsentRecord{}, err
	}
	ch.ClientID = cur
	op := consentOperation(ch.Basis)
	if _, err := s.allowOperation(r, c, ch.Purpose, op); err != nil {
		return ConsentRecord{}, err
	}
	access, err := s.accessTo(ctx, c, ch.Purpose, op, []string{cur})
	if err != nil {
		return ConsentRecord{}, err
	}
	base := c.event(ctx, audit.TypeConsentChange)
	if a := access[cur]; !a.allowed() {
		ev := base
		ev.Action, ev.Client, ev.Purpose, ev.Outcome = consentflow.Action(ch.State), cur, ch.Purpose, audit.OutcomeDenied
		if len(a.decisions) > 0 {
			ev.Detail = codeDetail(a.decisions[0].Code())
		}
		if err := s.audit.Record(ctx, ev); err != nil {
			return ConsentRecord{}, fmt.Errorf("audit refused consent change: %w", err)
		}
		return ConsentRecord{}, a.refusal()
	}
	ch.RecordedBy = consent.Recorder{Kind: string(c.policy.Kind), ID: c.ID, Organisation: c.Organisation, Role: c.role,
		ActingFor: firstNonEmpty(c.ActingFor, ch.RecordedBy.ActingFor)}
	probe := audit.Event{Type: audit.TypeLogin, Outcome: audit.OutcomeSuccess, Source: base.Source, ActingFor: ch.RecordedBy.ActingFor}
	if err := probe.Validate(); err != nil {
		return ConsentRecord{}, &hub.Error{Code: hub.EINVALID, Err: err,
			Message: "registered_by.id moet het eigen id van de medewerker zijn (letters, cijfers en ._:@/+=-), geen naam of BSN."}
	}
	var row consent.Consent
	err = s.store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if row, err = s.consents.Record(ctx, tx, ch); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, consentflow.ChangeEvent(base, row))
	})
	if err != nil {
		return ConsentRecord{}, err
	}
	return consentRecord(row, time.Now()), nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clientConsents lists every consent row of a client, for those who manage
// the client's consent.
func (s *server) clientConsents(w http.ResponseWriter, r *http.Request) {
	if !s.needConsents(w, r) {
		return
	}
	cr, ok := s.readClient(w, r, policy.ManageConsent)
	if !ok {
		return
	}
	rows, err := s.consents.History(r.Context(), cr.current)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	out := make([]ConsentRecord, len(rows))
	for i, row := range rows {
		out[i] = consentRecord(row, now)
	}
	ev := disclosures(cr.base, cr.purpose, cr.access.allowedDecisions()[:1])
	for i := range ev {
		ev[i].Categories = []string{"consent"}
	}
	s.writeAudited(w, r, "consent history", List[ConsentRecord]{Items: out}, ev...)
}
