package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
)

// Outcomes of a record of a pushed document (document_records.outcome).
const (
	OutcomeInserted  = "inserted"  // a new partner record
	OutcomeUpdated   = "updated"   // a changed partner record
	OutcomeDeleted   = "deleted"   // a delete operation applied
	OutcomeUnchanged = "unchanged" // equal to what the hub held, or a delete of a record it did not hold
	OutcomeRejected  = "rejected"  // refused; see its record errors
)

// RecordRef names one record of a document: its line (for a pushed
// document, its number) and its key.
type RecordRef struct {
	Line      int
	RecordKey string
}

// DocumentByKey returns the partner's document that was pushed with the
// Idempotency-Key key, and whether there is one.
func (s *Store) DocumentByKey(ctx context.Context, partner, key string) (hub.Document, bool, error) {
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE partner = $1 AND idempotency_key = $2`, partner, key))
	if isNoRows(err) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("find document of %s by idempotency key: %w", partner, err)
	}
	return d, true, nil
}

// RefuseDocument marks a document failed in tx, the transaction that lands
// it, with a receipt that lists issue: a document the hub refuses as a
// whole before processing (a push that is no JSON). Its bytes stay stored.
func (s *Store) RefuseDocument(ctx context.Context, tx pgx.Tx, documentID string, issue hub.ReceiptIssue) (hub.Receipt, error) {
	return failDocument(ctx, tx, documentID, issue.Message, issue)
}

// RecordOutcomes records in tx, the transaction that stores a chunk of a
// pushed document, what became of each of the chunk's records: the records
// stored (inserted, updated or deleted, as the registrations now say, or
// unchanged where storing changed nothing), those the decode stage found
// unchanged, and those quarantined with an error. A record that is both
// stored and quarantined counts as rejected.
func (s *Store) RecordOutcomes(ctx context.Context, tx pgx.Tx, partner, documentID string, stored []StoredRecord, unchanged []RecordRef, quarantined []QuarantinedRecord) error {
	var lines []int32
	var keys, outcomes []string
	add := func(line int, key, outcome string) {
		lines, keys, outcomes = append(lines, int32(line)), append(keys, key), append(outcomes, outcome)
	}
	rejected := map[int]bool{}
	for _, q := range quarantined {
		if q.Severity != "warning" && q.Line > 0 && !rejected[q.Line] {
			rejected[q.Line] = true
			add(q.Line, q.RecordKey, OutcomeRejected)
		}
	}
	written, err := writtenBy(ctx, tx, partner, documentID, stored)
	if err != nil {
		return err
	}
	for _, r := range stored {
		if rejected[r.Line] {
			continue
		}
		outcome, ok := written[r.RecordKey]
		if !ok {
			outcome = OutcomeUnchanged
		}
		add(r.Line, r.RecordKey, outcome)
	}
	for _, u := range unchanged {
		if !rejected[u.Line] {
			add(u.Line, u.RecordKey, OutcomeUnchanged)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO document_records (document_id, line, record_key, outcome)
		SELECT $1, l, k, o FROM unnest($2::int[], $3::text[], $4::text[]) AS u(l, k, o)
		ON CONFLICT (document_id, line) DO NOTHING`, documentID, lines, keys, outcomes); err != nil {
		return fmt.Errorf("record outcomes of %s: %w", documentID, err)
	}
	return nil
}

// writtenBy returns, by record key, how the document wrote each of the
// records stored: inserted (the registration was made in this
// transaction), updated or deleted. A record the document did not write is
// absent.
func writtenBy(ctx context.Context, tx pgx.Tx, partner, documentID string, stored []StoredRecord) (map[string]string, error) {
	out := make(map[string]string, len(stored))
	if len(stored) == 0 {
		return out, nil
	}
	keys := make([]string, len(stored))
	for i, r := range stored {
		keys[i] = r.RecordKey
	}
	rows, err := tx.Query(ctx, `SELECT k.key, r.status, r.created_at = now() FROM unnest($3::text[]) AS k(key)
		CROSS JOIN LATERAL (SELECT r.status, r.created_at FROM registrations r
			WHERE r.partner = $1 AND r.record_key = k.key AND r.document_id = $2 LIMIT 1) r`, partner, documentID, keys)
	if err != nil {
		return nil, fmt.Errorf("outcomes of %s: %w", documentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, status string
		var created bool
		if err := rows.Scan(&key, &status, &created); err != nil {
			return nil, fmt.Errorf("outcomes of %s: %w", documentID, err)
		}
		switch {
		case status == StatusDeleted:
			out[key] = OutcomeDeleted
		case created:
			out[key] = OutcomeInserted
		default:
			out[key] = OutcomeUpdated
		}
	}
	return out, rows.Err()
}

// RecordResult is what became of one record of a pushed document.
type RecordResult struct {
	Line      int
	RecordKey string
	Outcome   string
	// ClientID is the chain client the partner's record is linked to now;
	// "" for a rejected record or one without a link.
	ClientID string
}

// RecordResults returns what became of every record of a pushed document
// of partner, by line, and every record error and warning about it, by
// line (line 0: the document as a whole).
func (s *Store) RecordResults(ctx context.Context, partner, documentID string) ([]RecordResult, []RecordError, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.line, d.record_key, d.outcome, coalesce(ri.client_id, '')
		FROM document_records d LEFT JOIN registration_identity ri
			ON ri.partner = $2 AND ri.record_key = d.record_key AND d.outcome <> 'rejected'
		WHERE d.document_id = $1 ORDER BY d.line`, documentID, partner)
	if err != nil {
		return nil, nil, fmt.Errorf("results of %s: %w", documentID, err)
	}
	results, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RecordResult, error) {
		var r RecordResult
		err := row.Scan(&r.Line, &r.RecordKey, &r.Outcome, &r.ClientID)
		return r, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("results of %s: %w", documentID, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT id, line, col, field, record_key, code, message, severity
		FROM record_errors WHERE document_id = $1 ORDER BY line, id`, documentID)
	if err != nil {
		return nil, nil, fmt.Errorf("record errors of %s: %w", documentID, err)
	}
	issues, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RecordError, error) {
		var e RecordError
		err := row.Scan(&e.ID, &e.Line, &e.Column, &e.Field, &e.RecordKey, &e.Code, &e.Message, &e.Severity)
		return e, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("record errors of %s: %w", documentID, err)
	}
	return results, issues, nil
}
