// Package consentflow connects the consent registry (hub/consent) to the
// rest of the hub. It takes the consent statements that partners deliver
// through their adapters (sdk.Chunk.Consents) into the registry, in the
// transaction that stores the chunk, with the rules of the API: the
// partner's role must allow recording the statement, and the partner
// speaks only for its own clients, named by its own record keys. And it
// makes consent follow the client when registrations move between clients
// (merges, splits, relinks: clients.Options.OnMove). Every change is
// logged in the audit trail in the same transaction.
package consentflow

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Registry is what Flow needs of the consent registry; *consent.Registry
// implements it.
type Registry interface {
	Take(ctx context.Context, tx consent.Inserter, ch consent.Change) (consent.Consent, bool, error)
	Follow(ctx context.Context, tx pgx.Tx, clientIDs []string, rule string) ([]consent.Move, error)
}

// Decider is the decision point; *policy.Engine implements it.
type Decider interface {
	Decide(ctx context.Context, req policy.Request) (policy.Decision, error)
}

// Appender appends audit events in a transaction; *audit.Log implements it.
type Appender interface {
	Append(ctx context.Context, db audit.DB, events ...audit.Event) error
}

var (
	_ Registry = (*consent.Registry)(nil)
	_ Decider  = (*policy.Engine)(nil)
	_ Appender = (*audit.Log)(nil)
)

// Config configures New.
type Config struct {
	Registry Registry
	Policy   Decider
	Audit    Appender
	Logger   *slog.Logger
}

// Flow takes adapters' consent statements and makes consent follow the
// client. It is safe for concurrent use.
type Flow struct {
	reg    Registry
	policy Decider
	audit  Appender
	docs   *consent.Validator
	log    *slog.Logger
}

// New returns a Flow. It fails when a dependency is missing or the
// embedded consent schema does not compile.
func New(cfg Config) (*Flow, error) {
	if cfg.Registry == nil || cfg.Policy == nil || cfg.Audit == nil {
		return nil, errors.New("consentflow: registry, policy and audit are required")
	}
	docs, err := consent.NewValidator()
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Flow{reg: cfg.Registry, policy: cfg.Policy, audit: cfg.Audit, docs: docs, log: cfg.Logger}, nil
}

// Result is what became of a chunk's statements.
type Result struct {
	// Recorded statements are new rows of the registry; Unchanged ones
	// repeat the partner's last statement and were not recorded again.
	Recorded, Unchanged int
	// Rejected has one record error per refused statement: its line,
	// record key, the field where known, a CONSENT_* code and a Dutch
	// message without personal data.
	Rejected []sdk.RecordError
}

// auditBatch is how many events one Append gets at most.
const auditBatch = 5000

// Take records the consent statements of one stored chunk of partner's
// document, in tx, the transaction that stored the chunk and linked its
// registrations, so that a statement and the registration it concerns
// commit together. For each statement it checks consent.v1 and that it is
// the partner's own (source.partner, and the client named by record key,
// never by chain client id), resolves the record key to the chain client of
// the partner's registration (unknown: CONSENT_SUBJECT_UNKNOWN), asks the
// decision point whether the partner's role may record it (manage_consent,
// or grant_bemoeizorg for bemoeizorg, for the statement's purpose:
// CONSENT_FORBIDDEN), and records it with the rules of the registry
// (CONSENT_INVALID), unless the partner delivered the same statement before
// (Unchanged). Every recorded statement and every refused one the partner
// may not record is logged in the audit trail (consent_change) with the
// partner as the one who recorded it. A refused statement never fails the
// chunk; an error means the database or the decision point failed.
func (f *Flow) Take(ctx context.Context, tx pgx.Tx, partner, documentID string, stmts []sdk.Consent) (Result, error) {
	var res Result
	if len(stmts) == 0 {
		return res, nil
	}
	if err := clients.LockLinks(ctx, tx); err != nil {
		return res, err
	}
	subjects, err := linkedClients(ctx, tx, partner, stmts)
	if err != nil {
		return res, err
	}
	var events []audit.Event
	for _, st := range stmts {
		ev, problem, recorded, err := f.take(ctx, tx, partner, documentID, st, subjects)
		if err != nil {
			return res, err
		}
		if ev != nil {
			events = append(events, *ev)
		}
		switch {
		case problem != nil:
			res.Rejected = append(res.Rejected, *problem)
		case recorded:
			res.Recorded++
		default:
			res.Unchanged++
		}
	}
	for len(events) > 0 {
		n := min(len(events), auditBatch)
		if err := f.audit.Append(ctx, tx, events[:n]...); err != nil {
			return res, fmt.Errorf("audit consent statements of %s: %w", partner, err)
		}
		events = events[n:]
	}
	if len(res.Rejected) > 0 {
		f.log.Info("consent statements refused", "partner", partner, "document", documentID, "refused", len(res.Rejected))
	}
	return res, nil
}

