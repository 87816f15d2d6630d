package route

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/internal/loops"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Encoders gives the Encoder of a partner's adapter, for pickup files in
// the partner's own format.
type Encoders interface {
	// Encoder returns the running adapter of partner as an Encoder, or an
	// error when the partner has no working adapter.
	Encoder(ctx context.Context, partner string) (sdk.Encoder, error)
}

// Recipient says how one receiving partner gets its deliveries.
type Recipient struct {
	Partner string
	// BatchSize bounds the deliveries of one file or request.
	BatchSize int
	// Pickup writes files; nil for none.
	Pickup *Pickup
	// Webhook posts; nil for none.
	Webhook *Webhook
}

// Pickup is a folder the partner collects files from.
type Pickup struct {
	Folder string
	// Format is FormatAdapter or FormatJSONL.
	Format string
}

// Pickup formats.
const (
	// FormatAdapter is the partner's own format, written by its adapter.
	FormatAdapter = "adapter"
	// FormatJSONL is one JSON object per line: the delivery and the
	// registration in the shared schema.
	FormatJSONL = "jsonl"
)

// Webhook is an HTTP endpoint of the partner's system.
type Webhook struct {
	URL string
	// Secret signs every request (HMAC-SHA256); it must not be empty.
	Secret  []byte
	Timeout time.Duration
}

// DelivererConfig configures a Deliverer.
type DelivererConfig struct {
	Store  *store.Store
	Policy Decider
	Audit  Auditor
	Keys   BSNKeys
	// Encoders is needed for pickup folders in the adapter format.
	Encoders   Encoders
	Recipients []Recipient
	Logger     *slog.Logger
	// PollInterval is how often an idle channel looks for new deliveries.
	// Default 500ms.
	PollInterval time.Duration
	// InitialBackoff is the wait after the first failed attempt; it doubles
	// with every further one up to MaxBackoff. Defaults 1s and 10m.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxAttempts failed attempts fail a delivery for good. Default 30.
	MaxAttempts int
	// HTTPClient posts webhooks; nil means a client that follows no
	// redirects (a redirect could lead client data elsewhere).
	HTTPClient *http.Client
}

func (c *DelivererConfig) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PollInterval == 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 10 * time.Minute
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 30
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for i := range c.Recipients {
		if c.Recipients[i].BatchSize <= 0 {
			c.Recipients[i].BatchSize = 200
		}
	}
}

// Validate reports a missing dependency or an unusable recipient.
func (c *DelivererConfig) Validate() error {
	if c.Store == nil || c.Policy == nil || c.Audit == nil || c.Keys == nil {
		return errors.New("deliver: store, policy, audit and keys are required")
	}
	if c.MaxBackoff < c.InitialBackoff || c.InitialBackoff < 0 || c.PollInterval < 0 {
		return errors.New("deliver: backoff and poll interval must be positive, max backoff at least the initial one")
	}
	for _, r := range c.Recipients {
		if err := c.validRecipient(r); err != nil {
			return err
		}
	}
	return nil
}

// validRecipient reports an unusable recipient.
func (c *DelivererConfig) validRecipient(r Recipient) error {
	if p := r.Pickup; p != nil {
		if p.Folder == "" || (p.Format != FormatAdapter && p.Format != FormatJSONL) {
			return fmt.Errorf("deliver: partner %s: pickup needs a folder and format adapter or jsonl", r.Partner)
		}
		if p.Format == FormatAdapter && c.Encoders == nil {
			return fmt.Errorf("deliver: partner %s: pickup in the adapter format needs encoders", r.Partner)
		}
	}
	if w := r.Webhook; w != nil && (w.URL == "" || len(w.Secret) == 0) {
		return fmt.Errorf("deliver: partner %s: a webhook needs a url and a secret", r.Partner)
	}
	return nil
}

// Deliverer sends the pending deliveries: one worker per recipient and
// channel, so that a slow or failing recipient delays no other. Create it
// with NewDeliverer, then Run it. SetRecipient and RemoveRecipient change a
// partner's workers while the others go on (a partner file applied at run
// time).
type Deliverer struct {
	cfg     DelivererConfig
	log     *slog.Logger
	now     func() time.Time
	workers *loops.Set[channelWorker]
}

