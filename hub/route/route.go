// Package route is outbound routing, the part of "no double entry" that
// brings a registration to the partners that need it: for every stored
// registration of one partner, and every other partner that receives
// (config: receive), it matches the partner's subscription, asks the one
// decision point (hub/policy, operation receive) whether the partner may
// have it, strips the fields the decision does not show, and records a
// delivery with a stable delivery id and an audit disclosure event, in the
// transaction that handles the pipeline's accepted message. Deliverer then
// sends the deliveries per partner and channel: a file in the partner's
// pickup folder in its own format, or a signed webhook POST; retried with
// backoff, acknowledged, and decided again just before sending, so that
// withdrawn consent stops what is still pending.
package route

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Decider is the policy decision point; *policy.Engine implements it.
type Decider interface {
	// DecideMany answers requests in order; see policy.Engine.DecideMany.
	DecideMany(ctx context.Context, reqs []policy.Request) ([]policy.Decision, error)
}

// Auditor appends disclosure events; *audit.Log implements it.
type Auditor interface {
	// Append writes events through db (a transaction); see audit.Log.Append.
	Append(ctx context.Context, db audit.DB, events ...audit.Event) error
}

// BSNKeys reads and hashes the BSNs the hub keeps encrypted;
// *clients.Keys implements it.
type BSNKeys interface {
	// DecryptBSN returns the BSN of an encrypted copy.
	DecryptBSN(enc []byte) (string, error)
	// HashBSN returns a keyed hash of a BSN.
	HashBSN(bsn string) []byte
}

var (
	_ Decider = (*policy.Engine)(nil)
	_ Auditor = (*audit.Log)(nil)
)

// Subscription is what one partner receives (the receive section of its
// configuration, hub/config).
type Subscription struct {
	// Partner is the receiving partner.
	Partner string
	// Purpose is the purpose the registrations are received for.
	Purpose string
	Select  Selection
	// Channels are the channels it receives on: store.ChannelPickup and/or
	// store.ChannelWebhook.
	Channels []string
}