// Check checks a consent statement of partner's document without the
// database: it must be JSON of consent.v1 and the partner's own
// (source.partner is partner, the client is named by the record key it
// came with, never by a chain client id). It returns the statement, or the
// record error (CONSENT_INVALID) that refuses it.
func Check(docs *consent.Validator, partner string, st sdk.Consent) (consent.Document, *sdk.RecordError) {
	doc, issues, err := docs.Parse(st.JSON)
	switch {
	case err != nil:
		return doc, refusal(st, sdk.CodeConsentInvalid, "", "de verklaring is geen JSON")
	case len(issues) > 0:
		return doc, refusal(st, sdk.CodeConsentInvalid, issues[0].Field, "de verklaring voldoet niet aan consent.v1: %s", issues[0].Message)
	case doc.Source.Partner != partner:
		return doc, refusal(st, sdk.CodeConsentInvalid, "source.partner", "source.partner moet %s zijn: een partner levert alleen eigen verklaringen aan", partner)
	case doc.Client.ClientID != "":
		return doc, refusal(st, sdk.CodeConsentInvalid, "client.client_id", "een adapter noemt de cliënt met het eigen dossiernummer (client.record_key), niet met een ketencliënt-id")
	case doc.Client.RecordKey != st.RecordKey:
		return doc, refusal(st, sdk.CodeConsentInvalid, "client.record_key", "client.record_key is niet de sleutel van het record waar de verklaring bij hoort")
	}
	return doc, nil
}

// MayRecord asks the decision point whether partner's role may record the
// statement: manage_consent, or grant_bemoeizorg for bemoeizorg, for its
// purpose. It returns the decision and, when it forbids, the record error
// (CONSENT_FORBIDDEN). The error is the decision point's.
func MayRecord(ctx context.Context, dec Decider, partner string, st sdk.Consent, doc consent.Document) (policy.Decision, *sdk.RecordError, error) {
	op := policy.ManageConsent
	if doc.LegalBasis == consent.Bemoeizorg {
		op = policy.GrantBemoeizorg
	}
	d, err := dec.Decide(ctx, policy.Request{Subject: policy.Subject{Kind: policy.Partner, ID: partner, Organisation: partner},
		Purpose: doc.Purpose, Operation: op})
	if err != nil {
		return d, nil, fmt.Errorf("decide %s for %s: %w", op, partner, err)
	}
	if d.Allowed || d.Code() == policy.CodeClientMissing {
		return d, nil, nil
	}
	msg := ""
	if len(d.Reasons) > 0 {
		msg = d.Reasons[0].Message
	}
	return d, refusal(st, sdk.CodeConsentForbidden, "", "%s mag deze verklaring niet vastleggen: %s [%s]", partner, msg, d.Code()), nil
}

// refusal is the record error that refuses statement st.
func refusal(st sdk.Consent, code, field, format string, args ...any) *sdk.RecordError {
	return &sdk.RecordError{Line: st.Line, RecordKey: st.RecordKey, Field: field, Code: code,
		Message: "toestemming: " + fmt.Sprintf(format, args...)}
}

