package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/route"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// RolesFile is the roles and rights file, next to the hub file.
const RolesFile = "roles.yaml"

// routing is outbound routing in a running hub: the decision point it asks
// and the workers that deliver.
type routing struct {
	engine    *policy.Engine
	deliverer *route.Deliverer
}

// openRouting sets up outbound routing when partners receive (receive in
// their files) and roles.yaml exists next to the hub file: the decision
// point on the consent registry, the router as the consumer of the accepted
// topic, and the delivery workers (started by startRouting). Without
// roles.yaml nothing is routed and accepted registrations wait on their
// topic. It returns the problems of roles.yaml as config.Errors.
func (n *node) openRouting(ctx context.Context) error {
	receiving := slices.ContainsFunc(n.cfg.Partners, func(p config.Partner) bool { return p.Receive != nil && p.Enabled })
	if !receiving {
		return nil
	}
	path := filepath.Join(filepath.Dir(n.cfg.File), RolesFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		n.log.Warn("partners receive registrations, but there is no roles.yaml next to the hub file: nothing is routed", "file", path)
		return nil
	}
	var subs []route.Subscription
	var recipients []route.Recipient
	for _, p := range n.cfg.Partners {
		if p.Receive == nil || !p.Enabled {
			continue
		}
		sub, rc := n.receiver(p)
		subs, recipients = append(subs, sub), append(recipients, rc)
	}
	ids := make([]string, len(n.cfg.Partners))
	for i, p := range n.cfg.Partners {
		ids[i] = p.ID
	}
	pol, err := policy.Load(path, policy.LoadOptions{Partners: ids})
	if err != nil {
		return err
	}
	var engine *policy.Engine
	consents := consent.NewRegistry(n.store.Pool(), func() consent.Rules { return engine.ConsentRules() }, consent.Options{})
	engine = policy.NewEngine(pol, consents, policy.EngineOptions{Logger: n.log, Partners: ids})
	checkSubscriptions(n, pol, subs)
	log := audit.New(n.store.Pool(), audit.Options{Logger: n.log})
	router, err := route.New(route.Config{Store: n.store, Policy: engine, Audit: log, Keys: n.clients.Keys(), Subscriptions: subs, Logger: n.log})
	if err != nil {
		return err
	}
	if err := n.pipe.OnAccepted(ctx, "route", func(ctx context.Context, tx pgx.Tx, a pipeline.Accepted) error {
		return router.Route(ctx, tx, a.Partner, a.DocumentID, a.Seq, a.RecordKeys)
	}); err != nil {
		return err
	}
	d, err := route.NewDeliverer(route.DelivererConfig{Store: n.store, Policy: engine, Audit: log, Keys: n.clients.Keys(),
		Encoders: &n.adapters, Recipients: recipients, Logger: n.log})
	if err != nil {
		return err
	}
	n.routing = &routing{engine: engine, deliverer: d}
	n.log.Info("outbound routing on", "receivers", len(subs), "roles", path, "roles_revision", pol.Revision)
	return nil
}

// receiver turns a partner's receive section into its subscription and its
// delivery channels. A webhook whose secret is not in the environment is
// not posted to: its deliveries wait until the hub starts with the secret.
func (n *node) receiver(p config.Partner) (route.Subscription, route.Recipient) {
	r := p.Receive
	sub := route.Subscription{Partner: p.ID, Purpose: r.Purpose,
		Select: route.Selection{ClientsServed: r.Select.ClientsServed, TargetGroups: r.Select.TargetGroups, Municipalities: r.Select.Municipalities}}
	rc := route.Recipient{Partner: p.ID, BatchSize: r.BatchSize}
	if r.Pickup != nil {
		sub.Channels = append(sub.Channels, store.ChannelPickup)
		rc.Pickup = &route.Pickup{Folder: r.Pickup.Folder, Format: r.Pickup.Format}
	}
	if r.Webhook != nil {
		sub.Channels = append(sub.Channels, store.ChannelWebhook)
		if secret := os.Getenv(r.Webhook.SecretEnv); secret != "" {
			rc.Webhook = &route.Webhook{URL: r.Webhook.URL, Secret: []byte(secret), Timeout: r.Webhook.Timeout}
		} else {
			n.log.Error("webhook not posted to: its secret is not in the environment; deliveries wait", "partner", p.ID,
				"secret_env", r.Webhook.SecretEnv)
		}
	}
	return sub, rc
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
