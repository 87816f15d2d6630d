package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/oklog/ulid/v2"

	"github.com/ketenhub/ketenhub/hub"
)

// PartSize is the size of the parts a document's bytes are stored in.
const PartSize = 1 << 20

// Landing is a document to store.
type Landing struct {
	Partner      string
	OriginalName string
	Source       string // drop | api | poll
	MaxBytes     int64  // 0: no limit
	// ReplayOf names an earlier document whose content is deliberately
	// ingested again; it bypasses the duplicate check.
	ReplayOf string
	// IdempotencyKey is the Idempotency-Key a partner system sent with a
	// push, or "". Land returns an error wrapping ErrIdempotencyKeyTaken
	// when the partner has a document with the key already.
	IdempotencyKey string
	// OnLanded runs inside the landing transaction once the bytes are
	// stored, to publish the document to the pipeline atomically with it
	// (an outbox). It is not called for a duplicate.
	OnLanded func(ctx context.Context, tx pgx.Tx, documentID string) error
}

// Land streams r into the database and records the document, all in one
// transaction, so a document either exists whole or not at all. When the
// partner delivered the same bytes before, Land stores nothing and returns
// the earlier document with duplicate set. It returns an *hub.Error with
// ETOOLARGE when r holds more than MaxBytes.
func (s *Store) Land(ctx context.Context, l Landing, r io.Reader) (doc hub.Document, duplicate bool, err error) {
	id := NewID()
	src := l.Source
	if src == "" {
		src = "drop"
	}
	placeholder := make([]byte, 32)
	if _, err := rand.Read(placeholder); err != nil {
		return hub.Document{}, false, fmt.Errorf("land document: %w", err)
	}
	var replay, key *string
	if l.ReplayOf != "" {
		replay = &l.ReplayOf
	}
	if l.IdempotencyKey != "" {
		key = &l.IdempotencyKey
	}
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO documents (id, partner, original_name, source, size, sha256, replay_of, idempotency_key)
			VALUES ($1, $2, $3, $4, 0, $5, $6, $7)`, id, l.Partner, l.OriginalName, src, placeholder, replay, key); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "documents_partner_idempotency" {
				return ErrIdempotencyKeyTaken
			}
			return fmt.Errorf("insert document: %w", err)
		}
		h := sha256.New()
		buf := make([]byte, PartSize)
		var size int64
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(r, buf)
			if n > 0 {
				size += int64(n)
				if l.MaxBytes > 0 && size > l.MaxBytes {
					return &hub.Error{Code: hub.ETOOLARGE, Message: fmt.Sprintf("document is groter dan het maximum van %d bytes", l.MaxBytes)}
				}
				h.Write(buf[:n])
				if _, err := tx.Exec(ctx, `INSERT INTO document_parts (document_id, seq, data) VALUES ($1, $2, $3)`, id, seq, buf[:n]); err != nil {
					return fmt.Errorf("insert document part %d: %w", seq, err)
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return fmt.Errorf("read document: %w", rerr)
			}
		}
		sum := h.Sum(nil)
		_, err := tx.Exec(ctx, `UPDATE documents SET sha256 = $2, size = $3 WHERE id = $1`, id, sum, size)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return errDuplicate{sum: sum}
		}
		if err != nil {
			return fmt.Errorf("record document checksum: %w", err)
		}
		if l.OnLanded != nil {
			if err := l.OnLanded(ctx, tx, id); err != nil {
				return fmt.Errorf("hand document to pipeline: %w", err)
			}
		}
		return nil
	})
	var dup errDuplicate
	if errors.As(err, &dup) {
		var existing string
		if qerr := s.pool.QueryRow(ctx, `SELECT id FROM documents WHERE partner = $1 AND sha256 = $2 AND replay_of IS NULL`,
			l.Partner, dup.sum).Scan(&existing); qerr != nil {
			return hub.Document{}, false, fmt.Errorf("find duplicate document: %w", qerr)
		}
		doc, err := s.Document(ctx, existing)
		return doc, true, err
	}
	if err != nil {
		return hub.Document{}, false, fmt.Errorf("land document of %s: %w", l.Partner, err)
	}
	doc, err = s.Document(ctx, id)
	return doc, false, err
}

// ErrIdempotencyKeyTaken is the cause of a Land whose Idempotency-Key the
// partner used before.
var ErrIdempotencyKeyTaken = errors.New("idempotency key taken")

type errDuplicate struct{ sum []byte }

func (errDuplicate) Error() string { return "duplicate document" }

// NewID returns a new sortable, opaque id.
func NewID() string { return ulid.Make().String() }

const documentColumns = `id, partner, original_name, source, size, sha256, received_at, status, coalesce(replay_of, ''),
	decoded_chunks, total_chunks, coalesce(failure, ''), finished_at, receipt`

func scanDocument(row pgx.Row) (hub.Document, error) {
	var d hub.Document
	var sum []byte
	var receipt []byte
	var total *int32
	err := row.Scan(&d.ID, &d.Partner, &d.OriginalName, &d.Source, &d.Size, &sum, &d.ReceivedAt, &d.Status, &d.ReplayOf,
		&d.DecodedChunks, &total, &d.Failure, &d.FinishedAt, &receipt)
	if err != nil {
		return d, err
	}
	d.SHA256 = hex.EncodeToString(sum)
	if total != nil {
		t := int(*total)
		d.TotalChunks = &t
	}
	if receipt != nil {
		d.Receipt = new(hub.Receipt)
		if err := json.Unmarshal(receipt, d.Receipt); err != nil {
			return d, fmt.Errorf("decode receipt: %w", err)
		}
	}
	return d, nil
}

// Document returns the document with id, or an *hub.Error with ENOTFOUND.
func (s *Store) Document(ctx context.Context, id string) (hub.Document, error) {
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
	if isNoRows(err) {
		return d, hub.Errorf(hub.ENOTFOUND, "document %s bestaat niet", id)
	}
	if err != nil {
		return d, fmt.Errorf("get document %s: %w", id, err)
	}
	return d, nil
}

// Documents lists a partner's documents, newest first, at most limit.
func (s *Store) Documents(ctx context.Context, partner string, limit int) ([]hub.Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE partner = $1 ORDER BY id DESC LIMIT $2`, partner, limit)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []hub.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DocumentReader streams a document's bytes part by part; it holds at most one
// part in memory.
type DocumentReader struct {
	ctx  context.Context
	s    *Store
	id   string
	seq  int
	cur  []byte
	done bool
}

// OpenDocument returns a reader of the document's bytes.
func (s *Store) OpenDocument(ctx context.Context, id string) *DocumentReader {
	return &DocumentReader{ctx: ctx, s: s, id: id}
}

// Read implements io.Reader.
func (r *DocumentReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.done {
			return 0, io.EOF
		}
		err := r.s.pool.QueryRow(r.ctx, `SELECT data FROM document_parts WHERE document_id = $1 AND seq = $2`, r.id, r.seq).Scan(&r.cur)
		if isNoRows(err) {
			r.done = true
			return 0, io.EOF
		}
		if err != nil {
			return 0, fmt.Errorf("read document %s part %d: %w", r.id, r.seq, err)
		}
		r.seq++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
