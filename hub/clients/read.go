package clients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// LookupCandidate is a chain client that may be the person asked about.
type LookupCandidate struct {
	ClientID string       `json:"client_id"`
	Grade    string       `json:"grade"` // certain | probable
	Rule     string       `json:"rule"`
	Score    float64      `json:"score"`
	Evidence EvidenceJSON `json:"evidence"`
}

// Lookup answers an intake's question "is this person already known in the
// chain?": the clients whose registrations match the given identity, best
// first, each with its grade. A client with a registration of a different
// person by a hard rule (twin, parent/child, other BSN) is not offered as
// certain.
func (r *Registry) Lookup(ctx context.Context, c sdk.Client) ([]LookupCandidate, error) {
	p, err := r.prepare(Input{Client: c})
	if err != nil {
		return nil, err
	}
	byBlock, err := r.linkCandidates(ctx, r.pool, "", p.blocks, nil)
	if err != nil {
		return nil, err
	}
	cands := gather(p.blocks, byBlock, nil, identity.Ref{Partner: "\x00lookup"}, r.maxBlock)
	type best struct {
		e        identity.Evidence
		distinct bool
	}
	per := map[string]*best{}
	for _, cd := range cands {
		m := identity.CompareWith(cd.Norm, p.norm, r.thresholds)
		b := per[cd.ClientID]
		if b == nil {
			b = &best{}
			per[cd.ClientID] = b
		}
		if m.Distinct() {
			b.distinct = true
		}
		if b.e.With == (identity.Ref{}) || m.Grade > b.e.Match.Grade || (m.Grade == b.e.Match.Grade && m.Score > b.e.Match.Score) {
			b.e = identity.Evidence{With: cd.Ref, ClientID: cd.ClientID, Match: m}
		}
	}
	out := []LookupCandidate{}
	for id, b := range per {
		g := b.e.Match.Grade
		if g == identity.Certain && b.distinct {
			g = identity.Probable
		}
		if g == identity.None {
			continue
		}
		out = append(out, LookupCandidate{ClientID: id, Grade: g.String(), Rule: b.e.Match.Rule, Score: b.e.Match.Score,
			Evidence: evidenceJSON(b.e)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Grade != out[j].Grade {
			return out[i].Grade == "certain"
		}
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ClientID < out[j].ClientID
	})
	return out, nil
}

// Overview is a chain client as the chain knows it.
type Overview struct {
	ClientID string `json:"client_id"`
	// MergedFrom is the id that was asked for when it has been merged into
	// ClientID.
	MergedFrom string `json:"merged_from,omitempty"`
	// Identity is the identity as best known: the most recent registration's
	// client part, with the BSN that the registrations agree on.
	Identity      sdk.Client            `json:"identity"`
	Registrations []PartnerRegistration `json:"registrations"`
}

// PartnerRegistration is one partner's latest registration of a client.
type PartnerRegistration struct {
	Partner           string                    `json:"partner"`
	RecordKey         string                    `json:"record_key"`
	Status            string                    `json:"status"`
	UpdatedAt         time.Time                 `json:"updated_at"`
	Link              LinkJSON                  `json:"link"`
	ProcessStep       string                    `json:"process_step,omitempty"`
	TargetGroup       string                    `json:"target_group,omitempty"`
	Municipality      string                    `json:"municipality,omitempty"`
	Neighbourhood     string                    `json:"neighbourhood,omitempty"`
	LifeDomains       map[string]sdk.LifeDomain `json:"life_domains,omitempty"`
	ResponsibleWorker *sdk.ResponsibleWorker    `json:"responsible_worker,omitempty"`
	// Sensitive holds that a diagnosis exists and, for those who may see
	// it, which one.
	Sensitive *sdk.Sensitive `json:"sensitive,omitempty"`
	// Registration is the whole registration (with its BSN), for callers
	// that filter it by sensitivity class; not sent as is.
	Registration json.RawMessage `json:"-"`
}

// LinkJSON explains how a registration was linked to its client.
type LinkJSON struct {
	Grade    string          `json:"grade"`
	Rule     string          `json:"rule"`
	Score    float64         `json:"score"`
	LinkedBy string          `json:"linked_by"`
	LinkedAt time.Time       `json:"linked_at"`
	Evidence json.RawMessage `json:"evidence,omitempty"`
}

// Resolve returns the current id of a client: itself, or the client it was
// merged into. It returns an ENOTFOUND *hub.Error for an unknown id.
func (r *Registry) Resolve(ctx context.Context, id string) (string, error) {
	cur := id
	for range 64 {
		var next *string
		err := r.pool.QueryRow(ctx, `SELECT merged_into FROM clients WHERE id = $1`, cur).Scan(&next)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", hub.Errorf(hub.ENOTFOUND, "cliënt %s is niet bekend", id)
		}
		if err != nil {
			return "", fmt.Errorf("resolve client: %w", err)
		}
		if next == nil {
			return cur, nil
		}
		cur = *next
	}
	return "", fmt.Errorf("resolve client %s: merge chain too long", id)
}