// take takes one statement: the audit event to log (nil for none), or the
// problem that refused it, and whether it was recorded.
func (f *Flow) take(ctx context.Context, tx pgx.Tx, partner, documentID string, st sdk.Consent, subjects map[string]string) (*audit.Event, *sdk.RecordError, bool, error) {
	refuse := func(code, field, format string, args ...any) (*audit.Event, *sdk.RecordError, bool, error) {
		return nil, refusal(st, code, field, format, args...), false, nil
	}
	doc, problem := Check(f.docs, partner, st)
	if problem != nil {
		return nil, problem, false, nil
	}
	client, ok := subjects[st.RecordKey]
	if !ok {
		return refuse(sdk.CodeConsentSubject, "client.record_key",
			"de hub kent geen registratie van %s met dit dossiernummer; de verklaring is niet vastgelegd", partner)
	}
	d, forbidden, err := MayRecord(ctx, f.policy, partner, st, doc)
	if err != nil {
		return nil, nil, false, err
	}
	base := audit.Event{Type: audit.TypeConsentChange, Action: Action(doc.State), Client: client, User: partner,
		Organisation: partner, Role: d.Role, Purpose: doc.Purpose, Source: "pipeline", RequestID: documentID}
	if forbidden != nil {
		ev := base
		ev.Outcome, ev.Detail = audit.OutcomeDenied, detail(map[string]any{"code": d.Code(), "line": st.Line})
		return &ev, forbidden, false, nil
	}
	rec := consent.Recorder{Kind: string(policy.Partner), ID: partner, Organisation: partner, Role: d.Role}
	ch, err := doc.Change(client, rec)
	if err != nil {
		return refuse(sdk.CodeConsentInvalid, "", "%s", hub.ErrorMessage(err))
	}
	if ch.RecordedBy.ActingFor != "" {
		probe := audit.Event{Type: audit.TypeLogin, Outcome: audit.OutcomeSuccess, Source: "pipeline", ActingFor: ch.RecordedBy.ActingFor}
		if probe.Validate() != nil {
			return refuse(sdk.CodeConsentInvalid, "registered_by.id", "registered_by.id moet het eigen id van de medewerker zijn (letters, cijfers en ._:@/+=-), geen naam of BSN")
		}
	}
	if ch.SourceRef == "" {
		ch.SourceRef = st.RecordKey
	}
	ch.Anchors = []consent.Anchor{{Partner: partner, RecordKey: st.RecordKey}}
	ch.StatementHash = statementHash(doc, st.RecordKey)
	row, recorded, err := f.takeInSavepoint(ctx, tx, ch)
	if err != nil {
		switch hub.ErrorCode(err) {
		case hub.EINVALID:
			return refuse(sdk.CodeConsentInvalid, "", "%s", hub.ErrorMessage(err))
		case hub.EFORBIDDEN:
			return refuse(sdk.CodeConsentForbidden, "", "%s", hub.ErrorMessage(err))
		}
		return nil, nil, false, err
	}
	if !recorded {
		return nil, nil, false, nil
	}
	ev := ChangeEvent(base, row)
	return &ev, nil, true, nil
}

// takeInSavepoint takes ch in a savepoint of tx, so that a row the
// database refuses leaves the chunk's transaction usable.
func (f *Flow) takeInSavepoint(ctx context.Context, tx pgx.Tx, ch consent.Change) (consent.Consent, bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("savepoint: %w", err)
	}
	row, recorded, err := f.reg.Take(ctx, sp, ch)
	if err != nil {
		_ = sp.Rollback(ctx)
		return row, false, err
	}
	if err := sp.Commit(ctx); err != nil {
		return row, false, fmt.Errorf("release savepoint: %w", err)
	}
	return row, recorded, nil
}

