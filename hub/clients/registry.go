// Package clients keeps the chain clients: which partner registrations belong
// to one person. It links every stored registration to a stable, opaque
// client id (LinkChunk, called by the pipeline's store stage in the same
// transaction), keeps the review queue of possible links, and carries out a
// person's corrections: a review decision, a split and a merge, each with its
// history. The matching itself is hub/identity's; this package stores its
// decisions and explains every link.
package clients

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/internal/parallel"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// DefaultMaxBlock is the largest block the registry compares within: a
// blocking key shared by more registrations (a common surname with a common
// initial) is not used for candidates, so the work per registration stays
// bounded. The other keys of a registration still find its true matches.
const DefaultMaxBlock = 50

// linkLockID serialises linking across partners: two partners delivering the
// same new person at once must not each create a client.
const linkLockID = 0x6b68636c69656e74 // "khclient"

// Registry stores chain clients and links.
type Registry struct {
	pool       *pgxpool.Pool
	keys       *Keys
	thresholds identity.Thresholds
	maxBlock   int
	log        *slog.Logger
	// onLinkChange receives the links the hub changes itself (Options.OnLinkChange).
	onLinkChange func(ctx context.Context, tx pgx.Tx, changes []LinkChange) error
	// onMove receives every change that moves registrations (Options.OnMove).
	onMove func(ctx context.Context, tx pgx.Tx, changes []LinkChange) error
	// big holds the blocks scanCandidates found to exceed maxBlock (only
	// without the index, Options.NoIndex): they are never read again.
	bigMu sync.Mutex
	big   map[int64]bool
	// index holds the stored identities in memory (nil: candidates are read
	// from the database for every chunk).
	index *identityIndex
}

// Options configure a Registry; zero values take the defaults.
type Options struct {
	Thresholds identity.Thresholds
	MaxBlock   int
	Logger     *slog.Logger
	// OnLinkChange, when not nil, is called in LinkChunk's transaction with
	// the links the hub changed itself: automatic merges, and registrations
	// moved to another client because their identity changed (the first
	// link of a new registration is not a change). An error fails the
	// chunk. The hub appends the audit events here.
	OnLinkChange func(ctx context.Context, tx pgx.Tx, changes []LinkChange) error
	// NoIndex makes the registry read the match candidates from the
	// database for every chunk, by scanning all stored identities, instead
	// of from the in-memory index (see identityIndex). Only for comparing
	// the two in tests: it is slow beyond a few thousand registrations.
	NoIndex bool
	// OnMove, when not nil, is called in the transaction of every change
	// that moves registrations between clients or merges them, whoever
	// makes it: a review link, a merge, a split, an automatic merge, a
	// relink. It runs after the move and before the audit hooks; an error
	// rolls the change back. The hub makes consent follow the client here
	// (hub/consentflow).
	OnMove func(ctx context.Context, tx pgx.Tx, changes []LinkChange) error
}

// New returns a registry on the hub's database.
func New(pool *pgxpool.Pool, keys *Keys, opts Options) *Registry {
	if opts.Thresholds == (identity.Thresholds{}) {
		opts.Thresholds = identity.DefaultThresholds
	}
	if opts.MaxBlock <= 0 {
		opts.MaxBlock = DefaultMaxBlock
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Registry{pool: pool, keys: keys, thresholds: opts.Thresholds, maxBlock: opts.MaxBlock, log: opts.Logger,
		onLinkChange: opts.OnLinkChange, onMove: opts.OnMove, big: map[int64]bool{}}
	if !opts.NoIndex {
		r.index = newIdentityIndex(opts.MaxBlock)
	}
	return r
}

// moved hands changes that moved registrations to Options.OnMove.
func (r *Registry) moved(ctx context.Context, tx pgx.Tx, changes ...LinkChange) error {
	if r.onMove == nil || len(changes) == 0 {
		return nil
	}
	if err := r.onMove(ctx, tx, changes); err != nil {
		return fmt.Errorf("follow moved registrations: %w", err)
	}
	return nil
}

// LockLinks takes the lock that serialises every change of links (linking
// a chunk, merges, splits) for the rest of tx. Whoever reads which client a
// registration belongs to and acts on it in tx (such as recording consent
// for it) takes it first, so that no link changes in between.
func LockLinks(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(linkLockID)); err != nil {
		return fmt.Errorf("lock client links: %w", err)
	}
	return nil
}

