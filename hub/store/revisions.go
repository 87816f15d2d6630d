package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
)

// NewRevision is an entry of a partner's configuration history to record.
type NewRevision struct {
	Partner string
	Hash    string
	// Status is hub.RevisionApplied, hub.RevisionRefused or hub.RevisionRemoved.
	Status string
	// Content is the file as read (nil for a removal).
	Content []byte
	// Diff is the unified diff against the revision that ran before.
	Diff string
	// Errors are the problems of a refused revision.
	Errors []hub.ConfigProblem
}

const revisionColumns = `id, partner, hash, status, recorded_at, diff, errors`

// AddRevision appends an entry to the partner's configuration history and
// returns it as stored. It returns an error for an unknown status or when
// the database fails.
func (s *Store) AddRevision(ctx context.Context, r NewRevision) (hub.PartnerRevision, error) {
	errs := r.Errors
	if errs == nil {
		errs = []hub.ConfigProblem{}
	}
	problems, err := json.Marshal(errs)
	if err != nil {
		return hub.PartnerRevision{}, fmt.Errorf("record revision of %s: %w", r.Partner, err)
	}
	content := r.Content
	if content == nil {
		content = []byte{}
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO partner_revisions (partner, hash, status, content, diff, errors)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+revisionColumns,
		r.Partner, r.Hash, r.Status, content, strings.ToValidUTF8(r.Diff, "\uFFFD"), problems)
	rev, err := scanRevision(row)
	if err != nil {
		return hub.PartnerRevision{}, fmt.Errorf("record revision of %s: %w", r.Partner, err)
	}
	return rev, nil
}

// LatestRevision returns the partner's newest history entry with one of
// the given statuses (any status when none are given), with the file's
// bytes. ok is false when the partner has none.
func (s *Store) LatestRevision(ctx context.Context, partner string, statuses ...string) (rev hub.PartnerRevision, content []byte, ok bool, err error) {
	if statuses == nil {
		statuses = []string{}
	}
	row := s.pool.QueryRow(ctx, `SELECT `+revisionColumns+`, content FROM partner_revisions
		WHERE partner = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2)) ORDER BY id DESC LIMIT 1`, partner, statuses)
	rev, err = scanRevision(row, &content)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return hub.PartnerRevision{}, nil, false, nil
	case err != nil:
		return hub.PartnerRevision{}, nil, false, fmt.Errorf("read latest revision of %s: %w", partner, err)
	}
	return rev, content, true, nil
}

// Revisions returns up to limit entries of the partner's configuration
// history, newest first.
func (s *Store) Revisions(ctx context.Context, partner string, limit int) ([]hub.PartnerRevision, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+revisionColumns+` FROM partner_revisions
		WHERE partner = $1 ORDER BY id DESC LIMIT $2`, partner, limit)
	if err != nil {
		return nil, fmt.Errorf("read revisions of %s: %w", partner, err)
	}
	defer rows.Close()
	var out []hub.PartnerRevision
	for rows.Next() {
		rev, err := scanRevision(rows)
		if err != nil {
			return nil, fmt.Errorf("read revisions of %s: %w", partner, err)
		}
		out = append(out, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read revisions of %s: %w", partner, err)
	}
	return out, nil
}

func scanRevision(row pgx.Row, extra ...any) (hub.PartnerRevision, error) {
	var rev hub.PartnerRevision
	var problems []byte
	dest := append([]any{&rev.ID, &rev.Partner, &rev.Hash, &rev.Status, &rev.RecordedAt, &rev.Diff, &problems}, extra...)
	if err := row.Scan(dest...); err != nil {
		return hub.PartnerRevision{}, err
	}
	if err := json.Unmarshal(problems, &rev.Errors); err != nil {
		return hub.PartnerRevision{}, fmt.Errorf("decode problems of revision %d: %w", rev.ID, err)
	}
	if len(rev.Errors) == 0 {
		rev.Errors = nil
	}
	return rev, nil
}
