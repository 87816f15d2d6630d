package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
)

// MaxReceiptIssues is how many errors (and warnings) a receipt lists; the
// quarantine keeps all of them.
const MaxReceiptIssues = 1000

// FinishDocument closes a document whose chunks are all stored, in tx: for a
// full export with endMissing it ends the partner's active records that the
// export did not contain — unless the export was incomplete, or would end
// more than maxMissingShare of the partner's active records (an export cut
// short), which gives a warning instead — then it counts, builds and stores
// the receipt and marks the document done. It also returns the record keys
// it ended, for routing.
func (s *Store) FinishDocument(ctx context.Context, tx pgx.Tx, documentID string, endMissing bool, maxMissingShare float64) (hub.Receipt, []string, error) {
	var r hub.Receipt
	var endedKeys []string
	var sum []byte
	var seenKeys int64
	err := tx.QueryRow(ctx, `SELECT partner, original_name, sha256, received_at, records_total, unchanged, seen_keys FROM documents WHERE id = $1 FOR UPDATE`,
		documentID).Scan(&r.Partner, &r.OriginalName, &sum, &r.ReceivedAt, &r.Counts.Records, &r.Counts.Unchanged, &seenKeys)
	if err != nil {
		return r, nil, fmt.Errorf("finish document %s: %w", documentID, err)
	}
	r.DocumentID = documentID
	r.SHA256 = hex.EncodeToString(sum)
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(inserted), 0), coalesce(sum(updated), 0), coalesce(sum(deleted), 0), coalesce(sum(rejected), 0),
			coalesce(sum(consents_recorded), 0), coalesce(sum(consents_unchanged), 0), coalesce(sum(consents_rejected), 0)
		FROM document_chunks WHERE document_id = $1`, documentID).Scan(&r.Counts.Inserted, &r.Counts.Updated, &r.Counts.Deleted, &r.Counts.Rejected,
		&r.Counts.ConsentsRecorded, &r.Counts.ConsentsUnchanged, &r.Counts.ConsentsRejected); err != nil {
		return r, nil, fmt.Errorf("count document %s: %w", documentID, err)
	}
	if endMissing {
		var unsafe int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM record_errors WHERE document_id = $1 AND severity = 'error' AND (record_key = '' OR line = 0)
			AND code NOT LIKE 'CONSENT\_%'`,
			documentID).Scan(&unsafe); err != nil {
			return r, nil, fmt.Errorf("check export completeness of %s: %w", documentID, err)
		}
		var staged int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(cardinality(record_keys)), 0) FROM document_keys WHERE document_id = $1`, documentID).Scan(&staged); err != nil {
			return r, nil, fmt.Errorf("count staged keys of %s: %w", documentID, err)
		}
		if unsafe > 0 || r.Counts.Records == 0 || staged != seenKeys {
			r.Warnings = append(r.Warnings, hub.ReceiptIssue{Code: "EXPORT_INCOMPLETE",
				Message: "volledige export niet compleet gelezen (document- of regelfouten zonder dossiernummer); ontbrekende records zijn niet beëindigd"})
		} else {
			keys, cutShort, err := endMissingRecords(ctx, tx, r.Partner, documentID, maxMissingShare)
			if err != nil {
				return r, nil, err
			}
			if cutShort {
				r.Warnings = append(r.Warnings, hub.ReceiptIssue{Code: "EXPORT_SUSPICIOUS", Message: fmt.Sprintf(
					"volledige export mist meer dan %.0f%% van de actieve registraties; waarschijnlijk afgebroken, niets beëindigd", maxMissingShare*100)})
			} else {
				r.Counts.Ended, endedKeys = int64(len(keys)), keys
			}
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM document_keys WHERE document_id = $1`, documentID); err != nil {
		return r, nil, fmt.Errorf("drop staged keys of %s: %w", documentID, err)
	}
	r.Errors, r.ErrorsTruncated, err = receiptIssues(ctx, tx, documentID, "error")
	if err != nil {
		return r, nil, err
	}
	warnings, _, err := receiptIssues(ctx, tx, documentID, "warning")
	if err != nil {
		return r, nil, err
	}
	r.Warnings = append(r.Warnings, warnings...)
	if r.Errors == nil {
		r.Errors = []hub.ReceiptIssue{}
	}
	if r.Warnings == nil {
		r.Warnings = []hub.ReceiptIssue{}
	}
	r.Status = hub.DocDone
	r.FinishedAt = time.Now().UTC().Truncate(time.Millisecond)
	doc, err := json.Marshal(r)
	if err != nil {
		return r, nil, fmt.Errorf("encode receipt of %s: %w", documentID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET status = 'done', finished_at = $2, receipt = $3 WHERE id = $1`, documentID, r.FinishedAt, doc); err != nil {
		return r, nil, fmt.Errorf("store receipt of %s: %w", documentID, err)
	}
	return r, endedKeys, nil
}

// endMissingRecords ends the partner's active records that are not among the
// document's staged keys, inside a savepoint, and returns their record keys.
// When that would be more than maxShare of the active records it rolls back
// and reports the export as cut short.
func endMissingRecords(ctx context.Context, tx pgx.Tx, partner, documentID string, maxShare float64) (keys []string, cutShort bool, err error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	defer sp.Rollback(ctx)
	// A hash anti-join, always: the planner cannot estimate the unnested
	// keys, and a nested loop would be quadratic in the export's size.
	if _, err := sp.Exec(ctx, `SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '256MB'`); err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	rows, err := sp.Query(ctx, `WITH seen AS MATERIALIZED (SELECT unnest(record_keys) AS record_key FROM document_keys WHERE document_id = $2)
		UPDATE registrations AS r SET status = 'ended', document_id = $2, feed_seq = nextval('feed_seq'), updated_at = now()
		WHERE r.partner = $1 AND r.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.record_key = r.record_key)
		RETURNING r.record_key`, partner, documentID)
	if err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	if _, err := sp.Exec(ctx, `SET LOCAL enable_nestloop = on; SET LOCAL work_mem = DEFAULT`); err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	if n := int64(len(keys)); n > 0 {
		// The share is of the records that were active before: those still
		// active plus the ones just ended.
		var stillActive int64
		if err := sp.QueryRow(ctx, `SELECT count(*) FROM registrations WHERE partner = $1 AND status = 'active'`, partner).Scan(&stillActive); err != nil {
			return nil, false, fmt.Errorf("count active records of %s: %w", partner, err)
		}
		if float64(n) > maxShare*float64(stillActive+n) {
			return nil, true, nil // the deferred rollback undoes the update
		}
	}
	if err := sp.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("end records missing from %s: %w", documentID, err)
	}
	return keys, false, nil
}

func receiptIssues(ctx context.Context, tx pgx.Tx, documentID, severity string) ([]hub.ReceiptIssue, bool, error) {
	rows, err := tx.Query(ctx, `SELECT line, col, field, record_key, code, message FROM record_errors
		WHERE document_id = $1 AND severity = $2 ORDER BY line, id LIMIT $3`, documentID, severity, MaxReceiptIssues+1)
	if err != nil {
		return nil, false, fmt.Errorf("list %ss of %s: %w", severity, documentID, err)
	}
	defer rows.Close()
	var out []hub.ReceiptIssue
	for rows.Next() {
		var i hub.ReceiptIssue
		if err := rows.Scan(&i.Line, &i.Column, &i.Field, &i.RecordKey, &i.Code, &i.Message); err != nil {
			return nil, false, fmt.Errorf("list %ss of %s: %w", severity, documentID, err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list %ss of %s: %w", severity, documentID, err)
	}
	if len(out) > MaxReceiptIssues {
		return out[:MaxReceiptIssues], true, nil
	}
	return out, false, nil
}

// FailDocument marks a document failed with a receipt that gives the reason.
// The raw bytes stay stored, so the document can be replayed.
func (s *Store) FailDocument(ctx context.Context, documentID, reason string) (hub.Receipt, error) {
	return failDocument(ctx, s.pool, documentID, reason, hub.ReceiptIssue{Code: "DOC_FAILED", Message: reason})
}

// failDocument marks a document failed through db with a receipt that lists
// issue and gives reason.
func failDocument(ctx context.Context, db DB, documentID, reason string, issue hub.ReceiptIssue) (hub.Receipt, error) {
	var r hub.Receipt
	var sum []byte
	err := db.QueryRow(ctx, `SELECT partner, original_name, sha256, received_at FROM documents WHERE id = $1`, documentID).
		Scan(&r.Partner, &r.OriginalName, &sum, &r.ReceivedAt)
	if err != nil {
		return r, fmt.Errorf("fail document %s: %w", documentID, err)
	}
	r.DocumentID = documentID
	r.SHA256 = hex.EncodeToString(sum)
	r.Status = hub.DocFailed
	r.Failure = reason
	r.FinishedAt = time.Now().UTC().Truncate(time.Millisecond)
	r.Errors = []hub.ReceiptIssue{issue}
	r.Warnings = []hub.ReceiptIssue{}
	doc, err := json.Marshal(r)
	if err != nil {
		return r, fmt.Errorf("encode receipt of %s: %w", documentID, err)
	}
	if _, err := db.Exec(ctx, `UPDATE documents SET status = 'failed', failure = $2, finished_at = $3, receipt = $4 WHERE id = $1`,
		documentID, reason, r.FinishedAt, doc); err != nil {
		return r, fmt.Errorf("fail document %s: %w", documentID, err)
	}
	return r, nil
}

// MarkReceiptWritten records that the receipt file of a document exists.
func (s *Store) MarkReceiptWritten(ctx context.Context, documentID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE documents SET receipt_written = true WHERE id = $1`, documentID); err != nil {
		return fmt.Errorf("mark receipt of %s written: %w", documentID, err)
	}
	return nil
}