// Keys returns the registry's keys (for reading BSNs back).
func (r *Registry) Keys() *Keys { return r.keys }

// Input is one stored registration to link.
type Input struct {
	RecordKey string
	Client    sdk.Client
}

// Result is the link of one registration.
type Result struct {
	ClientID   string
	Grade      identity.Grade
	Rule       string
	BSNInvalid bool // a BSN was given but failed the elfproef: warn the partner
	BSNReview  bool // a valid BSN belongs to another client's person: review
}

// NewClientID returns a new opaque chain client id.
func NewClientID() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("clients: no randomness: %v", err))
	}
	return "kc-" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// prepared is one registration's identity as the registry stores it.
type prepared struct {
	in       Input
	norm     identity.Normalised // BSN replaced by its keyed hash (hex) for comparisons
	features []byte
	bsnHash  []byte // keyed hash of the delivered BSN, valid or not
	bsnEnc   []byte
	invalid  bool
	keys     []string
	blocks   []int64
}

func (r *Registry) prepare(in Input) (prepared, error) {
	p := prepared{in: in}
	n := identity.Normalise(in.Client)
	raw := strings.TrimSpace(in.Client.BSN)
	if raw != "" {
		canon := raw
		if b, ok := identity.CheckBSN(raw); ok {
			canon = b
		}
		p.bsnHash = r.keys.HashBSN(canon)
		p.bsnEnc = r.keys.EncryptBSN(raw)
	}
	p.invalid = n.BSNInvalid
	p.keys = indexKeys(n)
	p.blocks = make([]int64, len(p.keys))
	for i, k := range p.keys {
		p.blocks[i] = r.keys.Block(k)
	}
	stored := n
	stored.BSN = ""
	p.features = encodeFeatures(stored)
	p.norm = n
	if n.BSN != "" {
		p.norm.BSN = hex.EncodeToString(p.bsnHash)
	}
	return p, nil
}

// indexKeys returns the blocking keys under which the registry indexes and
// looks up a registration: identity.BlockingKeys without the surname +
// initial keys of a registration with a full birth date. Those keys serve to
// find registrations with an unknown birth date, and a pair in which one
// date is unknown can never be linked automatically; leaving them out keeps
// the largest blocks out of the index at a million registrations. Two
// registrations without a full date still meet under them.
func indexKeys(n identity.Normalised) []string {
	keys := identity.BlockingKeys(n)
	if !n.FullDate() {
		return keys
	}
	out := keys[:0]
	for _, k := range keys {
		if !strings.HasPrefix(k, "si:") {
			out = append(out, k)
		}
	}
	return out
}

// existing is a registration's stored link.
type existing struct {
	id       int64
	clientID string
	features []byte
	bsnHash  []byte
	linkedBy string
}

// candidate is a stored registration found through a block.
type candidate struct {
	regID int64
	c     identity.Candidate
}

