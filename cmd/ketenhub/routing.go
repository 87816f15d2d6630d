package main

import (
	"context"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/route"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// routing is outbound routing in a running hub: the workers that deliver.
type routing struct {
	deliverer *route.Deliverer
}

// openRouting sets up outbound routing on the hub's decision point, consent
// registry and audit trail (openPrivacy): the router as the consumer of the
// accepted topic, and the delivery workers (started by startRouting). The
// router reads the subscriptions (receive in the partner files) of the
// revisions that run on every chunk, so a partner file applied at run time
// changes what is routed at once. The delivery workers start with those of
// the partners that receive at start; a partner file applied at run time
// starts, replaces or stops its partner's workers (setReceiving).
func (n *node) openRouting(ctx context.Context) error {
	pol := n.engine.Policy()
	var subs []route.Subscription
	var recipients []route.Recipient
	for _, p := range n.cfg.Partners {
		if p.Receive == nil || !p.Enabled {
			continue
		}
		subs = append(subs, subscriptionOf(p))
		recipients = append(recipients, n.recipient(p))
	}
	if pol != nil {
		checkSubscriptions(n, pol, subs)
	}
	router, err := route.New(route.Config{Store: n.store, Policy: n.engine, Audit: n.audit, Keys: n.clients.Keys(),
		Subscriptions: subs, Current: n.subscriptions, Logger: n.log})
	if err != nil {
		return err
	}
	if err := n.pipe.OnAccepted(ctx, "route", func(ctx context.Context, tx pgx.Tx, a pipeline.Accepted) error {
		return router.Route(ctx, tx, a.Partner, a.DocumentID, a.Seq, a.RecordKeys)
	}); err != nil {
		return err
	}
	d, err := route.NewDeliverer(route.DelivererConfig{Store: n.store, Policy: n.engine, Audit: n.audit, Keys: n.clients.Keys(),
		Encoders: &n.adapters, Recipients: recipients, Logger: n.log})
	if err != nil {
		return err
	}
	n.routing = &routing{deliverer: d}
	n.log.Info("outbound routing on", "receivers", len(subs), "roles_revision", pol.Revision)
	return nil
}

// setReceiving starts or replaces the delivery workers of a partner
// revision that receives, and stops those of one that does not.
func (n *node) setReceiving(p *config.Partner) {
	if n.routing == nil {
		return
	}
	if p.Receive == nil || !p.Enabled {
		n.routing.deliverer.RemoveRecipient(p.ID)
		return
	}
	if err := n.routing.deliverer.SetRecipient(n.recipient(*p)); err != nil {
		n.log.Error("delivery channels of the partner not changed", "partner", p.ID, "error", err)
	}
}

// stopReceiving stops the delivery workers of a partner that is switched
// off or removed; its pending deliveries stay.
func (n *node) stopReceiving(id string) {
	if n.routing != nil {
		n.routing.deliverer.RemoveRecipient(id)
	}
}

// subscriptions returns the subscriptions of the partner revisions that run
// now (route.Config.Current); before the partner set exists, nil (the
// router then uses those of the hub's start).
func (n *node) subscriptions() []route.Subscription {
	if n.partners == nil {
		return nil
	}
	var subs []route.Subscription
	for _, p := range n.partners.receiving() {
		subs = append(subs, subscriptionOf(p))
	}
	return subs
}

// subscriptionOf turns a partner's receive section into its subscription.
func subscriptionOf(p config.Partner) route.Subscription {
	r := p.Receive
	sub := route.Subscription{Partner: p.ID, Purpose: r.Purpose,
		Select: route.Selection{ClientsServed: r.Select.ClientsServed, TargetGroups: r.Select.TargetGroups, Municipalities: r.Select.Municipalities}}
	if r.Pickup != nil {
		sub.Channels = append(sub.Channels, store.ChannelPickup)
	}
	if r.Webhook != nil {
		sub.Channels = append(sub.Channels, store.ChannelWebhook)
	}
	return sub
}

// recipient turns a partner's receive section into its delivery channels.
// A webhook whose secret is not in the environment is not posted to: its
// deliveries wait until the hub starts with the secret.
func (n *node) recipient(p config.Partner) route.Recipient {
	r := p.Receive
	rc := route.Recipient{Partner: p.ID, BatchSize: r.BatchSize}
	if r.Pickup != nil {
		rc.Pickup = &route.Pickup{Folder: r.Pickup.Folder, Format: r.Pickup.Format}
	}
	if r.Webhook != nil {
		if secret := os.Getenv(r.Webhook.SecretEnv); secret != "" {
			rc.Webhook = &route.Webhook{URL: r.Webhook.URL, Secret: []byte(secret), Timeout: r.Webhook.Timeout}
		} else {
			n.log.Error("webhook not posted to: its secret is not in the environment; deliveries wait", "partner", p.ID,
				"secret_env", r.Webhook.SecretEnv)
		}
	}
	return rc
}

// checkSubscriptions warns about subscriptions the rules will always deny.
func checkSubscriptions(n *node, p *policy.Policy, subs []route.Subscription) {
	for _, s := range subs {
		role, ok := p.Roles[p.Partners[s.Partner]]
		switch {
		case !ok:
			n.log.Warn("partner receives but has no role in roles.yaml: every route is denied", "partner", s.Partner)
		case !slices.Contains(role.Operations, policy.Receive):
			n.log.Warn("partner receives but its role may not (operation receive): every route is denied", "partner", s.Partner, "role", role.Name)
		case !slices.Contains(role.Purposes, s.Purpose):
			n.log.Warn("partner receives for a purpose its role does not have: every route is denied", "partner", s.Partner,
				"role", role.Name, "purpose", s.Purpose)
		}
	}
}

// startRouting runs the delivery workers until ctx ends; the returned
// function waits until they stopped.
func (n *node) startRouting(ctx context.Context) (wait func()) {
	if n.routing == nil {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = n.routing.deliverer.Run(ctx)
	}()
	return wg.Wait
}

// Encoder implements route.Encoders: the partner's supervised adapter.
func (s *adapterSet) Encoder(ctx context.Context, partner string) (sdk.Encoder, error) {
	a, err := s.Adapter(ctx, partner)
	if err != nil {
		return nil, err
	}
	enc, ok := a.(sdk.Encoder)
	if !ok {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "de adapter van %s kan geen bestanden schrijven", partner)
	}
	return enc, nil
}

var _ route.Encoders = (*adapterSet)(nil)

// Encode writes items in the partner's own format through its current
// adapter process (pluginhost.Host.Encode); a partner file applied
// meanwhile lets this call finish on the adapter it started with.
func (a partnerAdapter) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	e, err := a.set.acquire(a.partner)
	if err != nil {
		return sdk.EncodeResult{}, err
	}
	defer a.set.release(e)
	return e.host.Encode(ctx, req, out)
}

var _ sdk.Encoder = partnerAdapter{}