// channelWorker is what one worker delivers: a recipient's channel. A new
// value (a new revision of the partner's file) replaces the worker.
type channelWorker struct {
	recipient *Recipient
	channel   string
}

// NewDeliverer returns a Deliverer. It returns an error when cfg is
// incomplete.
func NewDeliverer(cfg DelivererConfig) (*Deliverer, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Deliverer{cfg: cfg, log: cfg.Logger, now: time.Now}
	d.workers = loops.New(func(ctx context.Context, stop <-chan struct{}, _ string, w channelWorker) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		d.work(ctx, *w.recipient, w.channel)
	})
	for _, r := range cfg.Recipients {
		d.setWorkers(r)
	}
	return d, nil
}

// SetRecipient starts, or replaces, the workers of a partner's channels
// with r; a channel r does not have stops. The others' workers go on. It
// returns an error for an unusable recipient and then changes nothing.
func (d *Deliverer) SetRecipient(r Recipient) error {
	if r.BatchSize <= 0 {
		r.BatchSize = 200
	}
	if err := d.cfg.validRecipient(r); err != nil {
		return err
	}
	d.setWorkers(r)
	return nil
}

func (d *Deliverer) setWorkers(r Recipient) {
	has := map[string]bool{}
	for _, ch := range r.channels() {
		has[ch] = true
		d.workers.Set(r.Partner+"/"+ch, channelWorker{recipient: &r, channel: ch})
	}
	for _, ch := range []string{store.ChannelPickup, store.ChannelWebhook} {
		if !has[ch] {
			d.workers.Remove(r.Partner + "/" + ch)
		}
	}
}

// RemoveRecipient stops the workers of a partner that no longer receives;
// its pending deliveries stay, for when it receives again.
func (d *Deliverer) RemoveRecipient(partner string) {
	for _, ch := range []string{store.ChannelPickup, store.ChannelWebhook} {
		d.workers.Remove(partner + "/" + ch)
	}
}

// Run sends deliveries until ctx ends, then returns nil once every worker
// stopped. A batch in flight when ctx ends is sent again, as the same
// batch, at the next start.
func (d *Deliverer) Run(ctx context.Context) error {
	d.workers.Run(ctx)
	return nil
}

func (r Recipient) channels() []string {
	var out []string
	if r.Pickup != nil {
		out = append(out, store.ChannelPickup)
	}
	if r.Webhook != nil {
		out = append(out, store.ChannelWebhook)
	}
	return out
}

// work is the worker of one recipient's channel: it sends the oldest batch,
// waits out a backoff, or sleeps until there is something to send.
func (d *Deliverer) work(ctx context.Context, r Recipient, channel string) {
	log := d.log.With("partner", r.Partner, "channel", channel)
	for ctx.Err() == nil {
		if !d.step(ctx, r, channel, log) {
			sleep(ctx, d.cfg.PollInterval)
		}
	}
}

// step sends one batch of a recipient's channel when one is due, and
// reports whether it did anything.
func (d *Deliverer) step(ctx context.Context, r Recipient, channel string, log *slog.Logger) bool {
	batch, err := d.cfg.Store.NextBatch(ctx, r.Partner, channel, r.BatchSize)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			log.Warn("pending deliveries cannot be read", "error", err)
		}
		return false
	case len(batch) == 0:
		return false // nothing due: nothing pending, or a backoff until wait
	}
	if batch[0].BatchID == "" {
		id := batchID(batch)
		if err := d.cfg.Store.AssignBatch(ctx, seqs(batch), id); err != nil {
			log.Warn("batch cannot be recorded", "error", err)
			return false
		}
		for i := range batch {
			batch[i].BatchID = id
		}
	}
	d.send(ctx, r, channel, batch, log.With("batch", batch[0].BatchID))
	return true
}

// item is one delivery ready to send.
type item struct {
	d   store.Delivery
	reg json.RawMessage
}