// LinkChunk links the registrations of one stored chunk of a partner to
// chain clients, inside tx (the transaction that stores the chunk). A
// registration whose identity did not change keeps its link. Results are in
// the order of recs.
func (r *Registry) LinkChunk(ctx context.Context, tx pgx.Tx, partner string, recs []Input) ([]Result, error) {
	out := make([]Result, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	var txID string
	if err := tx.QueryRow(ctx, `SELECT pg_current_xact_id()::text FROM (SELECT pg_advisory_xact_lock($1)) l`,
		int64(linkLockID)).Scan(&txID); err != nil {
		return nil, fmt.Errorf("lock client links: %w", err)
	}
	preps := make([]prepared, len(recs))
	keys := make([]string, len(recs))
	errs := make([]error, len(recs))
	parallel.Each(len(recs), func(i int) { preps[i], errs[i] = r.prepare(recs[i]) })
	for i, in := range recs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		keys[i] = in.RecordKey
	}
	known, err := r.existingLinks(ctx, tx, partner, keys)
	if err != nil {
		return nil, err
	}

	// Which registrations need a decision.
	var todo []int
	var changing []int64
	for i, p := range preps {
		out[i].BSNInvalid = p.invalid
		ex, ok := known[p.in.RecordKey]
		if ok && string(ex.features) == string(p.features) && string(ex.bsnHash) == string(p.bsnHash) {
			out[i].ClientID, out[i].Rule = ex.clientID, "unchanged"
			continue
		}
		if ok {
			changing = append(changing, ex.id)
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return out, nil
	}
	var want []int64
	for _, i := range todo {
		want = append(want, preps[i].blocks...)
	}
	byBlock, err := r.linkCandidates(ctx, tx, txID, want, changing)
	if err != nil {
		return nil, err
	}

	ahead := r.decideAhead(partner, preps, todo, byBlock)
	w := newLinkWriter(partner)
	local := map[int64][]candidate{} // registrations of this chunk, decided before
	for j, i := range todo {
		p := preps[i]
		ex, isKnown := known[p.in.RecordKey]
		self := identity.Ref{Partner: partner, RecordKey: p.in.RecordKey}
		d, ok := ahead[j]
		if !ok {
			d = identity.Resolve(p.norm, gather(p.blocks, byBlock, local, self, r.maxBlock), r.thresholds)
		}
		clientID, grade, rule := "", d.Grade, d.Evidence.Match.Rule
		switch {
		case d.Grade == identity.Certain:
			clientID = d.ClientID
		case isKnown && (ex.linkedBy != "hub" || !w.othersIn(ctx, r, tx, ex.clientID, self)):
			// A person's link stands; a client of its own stays its own.
			clientID, rule = ex.clientID, "kept"
		default:
			clientID = NewClientID()
			w.newClients = append(w.newClients, clientID)
			if d.Grade != identity.Probable {
				rule = "new"
			}
		}
		if isKnown && clientID != ex.clientID {
			w.relinks = append(w.relinks, relink{from: ex.clientID, to: clientID, key: p.in.RecordKey})
		}
		for _, e := range d.Review {
			if e.ClientID != clientID {
				w.reviews = append(w.reviews, review{clientID: clientID, key: p.in.RecordKey, ev: e})
			}
		}
		if d.Grade == identity.Certain {
			for _, e := range d.Review {
				if e.Match.Grade != identity.Certain || e.ClientID == clientID {
					continue
				}
				ok, err := r.consistent(ctx, tx, clientID, e.ClientID, local)
				if err != nil {
					return nil, err
				}
				if ok {
					w.merges = append(w.merges, autoMerge{target: clientID, source: e.ClientID, key: p.in.RecordKey})
				}
			}
		}
		out[i].ClientID, out[i].Grade, out[i].Rule = clientID, grade, rule
		out[i].BSNReview = hasRule(d.Review, "bsn-conflict")
		w.add(p, ex, isKnown, clientID, d, rule)
		for _, b := range p.blocks {
			local[b] = append(local[b], candidate{c: identity.Candidate{Ref: self, ClientID: clientID, Norm: p.norm}})
		}
	}
	if err := w.write(ctx, tx); err != nil {
		return nil, err
	}
	var changes []LinkChange
	for _, rl := range w.relinks {
		changes = append(changes, LinkChange{Action: ActionLink, ClientID: rl.to, Related: []string{rl.from},
			Registrations: 1, By: "hub", Rule: "relink"})
	}
	if len(w.merges) > 0 {
		final, err := r.applyAutoMerges(ctx, tx, partner, w.merges, &changes)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if to, ok := final[out[i].ClientID]; ok {
				out[i].ClientID = to
			}
		}
	}
	if err := r.moved(ctx, tx, changes...); err != nil {
		return nil, fmt.Errorf("link chunk of %s: %w", partner, err)
	}
	if len(changes) > 0 && r.onLinkChange != nil {
		if err := r.onLinkChange(ctx, tx, changes); err != nil {
			return nil, fmt.Errorf("record link changes of %s: %w", partner, err)
		}
	}
	return out, nil
}

