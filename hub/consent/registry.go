package consent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ketenhub/ketenhub/hub"
)

// Querier is what the registry needs of a database handle: a
// *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Inserter is what Record needs: the transaction that also writes the
// audit entry of the change (a pgx.Tx), so that both commit or neither.
type Inserter interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

var (
	_ Querier  = (pgx.Tx)(nil)
	_ Inserter = (pgx.Tx)(nil)
)

// Registry reads and appends the consent registry in PostgreSQL (table
// consents, migration 00004). It is safe for concurrent use.
type Registry struct {
	db    Querier
	rules func() Rules
	now   func() time.Time
}

// Options configure NewRegistry.
type Options struct {
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// NewRegistry returns a registry reading from db. rules gives the current
// rules of roles.yaml for every Record (so a reload applies at once); it
// must not be nil.
func NewRegistry(db Querier, rules func() Rules, opts Options) *Registry {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Registry{db: db, rules: rules, now: now}
}

// Limits on free text, so that a statement cannot carry a document.
const (
	maxIDLength   = 200
	maxTextLength = 2000
)

// Record checks a change against the rules and appends it in tx, which
// should be the transaction that also writes the audit entry. It returns
// the recorded row. A change that breaks a rule returns a *hub.Error with
// code EINVALID (a missing or malformed field, an unknown purpose or
// recipient, a bemoeizorg grant without justification or end date, or
// running longer than allowed) or EFORBIDDEN (a bemoeizorg grant recorded
// by a role that may not); the message is Dutch and names no personal data.
// Database failures are returned wrapped.
func (r *Registry) Record(ctx context.Context, tx Inserter, ch Change) (Consent, error) {
	now := r.now().Truncate(time.Microsecond)
	c, err := r.check(ch, now)
	if err != nil {
		return Consent{}, err
	}
	var validUntil, reviewDue *time.Time
	if !c.ValidUntil.IsZero() {
		validUntil = &c.ValidUntil
	}
	if !c.ReviewDue.IsZero() {
		reviewDue = &c.ReviewDue
	}
	err = tx.QueryRow(ctx, `INSERT INTO consents (client_id, recipient, purpose, state, legal_basis, justification,
			legal_reference, valid_from, valid_until, review_due, evidence_ref, recorded_by_kind, recorded_by_id,
			recorded_by_org, recorded_by_role, acting_for, source, source_ref, recorded_at, statement_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		RETURNING id`,
		c.ClientID, c.Recipient, c.Purpose, string(c.State), string(c.Basis), c.Justification,
		c.LegalReference, c.ValidFrom, validUntil, reviewDue, c.EvidenceRef, c.RecordedBy.Kind, c.RecordedBy.ID,
		c.RecordedBy.Organisation, c.RecordedBy.Role, c.RecordedBy.ActingFor, c.Source, c.SourceRef, c.RecordedAt,
		c.StatementHash,
	).Scan(&c.ID)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23514" { // check_violation
			return Consent{}, &hub.Error{Code: hub.EINVALID, Message: "de verklaring voldoet niet aan de regels van het toestemmingsregister", Err: err}
		}
		return Consent{}, fmt.Errorf("record consent: %w", err)
	}
	if err := anchor(ctx, tx, c.ID, c.ClientID, c.Anchors); err != nil {
		return Consent{}, err
	}
	c.RecordedFor = c.ClientID
	return c, nil
}

