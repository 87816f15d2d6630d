package clients

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Actions of a LinkChange, named like the audit trail's link_change actions.
const (
	// ActionMerge: all registrations of the Related clients moved to ClientID.
	ActionMerge = "merge"
	// ActionSplit: registrations of ClientID moved to the new client in Related.
	ActionSplit = "split"
	// ActionLink: registrations moved from Related to ClientID because they
	// are one person (a review decision, or a changed identity).
	ActionLink = "link"
	// ActionUnlink: ClientID and Related were judged to be different people
	// (keep apart); nothing moved.
	ActionUnlink = "unlink"
)

// LinkChange is one change of the links between partner registrations and
// chain clients, as the audit trail records it: pseudonyms and counts only.
type LinkChange struct {
	Action string
	// ClientID is the client that received (or kept) the registrations.
	ClientID string
	// Related are the other clients involved.
	Related []string
	// Registrations is how many registrations moved.
	Registrations int
	// By is the actor: a user or partner id, or "hub" for the hub's own changes.
	By string
	// Rule is how it came about: review-link, keep-apart, merge, split,
	// auto-merge or relink.
	Rule string
}

// Facts are the facts about one chain client that decide who may see it
// (hub/policy's ClientFacts), taken from the client's active registrations.
type Facts struct {
	ClientID string
	// TargetGroups and Municipalities of the active registrations, sorted, without repeats.
	TargetGroups   []string
	Municipalities []string
	// Partners with an active registration of the client, sorted.
	Partners []string
}

// Facts returns the facts of each client in ids, by id. A client without
// active registrations has empty facts; an unknown id is absent. One query
// serves a whole feed page.
func (r *Registry) Facts(ctx context.Context, ids []string) (map[string]Facts, error) {
	out := make(map[string]Facts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT ri.client_id, ri.partner, r.status = 'active',
			coalesce(r.data->>'target_group', ''), coalesce(r.data->>'municipality', '')
		FROM registration_identity ri JOIN registrations r ON r.partner = ri.partner AND r.record_key = ri.record_key
		WHERE ri.client_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read client facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, partner, tg, mun string
		var active bool
		if err := rows.Scan(&id, &partner, &active, &tg, &mun); err != nil {
			return nil, fmt.Errorf("read client facts: %w", err)
		}
		f := out[id]
		f.ClientID = id
		if active {
			f.Partners = addSorted(f.Partners, partner)
			f.TargetGroups = addSorted(f.TargetGroups, tg)
			f.Municipalities = addSorted(f.Municipalities, mun)
		}
		out[id] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read client facts: %w", err)
	}
	return out, nil
}

// addSorted adds v to a sorted list without repeats; "" is not added.
func addSorted(list []string, v string) []string {
	if v == "" {
		return list
	}
	i, found := slices.BinarySearch(list, v)
	if found {
		return list
	}
	return slices.Insert(list, i, v)
}

// ActiveRegistration is the chain part of one active registration, for
// aggregates: never names, BSNs or dates of birth.
type ActiveRegistration struct {
	ClientID     string
	Partner      string
	UpdatedAt    time.Time
	TargetGroup  string
	Municipality string
	ProcessStep  string
	LifeDomains  map[string]sdk.LifeDomain
}

// ActiveRegistrations calls fn for every active, linked registration, by
// client. It stops at fn's first error and returns it.
func (r *Registry) ActiveRegistrations(ctx context.Context, fn func(ActiveRegistration) error) error {
	rows, err := r.pool.Query(ctx, `SELECT ri.client_id, r.partner, r.updated_at, coalesce(r.data->>'target_group', ''),
			coalesce(r.data->>'municipality', ''), coalesce(r.data->>'process_step', ''), r.data->'life_domains'
		FROM registration_identity ri JOIN registrations r ON r.partner = ri.partner AND r.record_key = ri.record_key
		WHERE r.status = 'active'
		ORDER BY ri.client_id`)
	if err != nil {
		return fmt.Errorf("read active registrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a ActiveRegistration
		var domains []byte
		if err := rows.Scan(&a.ClientID, &a.Partner, &a.UpdatedAt, &a.TargetGroup, &a.Municipality, &a.ProcessStep, &domains); err != nil {
			return fmt.Errorf("read active registrations: %w", err)
		}
		if len(domains) > 0 && string(domains) != "null" {
			if err := json.Unmarshal(domains, &a.LifeDomains); err != nil {
				return fmt.Errorf("read life domains of a registration of %s: %w", a.Partner, err)
			}
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read active registrations: %w", err)
	}
	return nil
}