// decideAhead resolves, on all cores, the registrations of todo that share
// no block with an earlier registration of the chunk: their candidates are
// the stored ones only, so their decisions do not depend on the chunk's
// earlier ones. It returns them by position in todo; LinkChunk resolves the
// others in order.
func (r *Registry) decideAhead(partner string, preps []prepared, todo []int, byBlock map[int64][]candidate) map[int]identity.Decision {
	seen := map[int64]bool{}
	var alone []int // positions in todo
	for j, i := range todo {
		shares := false
		for _, b := range preps[i].blocks {
			shares = shares || seen[b]
			seen[b] = true
		}
		if !shares {
			alone = append(alone, j)
		}
	}
	decisions := make([]identity.Decision, len(alone))
	parallel.Each(len(alone), func(k int) {
		p := preps[todo[alone[k]]]
		self := identity.Ref{Partner: partner, RecordKey: p.in.RecordKey}
		decisions[k] = identity.Resolve(p.norm, gather(p.blocks, byBlock, nil, self, r.maxBlock), r.thresholds)
	})
	out := make(map[int]identity.Decision, len(alone))
	for k, j := range alone {
		out[j] = decisions[k]
	}
	return out
}

// autoMerge is a merge the hub makes itself: a registration that is a
// Certain match with two clients whose registrations are Consistent.
type autoMerge struct {
	target, source, key string
}