// ChangeEvent completes base (a consent_change event with the subject,
// purpose and source) into the audit event of a recorded row: the action
// of its state, the client it applies to, and as detail the row id,
// recipient, state, basis, source and end.
func ChangeEvent(base audit.Event, row consent.Consent) audit.Event {
	ev := base
	ev.Type, ev.Action, ev.Client, ev.Purpose = audit.TypeConsentChange, Action(row.State), row.ClientID, row.Purpose
	ev.Categories, ev.Outcome = []string{"consent"}, audit.OutcomeSuccess
	ev.ActingFor = row.RecordedBy.ActingFor
	d := map[string]any{"consent_id": row.ID, "recipient": row.Recipient, "state": row.State,
		"legal_basis": row.Basis, "source": row.Source}
	if !row.ValidUntil.IsZero() {
		d["valid_until"] = row.ValidUntil.UTC().Format(time.RFC3339)
	}
	ev.Detail = detail(d)
	return ev
}

// Action is the audit action of a consent change: grant for given,
// withdraw for refused or withdrawn.
func Action(st consent.State) string {
	if st == consent.Given {
		return audit.ActionGrant
	}
	return audit.ActionWithdraw
}

func detail(m map[string]any) json.RawMessage {
	b, _ := json.Marshal(m)
	return b
}

// statementHash identifies a statement by its contents and the record it
// concerns.
func statementHash(doc consent.Document, recordKey string) []byte {
	b, _ := json.Marshal(doc)
	h := sha256.New()
	h.Write([]byte(recordKey))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil)
}

// linkedClients returns the chain client of each of the statements' record
// keys that the partner has a registration for.
func linkedClients(ctx context.Context, tx pgx.Tx, partner string, stmts []sdk.Consent) (map[string]string, error) {
	keys := make([]string, 0, len(stmts))
	for _, st := range stmts {
		if st.RecordKey != "" {
			keys = append(keys, st.RecordKey)
		}
	}
	out := make(map[string]string, len(keys))
	rows, err := tx.Query(ctx, `SELECT record_key, client_id FROM registration_identity WHERE partner = $1 AND record_key = ANY($2::text[])`,
		partner, keys)
	if err != nil {
		return nil, fmt.Errorf("resolve consent statements of %s: %w", partner, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, c string
		if err := rows.Scan(&k, &c); err != nil {
			return nil, fmt.Errorf("resolve consent statements of %s: %w", partner, err)
		}
		out[k] = c
	}
	return out, rows.Err()
}

// Follow makes consent follow the clients of link changes, in tx, the
// transaction of the change (pass it as clients.Options.OnMove): each
// change's clients are handed to the registry's Follow, and every row that
// moved is logged (consent_change, action move, or detach for a row that
// applies to nobody now), by user hub on behalf of whoever made the change.
func (f *Flow) Follow(ctx context.Context, tx pgx.Tx, changes []clients.LinkChange) error {
	var events []audit.Event
	for _, ch := range changes {
		if ch.Action == clients.ActionUnlink {
			continue
		}
		ids := append([]string{ch.ClientID}, ch.Related...)
		moves, err := f.reg.Follow(ctx, tx, ids, ch.Rule)
		if err != nil {
			return err
		}
		for _, m := range moves {
			ev := audit.Event{Type: audit.TypeConsentChange, Action: audit.ActionMove, Client: m.To, User: "hub",
				Categories: []string{"consent"}, Outcome: audit.OutcomeSuccess, Source: "consent follows client",
				Detail: detail(map[string]any{"consent_id": m.ConsentID, "rule": m.Rule})}
			if m.From != "" {
				ev.Related = []string{m.From}
			}
			if m.To == "" {
				ev.Action, ev.Client, ev.Related = audit.ActionDetach, m.From, nil
				ev.Detail = detail(map[string]any{"consent_id": m.ConsentID, "rule": m.Rule, "clients": ids})
			}
			if ch.By != "" && ch.By != "hub" {
				ev.ActingFor = ch.By
			}
			events = append(events, ev)
		}
	}
	if err := f.audit.Append(ctx, tx, events...); err != nil {
		return fmt.Errorf("audit consent moves: %w", err)
	}
	return nil
}
