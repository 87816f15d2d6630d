package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryCancelled = "cancelled"
)

// Delivery channels.
const (
	ChannelPickup  = "pickup"
	ChannelWebhook = "webhook"
)

// DB is a database handle that runs statements: the pool or a pgx.Tx.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var _ DB = (pgx.Tx)(nil)

// Delivery is one delivery of a registration to a receiving partner over one
// channel (migration 00007).
type Delivery struct {
	Seq           int64      `json:"-"`
	DeliveryID    string     `json:"delivery_id"`
	Channel       string     `json:"channel"`
	Recipient     string     `json:"recipient"`
	SourcePartner string     `json:"source_partner"`
	RecordKey     string     `json:"record_key"`
	ClientID      string     `json:"client_id"`
	Operation     string     `json:"operation"`
	Purpose       string     `json:"purpose"`
	Classes       []string   `json:"classes"`
	DocumentID    string     `json:"document_id"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	BatchID       string     `json:"batch_id,omitempty"`
	FileName      string     `json:"file_name,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	// ContentHash, Payload and BSNEnc are what is sent; never listed.
	ContentHash []byte          `json:"-"`
	Payload     json.RawMessage `json:"-"`
	BSNEnc      []byte          `json:"-"`
}

// NewDelivery is a delivery to insert; one row is made per channel.
type NewDelivery struct {
	DeliveryID    string
	Channels      []string
	Recipient     string
	SourcePartner string
	RecordKey     string
	ClientID      string
	Operation     string
	Purpose       string
	Classes       []string
	ContentHash   []byte
	Payload       []byte
	BSNEnc        []byte
	DocumentID    string
}

