package main

import (
	"context"
	"slices"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// intake takes the registrations that partner systems push over HTTP, for
// the partners whose adapter reads pushes (sdk.CapabilityPush).
type intake struct {
	pusher   *ingest.Pusher
	store    *store.Store
	partners *partnerSet
	adapters *adapterSet
}

var _ api.Intake = (*intake)(nil)

// intake returns the node's api.Intake.
func (n *node) intake() *intake {
	return &intake{
		pusher:   ingest.NewPusher(ingest.PushConfig{Store: n.store, Submitter: n.pipe, Logger: n.log, Metrics: n.metrics}),
		store:    n.store,
		partners: n.partners,
		adapters: &n.adapters,
	}
}

// Accepts implements api.Intake: the partner runs, and its adapter reads
// pushes. A partner that is off, disabled or starting is unavailable for
// now: its system tries again later, and nothing is stored meanwhile.
func (in *intake) Accepts(ctx context.Context, partner string) error {
	st, err := in.partners.Partner(ctx, partner)
	if err != nil {
		return err
	}
	e := in.adapters.entry(partner)
	if (st.State != hub.PartnerRunning && st.State != hub.PartnerRestarting) || e == nil {
		return hub.Errorf(hub.EUNAVAILABLE, "Partner %s neemt nu geen aanleveringen aan (toestand %s); probeer het later opnieuw. Er is niets bewaard; "+
			"de reden staat in GET /v1/partners/%s.", partner, st.State, partner)
	}
	if !slices.Contains(e.desc.Capabilities, sdk.CapabilityPush) {
		return hub.Errorf(hub.ECONFLICT, "Partner %s levert niet via de API aan: zijn adapter (%s) leest geen registraties die met POST binnenkomen. "+
			"Lever aan via de dropmap van de partner, of stel de partner in met een adapter die dat wel doet (jsonpush). Er is niets bewaard.", partner, e.desc.Name)
	}
	return nil
}

// Push implements api.Intake.
func (in *intake) Push(ctx context.Context, p ingest.Push) (ingest.Pushed, error) {
	return in.pusher.Push(ctx, p)
}

// Results implements api.Intake.
func (in *intake) Results(ctx context.Context, partner, documentID string) ([]store.RecordResult, []store.RecordError, error) {
	return in.store.RecordResults(ctx, partner, documentID)
}