// Overview returns a chain client's overview: per partner the latest
// registration, and the identity as best known.
func (r *Registry) Overview(ctx context.Context, id string) (Overview, error) {
	cur, err := r.Resolve(ctx, id)
	if err != nil {
		return Overview{}, err
	}
	ov := Overview{ClientID: cur, Registrations: []PartnerRegistration{}}
	if cur != id {
		ov.MergedFrom = id
	}
	rows, err := r.pool.Query(ctx, `SELECT DISTINCT ON (r.partner) r.partner, r.record_key, r.status, r.updated_at, r.data,
			ri.bsn_enc, ri.bsn_invalid, ri.grade, ri.rule, ri.score, ri.linked_by, ri.linked_at, ri.evidence
		FROM registration_identity ri JOIN registrations r ON r.partner = ri.partner AND r.record_key = ri.record_key
		WHERE ri.client_id = $1
		ORDER BY r.partner, (r.status = 'active') DESC, r.updated_at DESC, r.record_key`, cur)
	if err != nil {
		return ov, fmt.Errorf("read client overview: %w", err)
	}
	defer rows.Close()
	bsnVotes := map[string]int{}
	var newest time.Time
	for rows.Next() {
		var pr PartnerRegistration
		var data []byte
		var enc []byte
		var invalid bool
		var score float32
		var evidence []byte
		if err := rows.Scan(&pr.Partner, &pr.RecordKey, &pr.Status, &pr.UpdatedAt, &data, &enc, &invalid,
			&pr.Link.Grade, &pr.Link.Rule, &score, &pr.Link.LinkedBy, &pr.Link.LinkedAt, &evidence); err != nil {
			return ov, fmt.Errorf("read client overview: %w", err)
		}
		pr.Link.Score = float64(score)
		if len(evidence) > 0 && string(evidence) != "null" {
			pr.Link.Evidence = evidence
		}
		bsn := ""
		if len(enc) > 0 {
			if bsn, err = r.keys.DecryptBSN(enc); err != nil {
				return ov, err
			}
			if !invalid {
				bsnVotes[bsn]++
			}
		}
		pr.Registration = InsertBSN(data, bsn)
		var reg sdk.Registration
		if err := json.Unmarshal(pr.Registration, &reg); err != nil {
			return ov, fmt.Errorf("read client overview: %w", err)
		}
		pr.ProcessStep, pr.TargetGroup, pr.Municipality, pr.Neighbourhood = reg.ProcessStep, reg.TargetGroup, reg.Municipality, reg.Neighbourhood
		pr.LifeDomains, pr.ResponsibleWorker, pr.Sensitive = reg.LifeDomains, reg.ResponsibleWorker, reg.Sensitive
		if pr.UpdatedAt.After(newest) {
			newest = pr.UpdatedAt
			ov.Identity = reg.Client
		}
		ov.Registrations = append(ov.Registrations, pr)
	}
	if err := rows.Err(); err != nil {
		return ov, fmt.Errorf("read client overview: %w", err)
	}
	ov.Identity.BSN = ""
	if len(bsnVotes) == 1 {
		for b := range bsnVotes {
			ov.Identity.BSN = b
		}
	}
	return ov, nil
}

// Link returns one registration's link: its client and how it was made.
func (r *Registry) Link(ctx context.Context, partner, recordKey string) (string, LinkJSON, error) {
	var l LinkJSON
	var client string
	var score float32
	var ev []byte
	err := r.pool.QueryRow(ctx, `SELECT client_id, grade, rule, score, linked_by, linked_at, evidence FROM registration_identity
		WHERE partner = $1 AND record_key = $2`, partner, recordKey).Scan(&client, &l.Grade, &l.Rule, &score, &l.LinkedBy, &l.LinkedAt, &ev)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", l, hub.Errorf(hub.ENOTFOUND, "registratie %s van %s is niet gekoppeld", recordKey, partner)
	}
	if err != nil {
		return "", l, fmt.Errorf("read link: %w", err)
	}
	l.Score = float64(score)
	if len(ev) > 0 && string(ev) != "null" {
		l.Evidence = ev
	}
	return client, l, nil
}

// RevealBSN decrypts a BSN stored with a registration ("" for none).
func (r *Registry) RevealBSN(enc []byte) (string, error) {
	if len(enc) == 0 {
		return "", nil
	}
	return r.keys.DecryptBSN(enc)
}
