package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
)

// ErrCursorMoved is returned when a partner's poll cursor is no longer the
// one a poll started from: another poller moved it meanwhile. Nothing was
// stored.
var ErrCursorMoved = errors.New("poll cursor moved meanwhile")

// PollState is what the hub keeps of polling one partner's webservice.
type PollState struct {
	Partner string
	// Cursor is where the next poll starts; "" before the first page.
	Cursor string
	// Pages counts the pages stored.
	Pages        int64
	LastDocument string
	CursorAt     *time.Time
	LastPollAt   *time.Time
	// LastSuccessAt is the end of the latest poll round without error.
	LastSuccessAt *time.Time
	// Failures counts the failed polls since the latest success.
	Failures      int
	LastErrorCode string
	LastError     string
}

// PollState returns the poll state of partner; a partner never polled has
// the zero state.
func (s *Store) PollState(ctx context.Context, partner string) (PollState, error) {
	st := PollState{Partner: partner}
	err := s.pool.QueryRow(ctx, `SELECT cursor, pages, coalesce(last_document, ''), cursor_at, last_poll_at, last_success_at,
		failures, last_error_code, last_error FROM poll_state WHERE partner = $1`, partner).
		Scan(&st.Cursor, &st.Pages, &st.LastDocument, &st.CursorAt, &st.LastPollAt, &st.LastSuccessAt, &st.Failures, &st.LastErrorCode, &st.LastError)
	if err != nil && !isNoRows(err) {
		return st, fmt.Errorf("poll state of %s: %w", partner, err)
	}
	return st, nil
}

// Page is a fetched page to land with the cursor that follows it.
type Page struct {
	Partner      string
	OriginalName string
	MaxBytes     int64
	// From is the cursor the page was fetched from, To the one after it.
	From, To string
	// OnLanded runs in the landing transaction, as Landing.OnLanded.
	OnLanded func(ctx context.Context, tx pgx.Tx, documentID string) error
}

// LandPage stores a polled page as a document (source "poll") and moves the
// partner's cursor from p.From to p.To in the same transaction: after a
// crash the page is either stored with its cursor or not at all, and then
// fetched again. A page the partner sent before (the same bytes) is not
// stored again, only the cursor moves. It returns ErrCursorMoved when the
// cursor is no longer p.From, and the errors of Land.
func (s *Store) LandPage(ctx context.Context, p Page, r io.Reader) (hub.Document, bool, error) {
	doc, dup, err := s.Land(ctx, Landing{Partner: p.Partner, OriginalName: p.OriginalName, Source: "poll", MaxBytes: p.MaxBytes,
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error {
			if p.OnLanded != nil {
				if err := p.OnLanded(ctx, tx, id); err != nil {
					return err
				}
			}
			return moveCursor(ctx, tx, p.Partner, p.From, p.To, id)
		}}, r)
	if err != nil || !dup {
		return doc, dup, err
	}
	return doc, true, s.AdvanceCursor(ctx, p.Partner, p.From, p.To)
}

// AdvanceCursor moves a partner's cursor from one value to the next, for a
// poll that stored nothing (no new items, or a page stored before). It
// returns ErrCursorMoved when the cursor is no longer from.
func (s *Store) AdvanceCursor(ctx context.Context, partner, from, to string) error {
	if from == to {
		return nil
	}
	return s.InTx(ctx, func(tx pgx.Tx) error { return moveCursor(ctx, tx, partner, from, to, "") })
}

// moveCursor moves the cursor in tx, counting a stored page when document
// is set.
func moveCursor(ctx context.Context, tx pgx.Tx, partner, from, to, document string) error {
	var doc *string
	pages := 0
	if document != "" {
		doc, pages = &document, 1
	}
	tag, err := tx.Exec(ctx, `INSERT INTO poll_state AS p (partner, cursor, pages, last_document, cursor_at)
		VALUES ($1, $3, $4, $5, now())
		ON CONFLICT (partner) DO UPDATE SET cursor = $3, pages = p.pages + $4, last_document = coalesce($5, p.last_document),
			cursor_at = now(), updated_at = now()
		WHERE p.cursor = $2`, partner, from, to, pages, doc)
	if err != nil {
		return fmt.Errorf("move poll cursor of %s: %w", partner, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("move poll cursor of %s: %w", partner, ErrCursorMoved)
	}
	return nil
}

// PollOutcome is how one poll round of a partner went.
type PollOutcome struct {
	At time.Time
	// Code and Message describe the failure; both empty for a success.
	Code, Message string
}

// RecordPoll notes the outcome of a poll round: its time, and the error or
// the success that ends a series of failures.
func (s *Store) RecordPoll(ctx context.Context, partner string, o PollOutcome) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO poll_state AS p (partner, last_poll_at, last_success_at, failures, last_error_code, last_error)
		VALUES ($1, $2::timestamptz, CASE WHEN $3::text = '' THEN $2::timestamptz END, CASE WHEN $3::text = '' THEN 0 ELSE 1 END, $3::text, $4::text)
		ON CONFLICT (partner) DO UPDATE SET last_poll_at = $2::timestamptz,
			last_success_at = CASE WHEN $3::text = '' THEN $2::timestamptz ELSE p.last_success_at END,
			failures = CASE WHEN $3::text = '' THEN 0 ELSE p.failures + 1 END,
			last_error_code = $3::text, last_error = $4::text, updated_at = now()`, partner, o.At, o.Code, o.Message)
	if err != nil {
		return fmt.Errorf("record poll of %s: %w", partner, err)
	}
	return nil
}