// anchor stores the anchors of a new row (those given, or every
// registration of client) and the client it applies to: client.
func anchor(ctx context.Context, tx Inserter, id int64, client string, anchors []Anchor) error {
	var err error
	if anchors == nil {
		_, err = tx.Exec(ctx, `INSERT INTO consent_anchors (consent_id, partner, record_key)
			SELECT $1, partner, record_key FROM registration_identity WHERE client_id = $2`, id, client)
	} else {
		partners, keys := make([]string, len(anchors)), make([]string, len(anchors))
		for i, a := range anchors {
			partners[i], keys[i] = a.Partner, a.RecordKey
		}
		_, err = tx.Exec(ctx, `INSERT INTO consent_anchors (consent_id, partner, record_key)
			SELECT DISTINCT $1::bigint, p, k FROM unnest($2::text[], $3::text[]) AS u(p, k)`, id, partners, keys)
	}
	if err != nil {
		return fmt.Errorf("record consent anchors: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO consent_subjects (consent_id, client_id, rule) VALUES ($1, $2, 'recorded')`, id, client); err != nil {
		return fmt.Errorf("record consent subject: %w", err)
	}
	return nil
}

// check validates a change and completes it into the row to insert.
func (r *Registry) check(ch Change, now time.Time) (Consent, error) {
	invalid := func(format string, args ...any) (Consent, error) {
		return Consent{}, hub.Errorf(hub.EINVALID, format, args...)
	}
	if r.rules == nil {
		return Consent{}, hub.Errorf(hub.EUNAVAILABLE, "er zijn geen rollen en rechten geladen; toestemming kan niet worden vastgelegd")
	}
	rules := r.rules()
	ch.ClientID = strings.TrimSpace(ch.ClientID)
	for _, f := range []struct{ name, value string }{
		{"client_id", ch.ClientID}, {"recipient", ch.Recipient}, {"purpose", ch.Purpose},
		{"recorded_by.id", ch.RecordedBy.ID}, {"recorded_by.kind", ch.RecordedBy.Kind},
	} {
		if f.value == "" {
			return invalid("veld %s ontbreekt", f.name)
		}
		if len(f.value) > maxIDLength || !utf8.ValidString(f.value) {
			return invalid("veld %s is te lang of geen geldige tekst", f.name)
		}
	}
	for _, f := range []struct{ name, value string }{
		{"justification", ch.Justification}, {"legal_reference", ch.LegalReference}, {"evidence_ref", ch.EvidenceRef},
		{"source_ref", ch.SourceRef},
	} {
		if len(f.value) > maxTextLength || !utf8.ValidString(f.value) {
			return invalid("veld %s is te lang of geen geldige tekst", f.name)
		}
	}
	if ch.RecordedBy.Kind != "user" && ch.RecordedBy.Kind != "partner" {
		return invalid("recorded_by.kind moet user of partner zijn")
	}
	if !rules.Purposes[ch.Purpose] {
		return invalid("doel %q is niet bekend in roles.yaml", ch.Purpose)
	}
	if rules.Recipients != nil && !rules.Recipients[ch.Recipient] {
		return invalid("ontvanger %q is geen bekende partner of groep", ch.Recipient)
	}
	switch ch.State {
	case Given, Refused, Withdrawn:
	default:
		return invalid("status %q is niet toegestaan; kies uit: given, refused, withdrawn", ch.State)
	}
	switch ch.Basis {
	case Toestemming, Bemoeizorg, WettelijkeGrondslag:
	default:
		return invalid("grondslag %q is niet toegestaan; kies uit: toestemming, bemoeizorg, wettelijke_grondslag", ch.Basis)
	}
	if ch.State == Refused && ch.Basis != Toestemming {
		return invalid("alleen toestemming kan worden geweigerd; beëindig een besluit met status withdrawn")
	}
	if ch.Source == "" {
		ch.Source = "api"
	}
	if ch.ValidFrom.IsZero() {
		ch.ValidFrom = now
	}
	// PostgreSQL keeps microseconds: return what is stored.
	ch.ValidFrom = ch.ValidFrom.Truncate(time.Microsecond)
	ch.ValidUntil = ch.ValidUntil.Truncate(time.Microsecond)
	if !ch.ValidUntil.IsZero() && !ch.ValidUntil.After(ch.ValidFrom) {
		return invalid("valid_until moet na valid_from liggen")
	}
	c := Consent{Change: ch, RecordedAt: now}
	if ch.State != Given {
		return c, nil
	}
	switch ch.Basis {
	case Bemoeizorg:
		if !rules.BemoeizorgRoles[ch.RecordedBy.Role] {
			return Consent{}, hub.Errorf(hub.EFORBIDDEN, "rol %q mag geen bemoeizorg vastleggen", ch.RecordedBy.Role)
		}
		if strings.TrimSpace(ch.Justification) == "" {
			return invalid("bemoeizorg vraagt een onderbouwing (justification): waarom kan de cliënt onvoldoende voor zichzelf zorgen")
		}
		if ch.ValidUntil.IsZero() {
			return invalid("bemoeizorg vraagt een einddatum (valid_until)")
		}
		if rules.BemoeizorgMax <= 0 || ch.ValidUntil.Sub(ch.ValidFrom) > rules.BemoeizorgMax {
			return invalid("bemoeizorg mag hoogstens %d dagen lopen", int(rules.BemoeizorgMax/(24*time.Hour)))
		}
		if ch.ValidUntil.Before(now) {
			return invalid("de einddatum van bemoeizorg ligt in het verleden")
		}
		c.ReviewDue = ch.ValidUntil
		if rules.ReviewEvery > 0 && now.Add(rules.ReviewEvery).Before(c.ReviewDue) {
			c.ReviewDue = now.Add(rules.ReviewEvery)
		}
	case WettelijkeGrondslag:
		if strings.TrimSpace(ch.LegalReference) == "" {
			return invalid("een wettelijke grondslag vraagt een verwijzing (legal_reference) naar het artikel of besluit")
		}
	case Toestemming:
		if strings.TrimSpace(ch.EvidenceRef) == "" {
			return invalid("toestemming vraagt een verwijzing naar het bewijs (evidence_ref), zoals het getekende formulier")
		}
	}
	return c, nil
}

// columns are the columns read into a Consent, in scan order, of consents c
// joined with consent_subjects s.
const columns = `c.id, s.client_id, c.client_id, c.recipient, c.purpose, c.state, c.legal_basis, c.justification,
	c.legal_reference, c.valid_from, c.valid_until, c.review_due, c.evidence_ref, c.recorded_by_kind, c.recorded_by_id,
	c.recorded_by_org, c.recorded_by_role, c.acting_for, c.source, c.source_ref, c.recorded_at, c.statement_hash`

// Current returns, for each client in clientIDs, the current rows for the
// given recipients (a partner and the groups it belongs to) and purpose:
// the latest row per recipient and stream among the rows that apply to the
// client now, its own and those of the clients merged into it (see
// Follow). Clients without rows are absent from the map. One query serves
// a whole feed page. The rows are returned as recorded; Effective tells
// what each amounts to now.
func (r *Registry) Current(ctx context.Context, clientIDs, recipients []string, purpose string) (map[string][]Consent, error) {
	out := make(map[string][]Consent, len(clientIDs))
	if len(clientIDs) == 0 || len(recipients) == 0 {
		return out, nil
	}
	rows, err := r.db.Query(ctx, `SELECT DISTINCT ON (s.client_id, c.recipient, c.stream) `+columns+`
		FROM consent_subjects s JOIN consents c ON c.id = s.consent_id
		WHERE s.client_id = ANY($1) AND c.purpose = $2 AND c.recipient = ANY($3)
		ORDER BY s.client_id, c.recipient, c.stream, c.id DESC`, clientIDs, purpose, recipients)
	if err != nil {
		return nil, fmt.Errorf("current consent: %w", err)
	}
	list, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("current consent: %w", err)
	}
	for _, c := range list {
		out[c.ClientID] = append(out[c.ClientID], c)
	}
	return out, nil
}

