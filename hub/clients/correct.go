package clients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// ReviewItem is one entry of the review queue: a registration and a client
// it may belong to, with both identities side by side and the evidence.
type ReviewItem struct {
	ID            int64        `json:"id"`
	Status        string       `json:"status"`
	ClientID      string       `json:"client_id"`
	OtherClientID string       `json:"other_client_id"`
	Registration  ReviewSide   `json:"registration"`
	Other         ReviewSide   `json:"other"`
	Grade         string       `json:"grade"`
	Rule          string       `json:"rule"`
	Score         float64      `json:"score"`
	Evidence      EvidenceJSON `json:"evidence"`
	CreatedAt     time.Time    `json:"created_at"`
	DecidedAt     *time.Time   `json:"decided_at,omitempty"`
	DecidedBy     string       `json:"decided_by,omitempty"`
	Reason        string       `json:"reason,omitempty"`
}

// ReviewSide is one registration of a review item as the reviewer sees it.
type ReviewSide struct {
	Partner   string     `json:"partner"`
	RecordKey string     `json:"record_key"`
	Client    sdk.Client `json:"client"`
}

// Reviews lists review items with an id above after, oldest first; status
// "" lists the open ones.
func (r *Registry) Reviews(ctx context.Context, status string, after int64, limit int) ([]ReviewItem, error) {
	if status == "" {
		status = "open"
	}
	rows, err := r.pool.Query(ctx, `SELECT id, status, client_id, other_client_id, partner, record_key, other_partner, other_record_key,
			grade, rule, score, evidence, created_at, decided_at, coalesce(decided_by, ''), coalesce(reason, '')
		FROM review_items WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3`, status, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	var items []ReviewItem
	for rows.Next() {
		var it ReviewItem
		var score float32
		var ev []byte
		if err := rows.Scan(&it.ID, &it.Status, &it.ClientID, &it.OtherClientID, &it.Registration.Partner, &it.Registration.RecordKey,
			&it.Other.Partner, &it.Other.RecordKey, &it.Grade, &it.Rule, &score, &ev, &it.CreatedAt, &it.DecidedAt, &it.DecidedBy, &it.Reason); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list reviews: %w", err)
		}
		it.Score = float64(score)
		_ = json.Unmarshal(ev, &it.Evidence)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	for i := range items {
		for _, side := range []*ReviewSide{&items[i].Registration, &items[i].Other} {
			c, err := r.clientOf(ctx, side.Partner, side.RecordKey)
			if err != nil {
				return nil, err
			}
			side.Client = c
		}
	}
	if items == nil {
		items = []ReviewItem{}
	}
	return items, nil
}

// clientOf reads the client part of a stored registration, with its BSN.
func (r *Registry) clientOf(ctx context.Context, partner, key string) (sdk.Client, error) {
	var data, enc []byte
	err := r.pool.QueryRow(ctx, `SELECT r.data, ri.bsn_enc FROM registrations r
		LEFT JOIN registration_identity ri ON ri.partner = r.partner AND ri.record_key = r.record_key
		WHERE r.partner = $1 AND r.record_key = $2`, partner, key).Scan(&data, &enc)
	if errors.Is(err, pgx.ErrNoRows) {
		return sdk.Client{}, nil
	}
	if err != nil {
		return sdk.Client{}, fmt.Errorf("read registration: %w", err)
	}
	var reg struct {
		Client sdk.Client `json:"client"`
	}
	if err := json.Unmarshal(data, &reg); err != nil {
		return sdk.Client{}, fmt.Errorf("read registration: %w", err)
	}
	if reg.Client.BSN, err = r.RevealBSN(enc); err != nil {
		return sdk.Client{}, err
	}
	return reg.Client, nil
}

// Review decisions.
const (
	DecisionLink      = "link"
	DecisionKeepApart = "keep_apart"
)

// Actor is who corrects links, and why: recorded in the history.
type Actor struct {
	ID     string // the user id or partner id of the authenticated subject
	Reason string
	// Record, when not nil, is called in the correction's transaction, after
	// the correction and before the commit, with the link changes it made;
	// an error rolls the correction back. The API appends the audit events
	// here, so that a correction and its audit trail commit together. It
	// must not be given the Reason: that is free text a person wrote.
	Record func(ctx context.Context, tx pgx.Tx, changes []LinkChange) error
}

// record hands a correction's link changes to Actor.Record.
func (a Actor) record(ctx context.Context, tx pgx.Tx, changes ...LinkChange) error {
	if a.Record == nil {
		return nil
	}
	if err := a.Record(ctx, tx, changes); err != nil {
		return fmt.Errorf("record link change: %w", err)
	}
	return nil
}

func (a Actor) check() error {
	if strings.TrimSpace(a.ID) == "" {
		return hub.Errorf(hub.EINVALID, "onbekend wie de correctie doet")
	}
	if strings.TrimSpace(a.Reason) == "" {
		return hub.Errorf(hub.EINVALID, "reden ontbreekt: elke correctie van koppelingen vraagt een reden")
	}
	return nil
}

// Decide settles an open review item: link merges the registration's client
// into the other client; keep_apart records that the two are different
// people, so the pair is not proposed again.
func (r *Registry) Decide(ctx context.Context, itemID int64, decision string, a Actor) (ReviewItem, error) {
	if err := a.check(); err != nil {
		return ReviewItem{}, err
	}
	if decision != DecisionLink && decision != DecisionKeepApart {
		return ReviewItem{}, hub.Errorf(hub.EINVALID, "besluit moet %q of %q zijn", DecisionLink, DecisionKeepApart)
	}
	err := r.inTx(ctx, func(tx pgx.Tx) error {
		var status, client, other string
		err := tx.QueryRow(ctx, `SELECT status, client_id, other_client_id FROM review_items WHERE id = $1 FOR UPDATE`, itemID).
			Scan(&status, &client, &other)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.ENOTFOUND, "beoordeling %d bestaat niet", itemID)
		}
		if err != nil {
			return fmt.Errorf("read review %d: %w", itemID, err)
		}
		if status != "open" {
			return hub.Errorf(hub.ECONFLICT, "beoordeling %d is al afgehandeld (%s)", itemID, status)
		}
		newStatus := "kept_apart"
		if decision == DecisionLink {
			newStatus = "linked"
			moved, err := r.merge(ctx, tx, other, client, a, "review-link", itemID)
			if err != nil {
				return err
			}
			ch := LinkChange{Action: ActionLink, ClientID: other, Related: []string{client},
				Registrations: moved, By: a.ID, Rule: "review-link"}
			if err := r.moved(ctx, tx, ch); err != nil {
				return err
			}
			if err := a.record(ctx, tx, ch); err != nil {
				return err
			}
		} else {
			if _, err := tx.Exec(ctx, `INSERT INTO kept_apart (client_a, client_b, decided_by, reason)
				VALUES (least($1, $2), greatest($1, $2), $3, $4) ON CONFLICT DO NOTHING`, client, other, a.ID, a.Reason); err != nil {
				return fmt.Errorf("keep clients apart: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO client_history (actor, action, client_id, other_client_id, reason, review_item_id)
				VALUES ($1, 'keep-apart', $2, $3, $4, $5)`, a.ID, client, other, a.Reason, itemID); err != nil {
				return fmt.Errorf("record history: %w", err)
			}
			if err := a.record(ctx, tx, LinkChange{Action: ActionUnlink, ClientID: client, Related: []string{other},
				By: a.ID, Rule: "keep-apart"}); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE review_items SET status = $2, decided_at = now(), decided_by = $3, reason = $4 WHERE id = $1`,
			itemID, newStatus, a.ID, a.Reason)
		if err != nil {
			return fmt.Errorf("settle review %d: %w", itemID, err)
		}
		return nil
	})
	if err != nil {
		return ReviewItem{}, err
	}
	return r.Review(ctx, itemID)
}

// Review returns one review item, whatever its status. It returns an
// ENOTFOUND *hub.Error for an unknown id.
func (r *Registry) Review(ctx context.Context, id int64) (ReviewItem, error) {
	for _, st := range []string{"linked", "kept_apart", "open", "obsolete"} {
		items, err := r.Reviews(ctx, st, id-1, 1)
		if err != nil {
			return ReviewItem{}, err
		}
		if len(items) == 1 && items[0].ID == id {
			return items[0], nil
		}
	}
	return ReviewItem{}, hub.Errorf(hub.ENOTFOUND, "beoordeling %d bestaat niet", id)
}

// Merge moves every registration of source to target and marks source as
// merged into target. No registration is lost; each moves with its link
// history, and the feed shows the moved registrations again with their new
// client id.
func (r *Registry) Merge(ctx context.Context, target, source string, a Actor) error {
	if err := a.check(); err != nil {
		return err
	}
	return r.inTx(ctx, func(tx pgx.Tx) error {
		moved, err := r.merge(ctx, tx, target, source, a, "merge", 0)
		if err != nil {
			return err
		}
		ch := LinkChange{Action: ActionMerge, ClientID: target, Related: []string{source},
			Registrations: moved, By: a.ID, Rule: "merge"}
		if err := r.moved(ctx, tx, ch); err != nil {
			return err
		}
		return a.record(ctx, tx, ch)
	})
}

// merge moves source's registrations to target and returns how many moved.
func (r *Registry) merge(ctx context.Context, tx pgx.Tx, target, source string, a Actor, action string, itemID int64) (int, error) {
	if err := LockLinks(ctx, tx); err != nil {
		return 0, err
	}
	for _, id := range []string{target, source} {
		var merged *string
		err := tx.QueryRow(ctx, `SELECT merged_into FROM clients WHERE id = $1`, id).Scan(&merged)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, hub.Errorf(hub.ENOTFOUND, "cliënt %s is niet bekend", id)
		}
		if err != nil {
			return 0, fmt.Errorf("read client: %w", err)
		}
		if merged != nil {
			return 0, hub.Errorf(hub.ECONFLICT, "cliënt %s is al samengevoegd met %s", id, *merged)
		}
	}
	if target == source {
		return 0, hub.Errorf(hub.EINVALID, "een cliënt kan niet met zichzelf worden samengevoegd")
	}
	moved, n, err := r.move(ctx, tx, source, target, nil, a.ID, action)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE clients SET merged_into = $2 WHERE id = $1`, source, target); err != nil {
		return 0, fmt.Errorf("merge clients: %w", err)
	}
	if err := repointReviews(ctx, tx, source, target); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM kept_apart WHERE (client_a = least($1, $2) AND client_b = greatest($1, $2))`, source, target); err != nil {
		return 0, fmt.Errorf("merge clients: %w", err)
	}
	var item any
	if itemID > 0 {
		item = itemID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO client_history (actor, action, client_id, other_client_id, registrations, reason, review_item_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, action, target, source, moved, a.Reason, item); err != nil {
		return 0, fmt.Errorf("record history: %w", err)
	}
	return n, nil
}

