package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Registration statuses.
const (
	StatusActive  = "active"
	StatusDeleted = "deleted" // the partner deleted the record
	StatusEnded   = "ended"   // the record was missing from a full export
)

// KnownState is what the hub holds of one partner record: enough to tell
// whether an incoming record changes anything.
type KnownState struct {
	ContentHash []byte
	Status      string
}

// KnownStates returns the stored state of the given record keys of a partner.
// Keys the hub does not know are absent from the map.
func (s *Store) KnownStates(ctx context.Context, partner string, keys []string) (map[string]KnownState, error) {
	out := make(map[string]KnownState, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	// One primary-key lookup per key, not "record_key = ANY($2)" or a plain
	// join: without fresh statistics (a table that grows during an ingest)
	// the planner may scan the whole table for every chunk.
	rows, err := s.pool.Query(ctx, `SELECT k.key, r.content_hash, r.status FROM unnest($2::text[]) AS k(key)
		CROSS JOIN LATERAL (SELECT r.content_hash, r.status FROM registrations r
			WHERE r.partner = $1 AND r.record_key = k.key LIMIT 1) r`, partner, keys)
	if err != nil {
		return nil, fmt.Errorf("known states of %s: %w", partner, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var st KnownState
		if err := rows.Scan(&k, &st.ContentHash, &st.Status); err != nil {
			return nil, fmt.Errorf("known states of %s: %w", partner, err)
		}
		out[k] = st
	}
	return out, rows.Err()
}

// ChangedKeys compares records with what the hub holds and returns the keys,
// among keys, whose content hash differs from the stored one, or that the
// hub does not hold, or holds as not active. hashes[i] belongs to keys[i].
//
// Exports are usually sorted by their key, so a chunk's keys mostly fill one
// narrow key range: ChangedKeys first reads that range in one index range
// scan, bounded to a few times the chunk's size, and compares in memory.
// When the range holds more (keys scattered over the partner's records), it
// falls back to one primary-key probe per key.
func (s *Store) ChangedKeys(ctx context.Context, partner string, keys []string, hashes [][]byte) (map[string]bool, error) {
	out := make(map[string]bool)
	if len(keys) == 0 {
		return out, nil
	}
	lo, hi := keys[0], keys[0]
	for _, k := range keys[1:] {
		lo, hi = min(lo, k), max(hi, k)
	}
	limit := 2*len(keys) + 16
	rows, err := s.pool.Query(ctx, `SELECT record_key, content_hash, status FROM registrations
		WHERE partner = $1 AND record_key >= $2 AND record_key <= $3 ORDER BY record_key LIMIT $4`, partner, lo, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("changed keys of %s: %w", partner, err)
	}
	stored := make(map[string]KnownState, len(keys))
	for rows.Next() {
		var k string
		var st KnownState
		if err := rows.Scan(&k, &st.ContentHash, &st.Status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("changed keys of %s: %w", partner, err)
		}
		stored[k] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changed keys of %s: %w", partner, err)
	}
	if len(stored) >= limit {
		return s.changedKeysByProbe(ctx, partner, keys, hashes)
	}
	for i, k := range keys {
		if st, ok := stored[k]; !ok || st.Status != StatusActive || string(st.ContentHash) != string(hashes[i]) {
			out[k] = true
		}
	}
	return out, nil
}

// changedKeysByProbe is ChangedKeys with one primary-key probe per key.
func (s *Store) changedKeysByProbe(ctx context.Context, partner string, keys []string, hashes [][]byte) (map[string]bool, error) {
	out := make(map[string]bool)
	// LATERAL ... LIMIT 1 keeps the probes whatever the statistics say: a
	// hash join would scan the whole table per chunk.
	rows, err := s.pool.Query(ctx, `SELECT k.key FROM unnest($2::text[], $3::bytea[]) AS k(key, h)
		LEFT JOIN LATERAL (SELECT r.content_hash, r.status FROM registrations r
			WHERE r.partner = $1 AND r.record_key = k.key LIMIT 1) r ON true
		WHERE r.status IS NULL OR r.status <> 'active' OR r.content_hash <> k.h`, partner, keys, hashes)
	if err != nil {
		return nil, fmt.Errorf("changed keys of %s: %w", partner, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("changed keys of %s: %w", partner, err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

// DecodedChunk is the decode stage's bookkeeping for one published chunk.
type DecodedChunk struct {
	DocumentID string
	Seq        int
	Records    int64    // records in the chunk as the adapter delivered them, good and bad
	Unchanged  int64    // records left out because they equal the stored state
	SeenKeys   []string // for full exports that end missing records: every key of the chunk
	Last       bool     // the end-of-document marker; Seq is then the number of data chunks
}

// RecordDecodedChunk advances the document's decode progress inside tx, the
// transaction that also publishes the chunk. It returns false without
// changing anything when the chunk was recorded before (a resumed decode).
func (s *Store) RecordDecodedChunk(ctx context.Context, tx pgx.Tx, c DecodedChunk) (bool, error) {
	var total *int
	if c.Last {
		total = &c.Seq
	}
	tag, err := tx.Exec(ctx, `UPDATE documents SET decoded_chunks = $2 + 1, records_total = records_total + $3,
		unchanged = unchanged + $4, decode_finished = $5, total_chunks = coalesce($6, total_chunks), status = 'decoding',
		seen_keys = seen_keys + $7
		WHERE id = $1 AND decoded_chunks = $2`, c.DocumentID, c.Seq, c.Records, c.Unchanged, c.Last, total, len(c.SeenKeys))
	if err != nil {
		return false, fmt.Errorf("record decoded chunk %d of %s: %w", c.Seq, c.DocumentID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if len(c.SeenKeys) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO document_keys (document_id, chunk_seq, record_keys) VALUES ($1, $2, $3)`,
			c.DocumentID, c.Seq, c.SeenKeys); err != nil {
			return false, fmt.Errorf("stage keys of chunk %d of %s: %w", c.Seq, c.DocumentID, err)
		}
	}
	return true, nil
}

// StoredRecord is one validated registration ready to be stored.
type StoredRecord struct {
	RecordKey    string
	Operation    string // new | change | delete
	ContentHash  []byte
	Data         []byte // the registration as shared-schema JSON
	Line         int
	RegisteredAt *time.Time
	SourceDigest []byte // the adapter's digest of the record's source, nil when it has none
}

// QuarantinedRecord is a rejected record (or a warning about a kept one).
type QuarantinedRecord struct {
	Line      int
	Column    int
	Field     string
	RecordKey string
	Code      string
	Message   string
	Severity  string // error | warning
	Record    []byte // the mapped record as JSON, when there is one
}

// StoreChunkResult counts what storing a chunk did.
type StoreChunkResult struct {
	Applied  bool // false when the chunk had been stored before
	Inserted int
	Updated  int
	Deleted  int
	Rejected int
	// UnknownDeletes are the keys of delete operations for records the hub
	// does not hold (active).
	UnknownDeletes []string
	// FeedSeqs of the stored registrations, for the accepted event.
	FeedSeqs []int64
}

// StoreChunk stores one chunk of a document in tx: upserts new and changed
// records by partner and record key (skipping identical ones), applies
// deletes, and quarantines the rejected records. Storing the same chunk
// twice is a no-op, reported by Applied false.
func (s *Store) StoreChunk(ctx context.Context, tx pgx.Tx, partner, documentID string, seq int, recs []StoredRecord, rejected []QuarantinedRecord) (StoreChunkResult, error) {
	var res StoreChunkResult
	tag, err := tx.Exec(ctx, `INSERT INTO document_chunks (document_id, seq, inserted, updated, deleted, rejected)
		VALUES ($1, $2, 0, 0, 0, 0) ON CONFLICT DO NOTHING`, documentID, seq)
	if err != nil {
		return res, fmt.Errorf("claim chunk %d of %s: %w", seq, documentID, err)
	}
	if tag.RowsAffected() == 0 {
		return res, nil
	}
	res.Applied = true

	var (
		keys, ops       []string
		hashes, datas   [][]byte
		lines           []int32
		regAts          []*time.Time
		digests         [][]byte
		delKeys         []string
		delLines        []int32
		delHash, delDat [][]byte
	)
	for _, r := range recs {
		if r.Operation == "delete" {
			delKeys = append(delKeys, r.RecordKey)
			delLines = append(delLines, int32(r.Line))
			delHash = append(delHash, r.ContentHash)
			delDat = append(delDat, r.Data)
			continue
		}
		keys = append(keys, r.RecordKey)
		ops = append(ops, r.Operation)
		hashes = append(hashes, r.ContentHash)
		datas = append(datas, r.Data)
		lines = append(lines, int32(r.Line))
		regAts = append(regAts, r.RegisteredAt)
		digests = append(digests, r.SourceDigest)
	}
	if len(keys) > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO registrations AS r (partner, record_key, status, operation, content_hash, data, document_id, line, registered_at, source_digest)
			SELECT $1, k, 'active', o, h, d, $2, l, t, s FROM unnest($3::text[], $4::text[], $5::bytea[], $6::jsonb[], $7::int[], $8::timestamptz[], $9::bytea[]) AS u(k, o, h, d, l, t, s)
			ON CONFLICT (partner, record_key) DO UPDATE SET
				status = 'active', operation = EXCLUDED.operation, content_hash = EXCLUDED.content_hash, data = EXCLUDED.data,
				document_id = EXCLUDED.document_id, line = EXCLUDED.line, registered_at = EXCLUDED.registered_at,
				source_digest = EXCLUDED.source_digest, feed_seq = nextval('feed_seq'), updated_at = now()
			WHERE r.content_hash <> EXCLUDED.content_hash OR r.status <> 'active'
			RETURNING (xmax = 0), feed_seq`, partner, documentID, keys, ops, hashes, datas, lines, regAts, digests)
		if err != nil {
			return res, fmt.Errorf("upsert chunk %d of %s: %w", seq, documentID, err)
		}
		for rows.Next() {
			var inserted bool
			var fs int64
			if err := rows.Scan(&inserted, &fs); err != nil {
				rows.Close()
				return res, fmt.Errorf("upsert chunk %d of %s: %w", seq, documentID, err)
			}
			if inserted {
				res.Inserted++
			} else {
				res.Updated++
			}
			res.FeedSeqs = append(res.FeedSeqs, fs)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("upsert chunk %d of %s: %w", seq, documentID, err)
		}
	}
	if len(delKeys) > 0 {
		rows, err := tx.Query(ctx, `UPDATE registrations AS r SET status = 'deleted', operation = 'delete', content_hash = u.h, data = u.d,
				document_id = $2, line = u.l, feed_seq = nextval('feed_seq'), updated_at = now()
			FROM unnest($3::text[], $4::int[], $5::bytea[], $6::jsonb[]) AS u(k, l, h, d)
			WHERE r.partner = $1 AND r.record_key = u.k AND r.status = 'active'
			RETURNING r.record_key, r.feed_seq`, partner, documentID, delKeys, delLines, delHash, delDat)
		if err != nil {
			return res, fmt.Errorf("apply deletes of chunk %d of %s: %w", seq, documentID, err)
		}
		found := make(map[string]bool, len(delKeys))
		for rows.Next() {
			var k string
			var fs int64
			if err := rows.Scan(&k, &fs); err != nil {
				rows.Close()
				return res, fmt.Errorf("apply deletes of chunk %d of %s: %w", seq, documentID, err)
			}
			found[k] = true
			res.FeedSeqs = append(res.FeedSeqs, fs)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("apply deletes of chunk %d of %s: %w", seq, documentID, err)
		}
		res.Deleted = len(found)
		for i, k := range delKeys {
			if !found[k] {
				res.UnknownDeletes = append(res.UnknownDeletes, k)
				rejected = append(rejected, QuarantinedRecord{Line: int(delLines[i]), Field: "source.record_key", RecordKey: k,
					Code: sdk.CodeUnknownRecord, Severity: "warning",
					Message: "verwijderd record is niet (meer) bekend bij de hub; er is niets verwijderd"})
			}
		}
	}
	rejectedLines := make(map[int]bool)
	for _, q := range rejected {
		if (q.Severity == "" || q.Severity == "error") && !rejectedLines[q.Line] {
			rejectedLines[q.Line] = true // one record, however many problems it has
			res.Rejected++
		}
	}
	if err := quarantine(ctx, tx, documentID, seq, rejected); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, `UPDATE document_chunks SET inserted = $3, updated = $4, deleted = $5, rejected = $6 WHERE document_id = $1 AND seq = $2`,
		documentID, seq, res.Inserted, res.Updated, res.Deleted, res.Rejected); err != nil {
		return res, fmt.Errorf("count chunk %d of %s: %w", seq, documentID, err)
	}
	return res, nil
}

// quarantine stores the problems of a chunk in record_errors.
func quarantine(ctx context.Context, tx pgx.Tx, documentID string, seq int, rejected []QuarantinedRecord) error {
	if len(rejected) == 0 {
		return nil
	}
	rows := make([][]any, len(rejected))
	for i, q := range rejected {
		sev := q.Severity
		if sev == "" {
			sev = "error"
		}
		var rec any
		if len(q.Record) > 0 {
			rec = string(q.Record)
		}
		rows[i] = []any{documentID, int32(seq), int32(q.Line), int32(q.Column), q.Field, q.RecordKey, q.Code, q.Message, sev, rec}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"record_errors"},
		[]string{"document_id", "chunk_seq", "line", "col", "field", "record_key", "code", "message", "severity", "record"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("quarantine records of chunk %d of %s: %w", seq, documentID, err)
	}
	return nil
}

// ConsentCounts is what became of a chunk's consent statements.
type ConsentCounts struct {
	Recorded, Unchanged, Rejected int
}

// RecordConsents stores, in tx after StoreChunk of the same chunk, what
// became of its consent statements: the counts for the receipt, the
// refused statements as errors (they do not count as rejected records),
// and it forgets the source digests of the partner's registrations in
// forget, so that the next export maps those rows again.
func (s *Store) RecordConsents(ctx context.Context, tx pgx.Tx, partner, documentID string, seq int, n ConsentCounts, refused []QuarantinedRecord, forget []string) error {
	if _, err := tx.Exec(ctx, `UPDATE document_chunks SET consents_recorded = consents_recorded + $3,
			consents_unchanged = consents_unchanged + $4, consents_rejected = consents_rejected + $5
		WHERE document_id = $1 AND seq = $2`, documentID, seq, n.Recorded, n.Unchanged, n.Rejected); err != nil {
		return fmt.Errorf("count consents of chunk %d of %s: %w", seq, documentID, err)
	}
	if err := quarantine(ctx, tx, documentID, seq, refused); err != nil {
		return err
	}
	if len(forget) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE registrations SET source_digest = NULL WHERE partner = $1 AND record_key = ANY($2::text[])`,
			partner, forget); err != nil {
			return fmt.Errorf("forget source digests of %s: %w", documentID, err)
		}
	}
	return nil
}
