// Package audit is Ketenhub's NEN 7513 audit trail: an append-only,
// hash-chained log in PostgreSQL (table audit_log, migration
// hub/store/migrations/00003_audit.sql) of every disclosure of client data,
// every change to consent, links and access configuration, every login and
// failed authentication, every export and every emergency access.
//
// Each row has a gap-free sequence number seq and
//
//	hash = SHA-256(prev_hash || seq as 8 bytes big-endian || digest)
//	digest = SHA-256(canonical encoding of all the event's fields and its time)
//
// where prev_hash is the hash of row seq-1 (32 zero bytes for row 1).
// Verify recomputes the chain and reports the first row where it breaks:
// a changed row, a removed row (a gap in seq) or rows put in another order.
//
// Append writes a batch of events with one SQL statement, inside the
// caller's transaction (so a disclosure and its audit rows commit together)
// or on its own. Appending takes a row lock on the chain's head
// (audit_head) until the transaction ends: audited transactions queue at
// that point, which keeps one chain without gaps. Append last, just before
// commit, to hold the lock briefly.
//
// Nothing personal is logged besides pseudonyms: Event.Validate refuses
// identifiers and detail that look like a BSN or carry names.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is where Append writes: a pgx.Tx to log inside a transaction, or a
// *pgxpool.Pool or *pgx.Conn to log on its own.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Log is the audit trail in one database. It is safe for concurrent use.
type Log struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

// Options configure New.
type Options struct {
	// Logger receives the package's own messages (never event contents);
	// nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock that stamps events; nil means time.Now. Tests set it.
	Now func() time.Time
}

// New returns the audit trail in the database of pool, whose schema the
// store's migrations have created (store.Open).
func New(pool *pgxpool.Pool, opts Options) *Log {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Log{pool: pool, log: opts.Logger, now: opts.Now}
}

// appendSQL adds a batch of events to the chain in one statement (one round
// trip): it locks the head row, computes each row's hash from the previous
// one in a recursive CTE (the digests come from Go), inserts the rows and
// moves the head. It also turns synchronous_commit on for the rest of the
// transaction, so that audit rows are durable when it commits, even in a
// transaction that had turned it off. Parameters are arrays with one element
// per event.
const appendSQL = `
WITH RECURSIVE
head AS (
    SELECT seq, hash FROM audit_head FOR UPDATE
),
durable AS (
    SELECT set_config('synchronous_commit', 'on', true) AS setting
),
chain (n, seq, prev, hash) AS (
    SELECT 0, seq, NULL::bytea, hash FROM head
    UNION ALL
    SELECT c.n + 1, c.seq + 1, c.hash, sha256(c.hash || int8send(c.seq + 1) || ($1::bytea[])[c.n + 1])
    FROM chain c
    WHERE c.n < cardinality($1::bytea[])
),
ins AS (
    INSERT INTO audit_log (seq, at, event, action, client, related, user_id, acting_for, organisation, role,
                           purpose, categories, basis_kind, basis_ref, emergency, outcome, source, request_id,
                           detail, prev_hash, hash)
    SELECT c.seq, ($2::timestamptz[])[c.n], ($3::text[])[c.n], ($4::text[])[c.n], ($5::text[])[c.n],
           string_to_array(($6::text[])[c.n], ','), ($7::text[])[c.n], ($8::text[])[c.n], ($9::text[])[c.n],
           ($10::text[])[c.n], ($11::text[])[c.n], string_to_array(($12::text[])[c.n], ','),
           ($13::text[])[c.n], ($14::text[])[c.n], ($15::bool[])[c.n], ($16::text[])[c.n], ($17::text[])[c.n],
           ($18::text[])[c.n], NULLIF(($19::text[])[c.n], '')::json, c.prev, c.hash
    FROM chain c
    WHERE c.n > 0
)
UPDATE audit_head h SET seq = last.seq, hash = last.hash
FROM (SELECT seq, hash FROM chain ORDER BY n DESC LIMIT 1) last, durable
WHERE durable.setting = 'on'`

// Append adds events to the audit trail through db: a pgx.Tx to commit them
// with the caller's own changes (they are lost when that transaction rolls
// back, and the chain keeps no gap), or the pool to log them on their own.
// All events are stamped with the same time and written in one statement,
// so a feed page of 500 disclosures costs one round trip.
//
// A transaction that appends commits durably: Append sets
// synchronous_commit on for it (see store.InDerivedTx, which turns it off).
//
// Append holds the chain's head lock until db's transaction ends; in a
// REPEATABLE READ or SERIALIZABLE transaction a concurrent append makes it
// fail with a serialization error (SQLSTATE 40001), which the caller
// retries. Events are checked first (Event.Validate): an invalid event
// fails the whole call with an error wrapping ErrInvalidEvent and nothing
// is written. Database errors are returned wrapped.
func (l *Log) Append(ctx context.Context, db DB, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if len(events) > maxBatch {
		return fmt.Errorf("append audit events: %w: more than %d events in one call", ErrInvalidEvent, maxBatch)
	}
	if db == nil {
		return errors.New("append audit events: no database (pass a pgx.Tx or the pool)")
	}
	at := l.now().UTC().Truncate(time.Microsecond)
	var b batch
	for i := range events {
		e := &events[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("append audit event %d of %d: %w", i+1, len(events), err)
		}
		detail, _ := compactDetail(e.Detail) // Validate checked it
		b.add(at, e, detail)
	}
	n := len(events)
	tag, err := db.Exec(ctx, appendSQL, b.args()...)
	if err != nil {
		return fmt.Errorf("append %d audit event(s): %w", n, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("append %d audit event(s): the chain head (audit_head) is missing", n)
	}
	return nil
}

// Record adds events to the audit trail in a transaction of their own; see
// Append.
func (l *Log) Record(ctx context.Context, events ...Event) error {
	return l.Append(ctx, l.pool, events...)
}

// batch holds the columns of a batch of events as arrays, one element per
// event, for appendSQL.
type batch struct {
	digests   [][]byte
	at        []time.Time
	text      [16][]string // $3..$14 and $16..$19 in appendSQL order, emergency apart
	emergency []bool
}

func (b *batch) add(at time.Time, e *Event, detail []byte) {
	d := digest(at, e, detail)
	b.digests = append(b.digests, d[:])
	b.at = append(b.at, at)
	b.emergency = append(b.emergency, e.Emergency)
	for i, v := range [16]string{string(e.Type), e.Action, e.Client, joinList(e.Related), e.User, e.ActingFor,
		e.Organisation, e.Role, e.Purpose, joinList(e.Categories), string(e.Basis.Kind), e.Basis.Ref,
		string(e.Outcome), e.Source, e.RequestID, string(detail)} {
		b.text[i] = append(b.text[i], v)
	}
}

// args returns the parameters $1..$19 of appendSQL.
func (b *batch) args() []any {
	args := []any{b.digests, b.at}
	for _, t := range b.text[:12] {
		args = append(args, t)
	}
	args = append(args, b.emergency)
	for _, t := range b.text[12:] {
		args = append(args, t)
	}
	return args
}

// joinList joins identifiers or codes for string_to_array: Validate allows
// no commas in them.
func joinList(l []string) string {
	var b []byte
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	return string(b)
}