// repointReviews moves the open review items of a client that no longer
// exists to the client that took its registrations.
func repointReviews(ctx context.Context, tx pgx.Tx, from, to string) error {
	if _, err := tx.Exec(ctx, `UPDATE review_items SET status = 'obsolete', decided_at = now(), decided_by = 'hub',
			reason = 'de cliënten zijn samengevoegd'
		WHERE status = 'open' AND ((client_id = $1 AND other_client_id = $2) OR (client_id = $2 AND other_client_id = $1))`, from, to); err != nil {
		return fmt.Errorf("update reviews: %w", err)
	}
	rows, err := tx.Query(ctx, `UPDATE review_items SET status = 'obsolete', decided_at = now(), decided_by = 'hub',
			reason = 'de cliënt is samengevoegd; de beoordeling is overgezet'
		WHERE status = 'open' AND (client_id = $1 OR other_client_id = $1)
		RETURNING CASE WHEN client_id = $1 THEN $2 ELSE client_id END, CASE WHEN other_client_id = $1 THEN $2 ELSE other_client_id END,
			partner, record_key, other_partner, other_record_key, grade, rule, score, evidence`, from, to)
	if err != nil {
		return fmt.Errorf("update reviews: %w", err)
	}
	type moved struct {
		a, b, p, k, op, ok, g, ru string
		s                         float32
		e                         []byte
	}
	var ms []moved
	for rows.Next() {
		var m moved
		if err := rows.Scan(&m.a, &m.b, &m.p, &m.k, &m.op, &m.ok, &m.g, &m.ru, &m.s, &m.e); err != nil {
			rows.Close()
			return fmt.Errorf("update reviews: %w", err)
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("update reviews: %w", err)
	}
	for _, m := range ms {
		if _, err := tx.Exec(ctx, `INSERT INTO review_items (client_id, other_client_id, partner, record_key, other_partner, other_record_key, grade, rule, score, evidence)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
			WHERE NOT EXISTS (SELECT 1 FROM kept_apart WHERE client_a = least($1, $2) AND client_b = greatest($1, $2))
			ON CONFLICT (least(client_id, other_client_id), greatest(client_id, other_client_id)) WHERE status = 'open' DO NOTHING`,
			m.a, m.b, m.p, m.k, m.op, m.ok, m.g, m.ru, m.s, m.e); err != nil {
			return fmt.Errorf("update reviews: %w", err)
		}
	}
	return nil
}

// move relinks registrations of client from to client to: all of them when
// refs is nil. It bumps their feed position, so that feed readers see the
// new client id, and returns the moved references as JSON and their number.
func (r *Registry) move(ctx context.Context, tx pgx.Tx, from, to string, refs []RefJSON, actor, rule string) ([]byte, int, error) {
	var partners, keys []string
	for _, rf := range refs {
		partners = append(partners, rf.Partner)
		keys = append(keys, rf.RecordKey)
	}
	grade := "manual"
	if actor == "hub" {
		grade = "certain"
	}
	rows, err := tx.Query(ctx, `UPDATE registration_identity ri SET client_id = $2, grade = $6, rule = $7, linked_by = $5, linked_at = now()
		WHERE ri.client_id = $1 AND ($3::text[] IS NULL OR (ri.partner, ri.record_key) IN (SELECT * FROM unnest($3::text[], $4::text[])))
		RETURNING ri.partner, ri.record_key`, from, to, nilIfEmpty(partners), nilIfEmpty(keys), actor, grade, rule)
	if err != nil {
		return nil, 0, fmt.Errorf("move registrations: %w", err)
	}
	var moved []RefJSON
	for rows.Next() {
		var m RefJSON
		if err := rows.Scan(&m.Partner, &m.RecordKey); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("move registrations: %w", err)
		}
		moved = append(moved, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("move registrations: %w", err)
	}
	if refs != nil && len(moved) != len(refs) {
		return nil, 0, hub.Errorf(hub.EINVALID, "%d van de %d registraties horen niet bij cliënt %s", len(refs)-len(moved), len(refs), from)
	}
	if len(moved) > 0 {
		mp, mk := make([]string, len(moved)), make([]string, len(moved))
		for i, m := range moved {
			mp[i], mk[i] = m.Partner, m.RecordKey
		}
		if _, err := tx.Exec(ctx, `UPDATE registrations r SET feed_seq = nextval('feed_seq'), updated_at = now()
			FROM unnest($1::text[], $2::text[]) AS u(p, k) WHERE r.partner = u.p AND r.record_key = u.k`, mp, mk); err != nil {
			return nil, 0, fmt.Errorf("move registrations: %w", err)
		}
	}
	b, _ := json.Marshal(moved)
	if moved == nil {
		b = []byte("[]")
	}
	return b, len(moved), nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Split moves the given registrations of a client that was merged wrongly
// to a new client, and returns its id. At least one registration stays. The
// two clients are kept apart from then on.
func (r *Registry) Split(ctx context.Context, clientID string, refs []RefJSON, a Actor) (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	if len(refs) == 0 {
		return "", hub.Errorf(hub.EINVALID, "geef de registraties die naar een nieuwe cliënt gaan")
	}
	newID := NewClientID()
	err := r.inTx(ctx, func(tx pgx.Tx) error {
		if err := LockLinks(ctx, tx); err != nil {
			return err
		}
		var total int
		var merged *string
		err := tx.QueryRow(ctx, `SELECT c.merged_into, (SELECT count(*) FROM registration_identity WHERE client_id = c.id)
			FROM clients c WHERE c.id = $1`, clientID).Scan(&merged, &total)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.ENOTFOUND, "cliënt %s is niet bekend", clientID)
		}
		if err != nil {
			return fmt.Errorf("read client: %w", err)
		}
		if merged != nil {
			return hub.Errorf(hub.ECONFLICT, "cliënt %s is samengevoegd met %s; splits die", clientID, *merged)
		}
		if len(refs) >= total {
			return hub.Errorf(hub.EINVALID, "bij splitsen blijft ten minste één registratie bij cliënt %s", clientID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO clients (id) VALUES ($1)`, newID); err != nil {
			return fmt.Errorf("create client: %w", err)
		}
		moved, n, err := r.move(ctx, tx, clientID, newID, refs, a.ID, "split")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kept_apart (client_a, client_b, decided_by, reason)
			VALUES (least($1, $2), greatest($1, $2), $3, $4) ON CONFLICT DO NOTHING`, clientID, newID, a.ID, a.Reason); err != nil {
			return fmt.Errorf("keep clients apart: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_history (actor, action, client_id, other_client_id, registrations, reason)
			VALUES ($1, 'split', $2, $3, $4, $5)`, a.ID, clientID, newID, moved, a.Reason); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
		ch := LinkChange{Action: ActionSplit, ClientID: clientID, Related: []string{newID},
			Registrations: n, By: a.ID, Rule: "split"}
		if err := r.moved(ctx, tx, ch); err != nil {
			return err
		}
		return a.record(ctx, tx, ch)
	})
	if err != nil {
		return "", err
	}
	return newID, nil
}

// HistoryEntry is one correction of a client's links.
type HistoryEntry struct {
	ID            int64           `json:"id"`
	At            time.Time       `json:"at"`
	Actor         string          `json:"actor"`
	Action        string          `json:"action"`
	ClientID      string          `json:"client_id"`
	OtherClientID string          `json:"other_client_id,omitempty"`
	Registrations json.RawMessage `json:"registrations"`
	Reason        string          `json:"reason"`
	ReviewItemID  *int64          `json:"review_item_id,omitempty"`
}

// History lists the corrections that involved a client, oldest first.
func (r *Registry) History(ctx context.Context, clientID string) ([]HistoryEntry, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, at, actor, action, client_id, coalesce(other_client_id, ''), registrations, reason, review_item_id
		FROM client_history WHERE client_id = $1 OR other_client_id = $1 ORDER BY id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("read client history: %w", err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		if err := rows.Scan(&h.ID, &h.At, &h.Actor, &h.Action, &h.ClientID, &h.OtherClientID, &h.Registrations, &h.Reason, &h.ReviewItemID); err != nil {
			return nil, fmt.Errorf("read client history: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (r *Registry) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
