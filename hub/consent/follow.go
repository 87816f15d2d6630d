package consent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Take records a statement delivered through an adapter, unless the
// partner delivered the same statement before: when the partner's latest
// statement with the same source, source_ref, recipient, purpose and stream
// has the same StatementHash, nothing is recorded and Take returns that
// row's id with recorded false. So a full export that repeats yesterday's
// consent column records nothing new, while a statement that differs from
// the partner's last one (a withdrawal, a renewed consent) is recorded, even
// when it says what the partner said before that. A change without
// StatementHash is always recorded. Errors are those of Record.
func (r *Registry) Take(ctx context.Context, tx Inserter, ch Change) (Consent, bool, error) {
	if len(ch.StatementHash) > 0 {
		var id int64
		var hash []byte
		err := tx.QueryRow(ctx, `SELECT id, statement_hash FROM consents
			WHERE source = $1 AND source_ref = $2 AND recipient = $3 AND purpose = $4 AND stream = $5 AND statement_hash IS NOT NULL
			ORDER BY id DESC LIMIT 1`, ch.Source, ch.SourceRef, ch.Recipient, ch.Purpose, ch.Basis.Stream()).Scan(&id, &hash)
		switch {
		case err == nil && bytes.Equal(hash, ch.StatementHash):
			return Consent{ID: id, Change: ch, RecordedFor: ch.ClientID}, false, nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return Consent{}, false, fmt.Errorf("find earlier statement: %w", err)
		}
	}
	c, err := r.Record(ctx, tx, ch)
	return c, err == nil, err
}

// Move is a change of the client a consent row applies to.
type Move struct {
	ConsentID int64
	// From and To are the client before and after; "" for none (a
	// detached row).
	From, To string
	Rule     string
}

// Follow makes the consent rows follow their clients after registrations
// moved between the given clients (a merge, a split, a review link, a
// relink), in tx, the transaction that moved them. A row anchored to
// registrations applies to the client that holds all of them: after a
// merge the rows of both clients apply to the merged client; after a split
// each row stays with the client that holds the registrations it was given
// for; a row whose registrations now sit with different clients applies to
// neither (it is detached: a consent never widens access to a person it was
// not given for), until a later merge brings them together again. A row
// without anchors keeps its client, or follows it into the client it was
// merged into. It returns the rows that changed, by id, with rule as their
// rule; the caller logs them in the audit trail.
func (r *Registry) Follow(ctx context.Context, tx pgx.Tx, clientIDs []string, rule string) ([]Move, error) {
	if len(clientIDs) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `WITH cand AS (
			SELECT consent_id FROM consent_subjects WHERE client_id = ANY($1)
			UNION
			SELECT a.consent_id FROM consent_anchors a
				JOIN registration_identity ri ON ri.partner = a.partner AND ri.record_key = a.record_key
			WHERE ri.client_id = ANY($1)
		)
		SELECT s.consent_id, s.client_id,
			(SELECT count(*) FROM consent_anchors a WHERE a.consent_id = s.consent_id),
			(SELECT count(ri.client_id) FROM consent_anchors a
				LEFT JOIN registration_identity ri ON ri.partner = a.partner AND ri.record_key = a.record_key
				WHERE a.consent_id = s.consent_id),
			(SELECT coalesce(array_agg(DISTINCT ri.client_id::text), '{}') FROM consent_anchors a
				JOIN registration_identity ri ON ri.partner = a.partner AND ri.record_key = a.record_key
				WHERE a.consent_id = s.consent_id)
		FROM consent_subjects s WHERE s.consent_id IN (SELECT consent_id FROM cand)
		ORDER BY s.consent_id FOR UPDATE OF s`, clientIDs)
	if err != nil {
		return nil, fmt.Errorf("follow consent: %w", err)
	}
	type row struct {
		id              int64
		cur             *string
		anchors, linked int64
		holders         []string
	}
	var list []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.cur, &x.anchors, &x.linked, &x.holders); err != nil {
			rows.Close()
			return nil, fmt.Errorf("follow consent: %w", err)
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("follow consent: %w", err)
	}
	var moves []Move
	for _, x := range list {
		from := ""
		if x.cur != nil {
			from = *x.cur
		}
		to := ""
		switch {
		case x.anchors == 0 && from != "":
			if to, err = survivor(ctx, tx, from); err != nil {
				return nil, err
			}
		case x.anchors > 0 && x.linked == x.anchors && len(x.holders) == 1:
			to = x.holders[0]
		}
		if to == from {
			continue
		}
		var sub any
		if to != "" {
			sub = to
		}
		if _, err := tx.Exec(ctx, `UPDATE consent_subjects SET client_id = $2, rule = $3, changed_at = now() WHERE consent_id = $1`,
			x.id, sub, rule); err != nil {
			return nil, fmt.Errorf("follow consent %d: %w", x.id, err)
		}
		moves = append(moves, Move{ConsentID: x.id, From: from, To: to, Rule: rule})
	}
	slices.SortFunc(moves, func(a, b Move) int { return int(a.ConsentID - b.ConsentID) })
	return moves, nil
}

// survivor returns the client that id was merged into, following the chain,
// or id itself.
func survivor(ctx context.Context, tx pgx.Tx, id string) (string, error) {
	var out string
	err := tx.QueryRow(ctx, `WITH RECURSIVE chain (id, merged_into, depth) AS (
			SELECT id, merged_into, 0 FROM clients WHERE id = $1
			UNION ALL
			SELECT c.id, c.merged_into, chain.depth + 1 FROM chain JOIN clients c ON c.id = chain.merged_into WHERE chain.depth < 100
		)
		SELECT id FROM chain ORDER BY depth DESC LIMIT 1`, id).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve client: %w", err)
	}
	return out, nil
}