// ClaimRoutedChunk records in tx that the accepted registrations of chunk
// seq of a document are being routed. It returns false when they were
// routed before (a redelivered message).
func (s *Store) ClaimRoutedChunk(ctx context.Context, tx pgx.Tx, documentID string, seq int) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO routed_chunks (document_id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING`, documentID, seq)
	if err != nil {
		return false, fmt.Errorf("claim routing of chunk %d of %s: %w", seq, documentID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RouteRecord is a stored registration as routing needs it.
type RouteRecord struct {
	RecordKey   string
	Status      string // active | deleted | ended
	Operation   string
	ContentHash []byte
	Data        []byte // without the BSN
	DocumentID  string
	ClientID    string // "" when not linked
	BSNEnc      []byte
}

// RouteRecords returns the stored state of a partner's records, by key,
// with their chain client and encrypted BSN, read in tx. Keys the hub does
// not hold are absent.
func (s *Store) RouteRecords(ctx context.Context, tx DB, partner string, keys []string) ([]RouteRecord, error) {
	rows, err := tx.Query(ctx, `SELECT r.record_key, r.status, r.operation, r.content_hash, r.data, r.document_id,
			coalesce(ri.client_id, ''), ri.bsn_enc
		FROM unnest($2::text[]) AS k(key)
		JOIN registrations r ON r.partner = $1 AND r.record_key = k.key
		LEFT JOIN registration_identity ri ON ri.partner = r.partner AND ri.record_key = r.record_key
		ORDER BY r.feed_seq`, partner, keys)
	if err != nil {
		return nil, fmt.Errorf("read records of %s to route: %w", partner, err)
	}
	defer rows.Close()
	var out []RouteRecord
	for rows.Next() {
		var r RouteRecord
		if err := rows.Scan(&r.RecordKey, &r.Status, &r.Operation, &r.ContentHash, &r.Data, &r.DocumentID, &r.ClientID, &r.BSNEnc); err != nil {
			return nil, fmt.Errorf("read records of %s to route: %w", partner, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClientFacts is what the active registrations of one chain client say
// about it: the partners that serve it, its target groups and
// municipalities.
type ClientFacts struct {
	Partners       []string
	TargetGroups   []string
	Municipalities []string
}

// ClientFacts returns the facts of chain clients from their active
// registrations. Clients without active registrations are absent.
func (s *Store) ClientFacts(ctx context.Context, db DB, clientIDs []string) (map[string]ClientFacts, error) {
	out := make(map[string]ClientFacts, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, `SELECT ri.client_id, array_agg(DISTINCT r.partner),
			coalesce(array_agg(DISTINCT r.data->>'target_group') FILTER (WHERE r.data ? 'target_group'), '{}'),
			coalesce(array_agg(DISTINCT r.data->>'municipality') FILTER (WHERE r.data ? 'municipality'), '{}')
		FROM registration_identity ri
		JOIN registrations r ON r.partner = ri.partner AND r.record_key = ri.record_key
		WHERE ri.client_id = ANY($1) AND r.status = 'active'
		GROUP BY ri.client_id`, clientIDs)
	if err != nil {
		return nil, fmt.Errorf("read client facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var f ClientFacts
		if err := rows.Scan(&id, &f.Partners, &f.TargetGroups, &f.Municipalities); err != nil {
			return nil, fmt.Errorf("read client facts: %w", err)
		}
		out[id] = f
	}
	return out, rows.Err()
}

// PriorDelivery is what a recipient had of one record before.
type PriorDelivery struct {
	// LastID is the delivery id of the latest delivery, whatever its status.
	LastID string
	// Sent is the latest delivery that was or will be sent (pending or
	// delivered on some channel); nil when there is none.
	Sent *SentDelivery
}

// SentDelivery is the operation and content of a delivery that was or will
// be sent.
type SentDelivery struct {
	Operation   string
	ContentHash []byte
}

// PriorDeliveries returns, per recipient and record key of a source
// partner's records, what the recipient had before; keyed by
// recipient + "\x00" + record key.
func (s *Store) PriorDeliveries(ctx context.Context, db DB, source string, keys []string) (map[string]PriorDelivery, error) {
	out := map[string]PriorDelivery{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, `SELECT recipient, record_key, last.delivery_id, sent.operation, sent.content_hash
		FROM (SELECT DISTINCT recipient, record_key FROM deliveries WHERE source_partner = $1 AND record_key = ANY($2)) k
		CROSS JOIN LATERAL (SELECT delivery_id FROM deliveries d
			WHERE d.source_partner = $1 AND d.record_key = k.record_key AND d.recipient = k.recipient
			ORDER BY seq DESC LIMIT 1) last
		LEFT JOIN LATERAL (SELECT operation, content_hash FROM deliveries d
			WHERE d.source_partner = $1 AND d.record_key = k.record_key AND d.recipient = k.recipient
				AND d.status IN ('pending', 'delivered')
			ORDER BY seq DESC LIMIT 1) sent ON true`, source, keys)
	if err != nil {
		return nil, fmt.Errorf("read prior deliveries of %s: %w", source, err)
	}
	defer rows.Close()
	for rows.Next() {
		var recipient, key, last string
		var op *string
		var hash []byte
		if err := rows.Scan(&recipient, &key, &last, &op, &hash); err != nil {
			return nil, fmt.Errorf("read prior deliveries of %s: %w", source, err)
		}
		p := PriorDelivery{LastID: last}
		if op != nil {
			p.Sent = &SentDelivery{Operation: *op, ContentHash: hash}
		}
		out[recipient+"\x00"+key] = p
	}
	return out, rows.Err()
}

// InsertDeliveries inserts deliveries in tx, one row per channel, and
// returns the delivery ids that were new; a delivery id that exists
// already is left as it is.
func (s *Store) InsertDeliveries(ctx context.Context, tx DB, ds []NewDelivery) ([]string, error) {
	var (
		ids, channels, recipients, sources, keys, clients, ops, purposes, classes, docs []string
		hashes, payloads, bsns                                                          [][]byte
	)
	for _, d := range ds {
		cls := strings.Join(d.Classes, ",")
		for _, ch := range d.Channels {
			ids, channels, recipients = append(ids, d.DeliveryID), append(channels, ch), append(recipients, d.Recipient)
			sources, keys, clients = append(sources, d.SourcePartner), append(keys, d.RecordKey), append(clients, d.ClientID)
			ops, purposes, classes, docs = append(ops, d.Operation), append(purposes, d.Purpose), append(classes, cls), append(docs, d.DocumentID)
			hashes, payloads, bsns = append(hashes, d.ContentHash), append(payloads, d.Payload), append(bsns, d.BSNEnc)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO deliveries (delivery_id, channel, recipient, source_partner, record_key, client_id,
			operation, purpose, classes, content_hash, payload, bsn_enc, document_id)
		SELECT i, ch, rc, sp, k, c, o, p, coalesce(string_to_array(nullif(cl, ''), ','), '{}'), h, pl, b, d
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::bytea[], $11::jsonb[], $12::bytea[], $13::text[]) AS u(i, ch, rc, sp, k, c, o, p, cl, h, pl, b, d)
		ON CONFLICT (delivery_id, channel) DO NOTHING
		RETURNING delivery_id`, ids, channels, recipients, sources, keys, clients, ops, purposes, classes, hashes, payloads, bsns, docs)
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("insert deliveries: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// deliveryColumns are the columns read into a Delivery, in scan order.
const deliveryColumns = `seq, delivery_id, channel, recipient, source_partner, record_key, client_id, operation, purpose,
	classes, document_id, status, attempts, last_error, coalesce(batch_id, ''), coalesce(file_name, ''), created_at, updated_at,
	CASE WHEN status = 'pending' THEN next_attempt_at END, delivered_at, content_hash, payload, bsn_enc`

// deliveryListColumns are deliveryColumns without what is sent.
const deliveryListColumns = `seq, delivery_id, channel, recipient, source_partner, record_key, client_id, operation, purpose,
	classes, document_id, status, attempts, last_error, coalesce(batch_id, ''), coalesce(file_name, ''), created_at, updated_at,
	CASE WHEN status = 'pending' THEN next_attempt_at END, delivered_at, NULL::bytea, NULL::jsonb, NULL::bytea`

func scanDeliveries(rows pgx.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.Seq, &d.DeliveryID, &d.Channel, &d.Recipient, &d.SourcePartner, &d.RecordKey, &d.ClientID,
			&d.Operation, &d.Purpose, &d.Classes, &d.DocumentID, &d.Status, &d.Attempts, &d.LastError, &d.BatchID, &d.FileName,
			&d.CreatedAt, &d.UpdatedAt, &d.NextAttemptAt, &d.DeliveredAt, &d.ContentHash, &d.Payload, &d.BSNEnc); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// NextBatch returns the next batch of a recipient's channel to send: the
// batch the oldest pending delivery was first tried in, or, when it was
// never tried, up to limit pending deliveries never tried, oldest first.
// The batch is empty when nothing is pending, or when the oldest pending
// delivery waits for its next attempt (a backoff): later deliveries wait
// behind it, so that a recipient gets a record's versions in order.
func (s *Store) NextBatch(ctx context.Context, recipient, channel string, limit int) ([]Delivery, error) {
	var batchID *string
	var due bool
	// The hub's clock, which also set next_attempt_at (MarkRetry).
	err := s.pool.QueryRow(ctx, `SELECT batch_id, next_attempt_at <= $3 FROM deliveries
		WHERE recipient = $1 AND channel = $2 AND status = 'pending' ORDER BY seq LIMIT 1`, recipient, channel, time.Now()).Scan(&batchID, &due)
	if isNoRows(err) || err == nil && !due {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next batch of %s/%s: %w", recipient, channel, err)
	}
	var rows pgx.Rows
	if batchID != nil {
		rows, err = s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE recipient = $1 AND channel = $2 AND status = 'pending' AND batch_id = $3 ORDER BY seq`, recipient, channel, *batchID)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE recipient = $1 AND channel = $2 AND status = 'pending' AND batch_id IS NULL ORDER BY seq LIMIT $3`, recipient, channel, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("next batch of %s/%s: %w", recipient, channel, err)
	}
	batch, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("next batch of %s/%s: %w", recipient, channel, err)
	}
	return batch, nil
}