// consistent reports whether two clients' registrations (stored, and those
// of this chunk decided so far) may all be one person.
func (r *Registry) consistent(ctx context.Context, tx pgx.Tx, a, b string, local map[int64][]candidate) (bool, error) {
	members := map[string][]identity.Normalised{a: nil, b: nil}
	rows, err := tx.Query(ctx, `SELECT client_id, features, bsn_hash, bsn_invalid FROM registration_identity WHERE client_id = ANY($1)`,
		[]string{a, b})
	if err != nil {
		return false, fmt.Errorf("read client members: %w", err)
	}
	for rows.Next() {
		var id string
		var features, hash []byte
		var invalid bool
		if err := rows.Scan(&id, &features, &hash, &invalid); err != nil {
			rows.Close()
			return false, fmt.Errorf("read client members: %w", err)
		}
		n, err := decodeFeatures(features)
		if err != nil {
			rows.Close()
			return false, fmt.Errorf("read client members: %w", err)
		}
		if len(hash) > 0 && !invalid {
			n.BSN = hex.EncodeToString(hash)
		}
		members[id] = append(members[id], n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read client members: %w", err)
	}
	seen := map[identity.Ref]bool{}
	for _, list := range local {
		for _, c := range list {
			if (c.c.ClientID == a || c.c.ClientID == b) && !seen[c.c.Ref] {
				seen[c.c.Ref] = true
				members[c.c.ClientID] = append(members[c.c.ClientID], c.c.Norm)
			}
		}
	}
	return identity.Consistent(members[a], members[b], r.thresholds), nil
}

// applyAutoMerges carries out a chunk's automatic merges in order, adds them
// to changes, and returns where each merged-away client went.
func (r *Registry) applyAutoMerges(ctx context.Context, tx pgx.Tx, partner string, merges []autoMerge, changes *[]LinkChange) (map[string]string, error) {
	final := map[string]string{}
	find := func(id string) string {
		for {
			to, ok := final[id]
			if !ok {
				return id
			}
			id = to
		}
	}
	for _, m := range merges {
		target, source := find(m.target), find(m.source)
		if target == source {
			continue
		}
		moved, n, err := r.move(ctx, tx, source, target, nil, "hub", "auto-merge")
		if err != nil {
			return nil, err
		}
		*changes = append(*changes, LinkChange{Action: ActionMerge, ClientID: target, Related: []string{source},
			Registrations: n, By: "hub", Rule: "auto-merge"})
		if _, err := tx.Exec(ctx, `UPDATE clients SET merged_into = $2 WHERE id = $1`, source, target); err != nil {
			return nil, fmt.Errorf("merge clients: %w", err)
		}
		if err := repointReviews(ctx, tx, source, target); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_history (actor, action, client_id, other_client_id, registrations, reason)
			VALUES ('hub', 'auto-merge', $1, $2, $3, $4)`, target, source, moved,
			"registratie "+m.key+" van "+partner+" hoort zeker bij beide cliënten, en hun registraties spreken elkaar niet tegen"); err != nil {
			return nil, fmt.Errorf("record history: %w", err)
		}
		final[source] = target
	}
	for k := range final {
		final[k] = find(k)
	}
	return final, nil
}

func hasRule(es []identity.Evidence, rule string) bool {
	for _, e := range es {
		if e.Match.Rule == rule {
			return true
		}
	}
	return false
}

// gather collects the distinct candidates of a registration's blocks,
// skipping blocks larger than maxBlock and the registration itself.
func gather(blocks []int64, stored, local map[int64][]candidate, self identity.Ref, maxBlock int) []identity.Candidate {
	seen := map[identity.Ref]bool{self: true}
	var out []identity.Candidate
	for _, b := range blocks {
		s, l := stored[b], local[b]
		if len(s)+len(l) > maxBlock {
			continue
		}
		for _, list := range [][]candidate{s, l} {
			for _, c := range list {
				if !seen[c.c.Ref] {
					seen[c.c.Ref] = true
					out = append(out, c.c)
				}
			}
		}
	}
	return out
}

// existingLinks returns the stored links of a partner's record keys.
func (r *Registry) existingLinks(ctx context.Context, tx pgx.Tx, partner string, keys []string) (map[string]existing, error) {
	rows, err := tx.Query(ctx, `SELECT record_key, id, client_id, features, bsn_hash, linked_by
		FROM registration_identity WHERE partner = $1 AND record_key = ANY($2::text[])`, partner, keys)
	if err != nil {
		return nil, fmt.Errorf("read links of %s: %w", partner, err)
	}
	defer rows.Close()
	out := map[string]existing{}
	for rows.Next() {
		var k string
		var e existing
		if err := rows.Scan(&k, &e.id, &e.clientID, &e.features, &e.bsnHash, &e.linkedBy); err != nil {
			return nil, fmt.Errorf("read links of %s: %w", partner, err)
		}
		out[k] = e
	}
	return out, rows.Err()
}

// linkCandidates returns the stored registrations in the given blocks but
// those in changing (registrations of the chunk whose identity changes).
func (r *Registry) linkCandidates(ctx context.Context, q querier, txID string, blocks, changing []int64) (map[int64][]candidate, error) {
	skip := make(map[int64]bool, len(changing))
	for _, id := range changing {
		skip[id] = true
	}
	if r.index != nil {
		return r.index.candidates(ctx, q, txID, blocks, skip)
	}
	return r.scanCandidates(ctx, q, blocks, skip)
}

// scanCandidates is linkCandidates without the index: it scans the stored
// identities for the given blocks. A block found with more than maxBlock
// registrations is big from then on, as in the index.
func (r *Registry) scanCandidates(ctx context.Context, q querier, blocks []int64, skip map[int64]bool) (map[int64][]candidate, error) {
	blocks = uniqueInt64(blocks)
	r.bigMu.Lock()
	defer r.bigMu.Unlock()
	want := make(map[int64]bool, len(blocks))
	for _, b := range blocks {
		if !r.big[b] {
			want[b] = true
		}
	}
	rows, err := q.Query(ctx, `SELECT id, partner, record_key, client_id, features, bsn_hash, bsn_invalid, blocks
		FROM registration_identity WHERE blocks && $1`, blocks)
	if err != nil {
		return nil, fmt.Errorf("read match candidates: %w", err)
	}
	defer rows.Close()
	out := map[int64][]candidate{}
	for rows.Next() {
		var id int64
		var c identity.Candidate
		var features, bsnHash []byte
		var invalid bool
		var its []int64
		if err := rows.Scan(&id, &c.Ref.Partner, &c.Ref.RecordKey, &c.ClientID, &features, &bsnHash, &invalid, &its); err != nil {
			return nil, fmt.Errorf("read match candidates: %w", err)
		}
		if c.Norm, err = decodeFeatures(features); err != nil {
			return nil, fmt.Errorf("read match candidate %d: %w", id, err)
		}
		if len(bsnHash) > 0 && !invalid {
			c.Norm.BSN = hex.EncodeToString(bsnHash)
		}
		for _, b := range its {
			if want[b] {
				out[b] = append(out[b], candidate{regID: id, c: c})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read match candidates: %w", err)
	}
	for b, list := range out {
		if len(list) > r.maxBlock {
			r.big[b] = true
			delete(out, b)
			continue
		}
		kept := list[:0]
		for _, c := range list {
			if !skip[c.regID] {
				kept = append(kept, c)
			}
		}
		out[b] = kept
	}
	return out, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func uniqueInt64(in []int64) []int64 {
	seen := make(map[int64]bool, len(in))
	out := make([]int64, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