// send decides every delivery of the batch again, cancels those no longer
// allowed, and sends the rest on the channel.
func (d *Deliverer) send(ctx context.Context, r Recipient, channel string, batch []store.Delivery, log *slog.Logger) {
	items, err := d.recheck(ctx, channel, batch)
	if err != nil {
		if ctx.Err() == nil {
			d.retry(ctx, batch, "CONSENT_UNAVAILABLE: de toestemming kon niet worden gelezen; later opnieuw", log)
		}
		return
	}
	if len(items) == 0 {
		return
	}
	var res outcome
	switch channel {
	case store.ChannelPickup:
		res = d.writePickup(ctx, r, items)
	case store.ChannelWebhook:
		res = d.post(ctx, r, items)
	}
	// What was delivered is recorded even when the hub is stopping; the
	// rest of the batch is sent again at the next start.
	d.record(context.WithoutCancel(ctx), items, res, ctx.Err() == nil, log)
}

// recheck decides the batch again, with the client facts and consent of
// now, and cancels (and audits) what is no longer allowed. It returns the
// deliveries to send with their registration as sent.
func (d *Deliverer) recheck(ctx context.Context, channel string, batch []store.Delivery) ([]item, error) {
	var ids []string
	for _, b := range batch {
		ids = append(ids, b.ClientID)
	}
	facts, err := d.cfg.Store.ClientFacts(ctx, d.cfg.Store.Pool(), ids)
	if err != nil {
		return nil, err
	}
	reqs := make([]policy.Request, len(batch))
	for i, b := range batch {
		f := facts[b.ClientID]
		pf := policy.ClientFacts{ID: b.ClientID, TargetGroups: f.TargetGroups, Municipalities: f.Municipalities, Organisations: f.Partners}
		if b.Operation == opDelete {
			addOwnFacts(&pf, b.Payload)
		}
		reqs[i] = policy.Request{Subject: policy.Subject{Kind: policy.Partner, ID: b.Recipient}, Purpose: b.Purpose,
			Operation: policy.Receive, Client: &pf, Source: b.SourcePartner}
	}
	decisions, err := d.cfg.Policy.DecideMany(ctx, reqs)
	if err != nil {
		return nil, err
	}
	var items []item
	cancel := map[string][]int64{}
	var events []audit.Event
	for i, b := range batch {
		dec := decisions[i]
		if !dec.Allowed {
			reason := dec.Code()
			if len(dec.Reasons) > 0 {
				reason += ": " + dec.Reasons[0].Message
			}
			reason = sanitize(reason)
			cancel[reason] = append(cancel[reason], b.Seq)
			e := cancelledEvent(b.Recipient, b.SourcePartner, b.DeliveryID, b.Operation, dec)
			e.RequestID = b.BatchID
			events = append(events, e)
			continue
		}
		reg, err := sendable(b.Payload, b.BSNEnc, dec, d.cfg.Keys)
		if err != nil {
			return nil, err
		}
		items = append(items, item{d: b, reg: reg})
	}
	if len(cancel) > 0 {
		err := d.cfg.Store.InTx(ctx, func(tx pgx.Tx) error {
			for reason, s := range cancel {
				if err := d.cfg.Store.MarkCancelled(ctx, tx, s, reason); err != nil {
					return err
				}
			}
			return d.cfg.Audit.Append(ctx, tx, events...)
		})
		if err != nil {
			return nil, fmt.Errorf("cancel deliveries: %w", err)
		}
		d.log.Info("pending deliveries cancelled: the decision no longer allows them", "partner", batch[0].Recipient,
			"channel", channel, "cancelled", len(events))
	}
	return items, nil
}

// outcome is what sending a batch gave.
type outcome struct {
	// delivered by file name ("" for a webhook).
	delivered map[string][]int64
	// failed for good, by reason.
	failed map[string][]int64
	// retry is the reason to try the rest again later; "" when nothing is left.
	retry string
	// retryAt is when, if the receiver said so (Retry-After).
	retryAt time.Time
}

func (o *outcome) deliver(file string, s ...int64) {
	if o.delivered == nil {
		o.delivered = map[string][]int64{}
	}
	o.delivered[file] = append(o.delivered[file], s...)
}

func (o *outcome) fail(reason string, s ...int64) {
	if o.failed == nil {
		o.failed = map[string][]int64{}
	}
	reason = sanitize(reason)
	o.failed[reason] = append(o.failed[reason], s...)
}