// AssignBatch records the batch id of deliveries at their first attempt.
func (s *Store) AssignBatch(ctx context.Context, seqs []int64, batchID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE deliveries SET batch_id = $2, updated_at = now()
		WHERE seq = ANY($1) AND status = 'pending' AND batch_id IS NULL`, seqs, batchID); err != nil {
		return fmt.Errorf("assign batch %s: %w", batchID, err)
	}
	return nil
}

// MarkDelivered records that deliveries were acknowledged (a webhook's 2xx)
// or written (a pickup file, named fileName).
func (s *Store) MarkDelivered(ctx context.Context, db DB, seqs []int64, fileName string) error {
	if _, err := db.Exec(ctx, `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = now(),
			updated_at = now(), last_error = '', file_name = nullif($2, '')
		WHERE seq = ANY($1) AND status = 'pending'`, seqs, fileName); err != nil {
		return fmt.Errorf("mark %d deliveries delivered: %w", len(seqs), err)
	}
	return nil
}

// MarkRetry records a failed attempt that is tried again at next.
func (s *Store) MarkRetry(ctx context.Context, seqs []int64, reason string, next time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
		WHERE seq = ANY($1) AND status = 'pending'`, seqs, reason, next); err != nil {
		return fmt.Errorf("mark %d deliveries for a retry: %w", len(seqs), err)
	}
	return nil
}

// MarkFailed records that deliveries will not be tried again, and why.
// attempt says whether the failure was an attempt to send.
func (s *Store) MarkFailed(ctx context.Context, db DB, seqs []int64, reason string, attempt bool) error {
	inc := 0
	if attempt {
		inc = 1
	}
	if _, err := db.Exec(ctx, `UPDATE deliveries SET status = 'failed', attempts = attempts + $3, last_error = $2, updated_at = now()
		WHERE seq = ANY($1) AND status = 'pending'`, seqs, reason, inc); err != nil {
		return fmt.Errorf("mark %d deliveries failed: %w", len(seqs), err)
	}
	return nil
}

// MarkCancelled records that deliveries are not sent because the decision
// no longer allows it (consent withdrawn or expired, role changed).
func (s *Store) MarkCancelled(ctx context.Context, db DB, seqs []int64, reason string) error {
	if _, err := db.Exec(ctx, `UPDATE deliveries SET status = 'cancelled', last_error = $2, updated_at = now()
		WHERE seq = ANY($1) AND status = 'pending'`, seqs, reason); err != nil {
		return fmt.Errorf("mark %d deliveries cancelled: %w", len(seqs), err)
	}
	return nil
}

// Deliveries lists a recipient's deliveries after position after, oldest
// first, optionally only those with status.
func (s *Store) Deliveries(ctx context.Context, recipient, status string, after int64, limit int) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryListColumns+` FROM deliveries
		WHERE recipient = $1 AND seq > $2 AND ($3 = '' OR status = $3) ORDER BY seq LIMIT $4`, recipient, after, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", recipient, err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", recipient, err)
	}
	return out, nil
}
