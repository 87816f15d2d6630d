package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// FeedItem is one registration in the feed, in the state after its latest change.
type FeedItem struct {
	Seq          int64           `json:"-"`
	Partner      string          `json:"partner"`
	RecordKey    string          `json:"record_key"`
	ClientID     string          `json:"client_id,omitempty"`
	Status       string          `json:"status"`
	Operation    string          `json:"operation"`
	DocumentID   string          `json:"document_id"`
	Line         int             `json:"line"`
	RegisteredAt *time.Time      `json:"registered_at,omitempty"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Registration json.RawMessage `json:"registration"`
	// BSNEnc is the registration's BSN, encrypted; the API decides whether
	// to put it back into Registration.
	BSNEnc []byte `json:"-"`
}

// Feed returns up to limit registrations changed after the feed position
// after, in the order of their latest change. Every change moves a
// registration to the end of the feed, so a reader that keeps its position
// sees every change once it catches up.
func (s *Store) Feed(ctx context.Context, after int64, limit int) ([]FeedItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.feed_seq, r.partner, r.record_key, coalesce(ri.client_id, ''), r.status, r.operation,
			r.document_id, r.line, r.registered_at, r.updated_at, r.data, ri.bsn_enc
		FROM registrations r LEFT JOIN registration_identity ri ON ri.partner = r.partner AND ri.record_key = r.record_key
		WHERE r.feed_seq > $1 ORDER BY r.feed_seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	defer rows.Close()
	items := make([]FeedItem, 0, limit)
	for rows.Next() {
		var it FeedItem
		if err := rows.Scan(&it.Seq, &it.Partner, &it.RecordKey, &it.ClientID, &it.Status, &it.Operation, &it.DocumentID, &it.Line,
			&it.RegisteredAt, &it.UpdatedAt, &it.Registration, &it.BSNEnc); err != nil {
			return nil, fmt.Errorf("read feed: %w", err)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// RecordError is a quarantined record as the API shows it.
type RecordError struct {
	ID        int64           `json:"id"`
	Line      int             `json:"line"`
	Column    int             `json:"column,omitempty"`
	Field     string          `json:"field,omitempty"`
	RecordKey string          `json:"record_key,omitempty"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Severity  string          `json:"severity"`
	Record    json.RawMessage `json:"record,omitempty"`
}

// RecordErrors lists a document's quarantined records after id after, by id.
func (s *Store) RecordErrors(ctx context.Context, documentID string, after int64, limit int) ([]RecordError, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, line, col, field, record_key, code, message, severity, record
		FROM record_errors WHERE document_id = $1 AND id > $2 ORDER BY id LIMIT $3`, documentID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list record errors of %s: %w", documentID, err)
	}
	defer rows.Close()
	out := make([]RecordError, 0, limit)
	for rows.Next() {
		var e RecordError
		if err := rows.Scan(&e.ID, &e.Line, &e.Column, &e.Field, &e.RecordKey, &e.Code, &e.Message, &e.Severity, &e.Record); err != nil {
			return nil, fmt.Errorf("list record errors of %s: %w", documentID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