// record stores an outcome: delivered and failed deliveries, and, with
// retryRest, the rest for a retry, or failed when it has had its attempts.
func (d *Deliverer) record(ctx context.Context, items []item, o outcome, retryRest bool, log *slog.Logger) {
	done := map[int64]bool{}
	delivered := 0
	for file, s := range o.delivered {
		if err := d.cfg.Store.MarkDelivered(ctx, d.cfg.Store.Pool(), s, file); err != nil {
			log.Error("delivered deliveries cannot be recorded; they will be sent again", "error", err)
		}
		delivered += len(s)
		for _, q := range s {
			done[q] = true
		}
	}
	failed := 0
	for reason, s := range o.failed {
		if err := d.cfg.Store.MarkFailed(ctx, d.cfg.Store.Pool(), s, reason, true); err != nil {
			log.Error("failed deliveries cannot be recorded", "error", err)
		}
		failed += len(s)
		for _, q := range s {
			done[q] = true
		}
	}
	var rest []store.Delivery
	for _, it := range items {
		if !done[it.d.Seq] {
			rest = append(rest, it.d)
		}
	}
	if delivered > 0 || failed > 0 {
		log.Info("deliveries sent", "delivered", delivered, "failed", failed, "pending", len(rest))
	}
	if len(rest) == 0 || !retryRest {
		return
	}
	reason := o.retry
	if reason == "" {
		reason = "DELIVERY_UNCONFIRMED: de ontvanger bevestigde deze levering niet; later opnieuw"
	}
	d.retryAt(ctx, rest, reason, o.retryAt, log)
}

func (d *Deliverer) retry(ctx context.Context, batch []store.Delivery, reason string, log *slog.Logger) {
	d.retryAt(ctx, batch, reason, time.Time{}, log)
}

// retryAt schedules the next attempt of deliveries, after a backoff that
// doubles with every attempt (or at the time the receiver asked for), or
// fails them after MaxAttempts.
func (d *Deliverer) retryAt(ctx context.Context, batch []store.Delivery, reason string, at time.Time, log *slog.Logger) {
	reason = sanitize(reason)
	attempts := batch[0].Attempts + 1
	if attempts >= d.cfg.MaxAttempts {
		gaveUp := sanitize(fmt.Sprintf("DELIVERY_GAVE_UP: na %d pogingen opgegeven; laatste fout: %s", attempts, reason))
		if err := d.cfg.Store.MarkFailed(ctx, d.cfg.Store.Pool(), seqs(batch), gaveUp, true); err != nil {
			log.Error("failed deliveries cannot be recorded", "error", err)
		}
		log.Error("deliveries failed after their last attempt", "deliveries", len(batch), "attempts", attempts)
		return
	}
	wait := backoff(d.cfg.InitialBackoff, d.cfg.MaxBackoff, attempts)
	next := d.now().Add(wait)
	if at.After(next) {
		next = at
	}
	if err := d.cfg.Store.MarkRetry(ctx, seqs(batch), reason, next); err != nil {
		log.Error("retry cannot be recorded", "error", err)
		return
	}
	log.Warn("deliveries not delivered; trying again later", "deliveries", len(batch), "attempt", attempts,
		"next_attempt", next.Format(time.RFC3339), "reason", reason)
}

// backoff is the wait after attempt n (1 for the first): initial, doubled
// per further attempt, at most ceiling, with up to 20% random jitter so
// that recipients that failed together do not retry together.
func backoff(initial, ceiling time.Duration, n int) time.Duration {
	d := initial
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// batchID is the id of a batch: a hash of its delivery ids. A retry sends
// the same batch with the same id.
func batchID(batch []store.Delivery) string {
	h := sha256.New()
	h.Write([]byte(batch[0].Channel))
	for _, b := range batch {
		h.Write([]byte{0})
		h.Write([]byte(b.DeliveryID))
	}
	return "bat_" + hex.EncodeToString(h.Sum(nil)[:12])
}

func seqs(batch []store.Delivery) []int64 {
	out := make([]int64, len(batch))
	for i, b := range batch {
		out[i] = b.Seq
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