// Config configures a Router.
type Config struct {
	Store  *store.Store
	Policy Decider
	Audit  Auditor
	// Keys decrypts BSNs for the content hash of a delivery that shows one.
	Keys BSNKeys
	// Subscriptions are the receiving partners when Current is nil.
	Subscriptions []Subscription
	// Current, when set, returns the subscriptions in force; Route asks it
	// for every chunk, so that partner files applied at run time count at
	// once. Subscriptions it returns that are not usable (see Validate) are
	// skipped with a warning.
	Current func() []Subscription
	Logger  *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a missing dependency or an unusable subscription.
func (c *Config) Validate() error {
	if c.Store == nil || c.Policy == nil || c.Audit == nil || c.Keys == nil {
		return errors.New("route: store, policy, audit and keys are required")
	}
	seen := map[string]bool{}
	for _, s := range c.Subscriptions {
		if err := s.check(seen); err != nil {
			return err
		}
	}
	return nil
}

// check reports an unusable subscription, or one of a partner in seen, and
// adds its partner to seen.
func (s Subscription) check(seen map[string]bool) error {
	switch {
	case s.Partner == "" || s.Purpose == "":
		return errors.New("route: a subscription needs a partner and a purpose")
	case seen[s.Partner]:
		return fmt.Errorf("route: partner %s subscribes twice", s.Partner)
	case len(s.Channels) == 0:
		return fmt.Errorf("route: partner %s receives on no channel", s.Partner)
	}
	seen[s.Partner] = true
	for _, ch := range s.Channels {
		if ch != store.ChannelPickup && ch != store.ChannelWebhook {
			return fmt.Errorf("route: partner %s: unknown channel %q", s.Partner, ch)
		}
	}
	return nil
}

// subscriptions returns the subscriptions in force: Config.Current's usable
// ones when it is set, else Config.Subscriptions.
func (r *Router) subscriptions() []Subscription {
	if r.cfg.Current == nil {
		return r.cfg.Subscriptions
	}
	seen := map[string]bool{}
	var out []Subscription
	for _, s := range r.cfg.Current() {
		if err := s.check(seen); err != nil {
			r.log.Warn("subscription skipped", "partner", s.Partner, "error", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// Router turns accepted registrations into deliveries. Create it with New;
// it is safe for concurrent use.
type Router struct {
	cfg Config
	log *slog.Logger
}

// New returns a Router. It returns an error when cfg is incomplete.
func New(cfg Config) (*Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Router{cfg: cfg, log: cfg.Logger}, nil
}

// Source of the audit events of routing.
const auditSource = "pipeline route"

// Route routes the registrations of chunk seq of a document of partner
// source, whose record keys are keys, inside tx: the transaction that
// handles the accepted message. A chunk routed before (a redelivered
// message) routes nothing. For every receiving partner other than source
// and every registration its subscription selects (clients it serves, or
// its target groups and municipalities; a delete, or a record that a full
// export ended, only when it had the record) it asks the decision point, and for an allowed decision records
// a delivery of what the decision shows, with an audit disclosure event.
// An unchanged view of the record is not delivered again. Denials are
// counted in the log by reason code, not audited: nothing is disclosed, and
// no one asked (a large export would otherwise flood the audit trail). It
// returns the errors of the store, the consent registry and the audit
// trail, wrapped; the pipeline retries them.
func (r *Router) Route(ctx context.Context, tx pgx.Tx, source, documentID string, seq int, keys []string) error {
	st := r.cfg.Store
	claimed, err := st.ClaimRoutedChunk(ctx, tx, documentID, seq)
	if err != nil || !claimed {
		return err
	}
	var subs []Subscription
	for _, s := range r.subscriptions() {
		if s.Partner != source {
			subs = append(subs, s)
		}
	}
	if len(subs) == 0 || len(keys) == 0 {
		return nil
	}
	recs, err := st.RouteRecords(ctx, tx, source, keys)
	if err != nil {
		return err
	}
	var clientIDs []string
	linked := recs[:0]
	for _, rec := range recs {
		if rec.ClientID == "" {
			continue // not linked to a chain client: nothing to decide about
		}
		linked = append(linked, rec)
		if !slices.Contains(clientIDs, rec.ClientID) {
			clientIDs = append(clientIDs, rec.ClientID)
		}
	}
	if len(linked) == 0 {
		return nil
	}
	facts, err := st.ClientFacts(ctx, tx, clientIDs)
	if err != nil {
		return err
	}
	prior, err := st.PriorDeliveries(ctx, tx, source, keys)
	if err != nil {
		return err
	}
	b := &routeBatch{r: r, source: source, documentID: documentID}
	for _, sub := range subs {
		if err := b.plan(ctx, sub, linked, facts, prior); err != nil {
			return err
		}
	}
	for recipient, codes := range b.denied {
		for code, n := range codes {
			r.log.Info("routes denied by the decision point", "partner", source, "recipient", recipient, "code", code, "registrations", n)
		}
	}
	if len(b.deliveries) == 0 {
		return nil
	}
	inserted, err := st.InsertDeliveries(ctx, tx, b.deliveries)
	if err != nil {
		return err
	}
	events := b.events(inserted)
	for len(events) > 0 {
		n := min(len(events), auditBatch)
		if err := r.cfg.Audit.Append(ctx, tx, events[:n]...); err != nil {
			return fmt.Errorf("route chunk %d of %s: %w", seq, documentID, err)
		}
		events = events[n:]
	}
	if len(inserted) > 0 {
		r.log.Debug("registrations routed", "partner", source, "document", documentID, "chunk", seq, "deliveries", len(inserted))
	}
	return nil
}

// auditBatch bounds the events of one Append.
const auditBatch = 5000

// routeBatch collects the deliveries and audit events of one chunk.
type routeBatch struct {
	r          *Router
	source     string
	documentID string
	deliveries []store.NewDelivery
	allowed    []audit.Event             // by delivery, in the order of deliveries
	denied     map[string]map[string]int // recipient -> reason code -> count
}

// candidate is a registration a subscription selects, with the operation
// the recipient is to apply.
type candidate struct {
	rec   store.RouteRecord
	op    string
	prior store.PriorDelivery
}

// plan decides the deliveries of the chunk to one subscriber.
func (b *routeBatch) plan(ctx context.Context, sub Subscription, recs []store.RouteRecord, facts map[string]store.ClientFacts,
	prior map[string]store.PriorDelivery) error {
	var cands []candidate
	var reqs []policy.Request
	for _, rec := range recs {
		f := clientFacts(rec, facts[rec.ClientID])
		p := prior[sub.Partner+"\x00"+rec.RecordKey]
		had := p.Sent != nil && p.Sent.Operation != opDelete
		var op string
		switch {
		case rec.Status == store.StatusActive && sub.Select.matches(sub.Partner, f):
			op = opNew
			if had {
				op = opChange
			}
		case (rec.Status == store.StatusDeleted || rec.Status == store.StatusEnded) && had:
			// The recipient learns that a record it has is gone: deleted by
			// the partner, or missing from its full export.
			op = opDelete
		default:
			continue
		}
		cands = append(cands, candidate{rec: rec, op: op, prior: p})
		reqs = append(reqs, policy.Request{
			Subject:   policy.Subject{Kind: policy.Partner, ID: sub.Partner},
			Purpose:   sub.Purpose,
			Operation: policy.Receive,
			Client:    &f,
			Source:    b.source,
		})
	}
	if len(reqs) == 0 {
		return nil
	}
	decisions, err := b.r.cfg.Policy.DecideMany(ctx, reqs)
	if err != nil {
		return fmt.Errorf("route to %s: %w", sub.Partner, err)
	}
	for i, c := range cands {
		d := decisions[i]
		if !d.Allowed {
			if b.denied == nil {
				b.denied = map[string]map[string]int{}
			}
			if b.denied[sub.Partner] == nil {
				b.denied[sub.Partner] = map[string]int{}
			}
			b.denied[sub.Partner][d.Code()]++
			continue
		}
		v, err := view(c.rec.Data, c.op, d, c.rec.BSNEnc, b.r.cfg.Keys)
		if err != nil {
			return fmt.Errorf("route %s record to %s: %w", b.source, sub.Partner, err)
		}
		if c.op != opDelete && c.prior.Sent != nil && string(c.prior.Sent.ContentHash) == string(v.hash) {
			continue // the recipient has this view already
		}
		id := deliveryID(sub.Partner, b.source, c.rec.RecordKey, c.op, v.hash, c.prior.LastID)
		b.deliveries = append(b.deliveries, store.NewDelivery{
			DeliveryID: id, Channels: sub.Channels, Recipient: sub.Partner, SourcePartner: b.source,
			RecordKey: c.rec.RecordKey, ClientID: c.rec.ClientID, Operation: c.op, Purpose: sub.Purpose,
			Classes: classNames(d.Classes), ContentHash: v.hash, Payload: v.payload, BSNEnc: v.bsnEnc, DocumentID: b.documentID,
		})
		b.allowed = append(b.allowed, allowedEvent(sub.Partner, b.source, b.documentID, id, c.op, sub.Channels, d))
	}
	return nil
}

// events returns the audit events: one per new delivery (a delivery that
// existed already was audited when it was made).
func (b *routeBatch) events(inserted []string) []audit.Event {
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	out := make([]audit.Event, 0, len(inserted))
	for i, d := range b.deliveries {
		if isNew[d.DeliveryID] {
			out = append(out, b.allowed[i])
			isNew[d.DeliveryID] = false
		}
	}
	return out
}

// Operations a recipient applies.
const (
	opNew    = "new"
	opChange = "change"
	opDelete = "delete"
)

func classNames(cs []policy.Class) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// sanitize makes a reason fit a last_error: one line, at most 300 bytes.
func sanitize(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