// History returns every row that applies to a client now (its own, and
// those of clients merged into it), and the detached rows of which the
// client holds an anchor, oldest first: what was said, on which basis, by
// whom, and when.
func (r *Registry) History(ctx context.Context, clientID string) ([]Consent, error) {
	rows, err := r.db.Query(ctx, `SELECT `+columns+` FROM consent_subjects s JOIN consents c ON c.id = s.consent_id
		WHERE s.client_id = $1
			OR (s.client_id IS NULL AND s.consent_id IN (SELECT a.consent_id FROM consent_anchors a
				JOIN registration_identity ri ON ri.partner = a.partner AND ri.record_key = a.record_key WHERE ri.client_id = $1))
		ORDER BY c.id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	list, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	return list, nil
}

// DueForReview returns the bemoeizorg grants that are current and still
// running at asOf and whose review date has come: the grants a regievoerder
// or the privacy officer must look at again. Recording the grant anew (with
// an updated justification and end date) is the review; it sets a new
// review date. Ending it early is recording it as withdrawn. Oldest review
// date first.
func (r *Registry) DueForReview(ctx context.Context, asOf time.Time) ([]Consent, error) {
	rows, err := r.db.Query(ctx, `SELECT `+columns+` FROM (
			SELECT DISTINCT ON (s.client_id, c.recipient, c.purpose) s.consent_id FROM consent_subjects s
				JOIN consents c ON c.id = s.consent_id
			WHERE c.stream = 'grant' AND s.client_id IS NOT NULL
			ORDER BY s.client_id, c.recipient, c.purpose, c.id DESC) cur
		JOIN consents c ON c.id = cur.consent_id JOIN consent_subjects s ON s.consent_id = c.id
		WHERE c.legal_basis = 'bemoeizorg' AND c.state = 'given'
			AND c.valid_from <= $1 AND c.valid_until > $1 AND c.review_due <= $1
		ORDER BY c.review_due, c.id`, asOf)
	if err != nil {
		return nil, fmt.Errorf("bemoeizorg due for review: %w", err)
	}
	list, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("bemoeizorg due for review: %w", err)
	}
	return list, nil
}

func scanAll(rows pgx.Rows) ([]Consent, error) {
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var state, basis string
		var subject *string
		var validUntil, reviewDue *time.Time
		if err := rows.Scan(&c.ID, &subject, &c.RecordedFor, &c.Recipient, &c.Purpose, &state, &basis, &c.Justification,
			&c.LegalReference, &c.ValidFrom, &validUntil, &reviewDue, &c.EvidenceRef, &c.RecordedBy.Kind,
			&c.RecordedBy.ID, &c.RecordedBy.Organisation, &c.RecordedBy.Role, &c.RecordedBy.ActingFor,
			&c.Source, &c.SourceRef, &c.RecordedAt, &c.StatementHash); err != nil {
			return nil, err
		}
		if subject != nil {
			c.ClientID = *subject
		} else {
			c.Detached = true
		}
		c.State, c.Basis = State(state), Basis(basis)
		if validUntil != nil {
			c.ValidUntil = *validUntil
		}
		if reviewDue != nil {
			c.ReviewDue = *reviewDue
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
