package main

import (
	"context"
	"io"
	"os"
	"slices"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/poll"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// adapterEnv is the environment of a partner's adapter process: its partner
// id and the variables of the hub's environment that adapter.env names
// (such as the secret of the partner's webservice). Nothing else of the
// hub's environment reaches an adapter.
func adapterEnv(p *config.Partner) []string {
	env := []string{"KETENHUB_PARTNER=" + p.ID}
	for _, name := range p.Adapter.Env {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// checkPolling refuses a partner with a poll section whose adapter cannot
// poll.
func checkPolling(p *config.Partner, desc sdk.Description) error {
	if p.Poll == nil || slices.Contains(desc.Capabilities, sdk.CapabilityPoll) {
		return nil
	}
	return config.Errors{p.PollProblem(config.CodePoll, "adapter "+p.Adapter.Name+
		" kan geen webservice bevragen (geen capability poll); gebruik de poll-adapter of haal poll weg")}
}

// runPolls polls the partners' webservices once the pipeline runs, until
// ctx ends.
func (n *node) runPolls(ctx context.Context) {
	select {
	case <-n.pipe.Running():
	case <-ctx.Done():
		return
	}
	_ = n.polls.Run(ctx)
}

// setPolling starts, restarts (a new revision) or stops the polling of a
// partner whose revision was just applied.
func (s *partnerSet) setPolling(p *config.Partner) {
	if s.polls == nil {
		return
	}
	if p.Poll == nil {
		s.polls.RemovePartner(p.ID)
		return
	}
	s.polls.SetPartner(poll.Partner{ID: p.ID, Interval: p.Poll.Interval, Jitter: p.Poll.Jitter, Timeout: p.Poll.Timeout,
		MaxPages: p.Poll.MaxPages, MaxBackoff: p.Poll.MaxBackoff, Revision: p.Revision})
}

// stopPolling stops polling a partner that is switched off or removed.
func (s *partnerSet) stopPolling(id string) {
	if s.polls != nil {
		s.polls.RemovePartner(id)
	}
}

// pollStatus reports the polling of a partner, or nil when it is not
// polled.
func (s *partnerSet) pollStatus(id string) *hub.PartnerPoll {
	if s.polls == nil {
		return nil
	}
	st, ok := s.polls.Status(id)
	if !ok {
		return nil
	}
	pp := &hub.PartnerPoll{State: st.State, Interval: st.Interval.String(), Cursor: st.Cursor, Pages: st.Pages,
		LastDocument: st.LastDocument, LastPollAt: st.LastPollAt, LastSuccessAt: st.LastSuccessAt, NextPollAt: st.NextPollAt,
		Failures: st.Failures}
	if st.Failures > 0 && st.ErrorCode != "" {
		pp.LastError = &hub.PartnerReason{Code: st.ErrorCode, Message: st.ErrorMessage}
	}
	return pp
}

// Poller implements poll.Pollers: the partner's supervised adapter.
func (s *adapterSet) Poller(ctx context.Context, partner string) (sdk.Poller, error) {
	a, err := s.Adapter(ctx, partner)
	if err != nil {
		return nil, err
	}
	pl, ok := a.(sdk.Poller)
	if !ok {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "de adapter van %s kan geen webservice bevragen", partner)
	}
	return pl, nil
}

var _ poll.Pollers = (*adapterSet)(nil)

// Poll fetches a page through the partner's current adapter process
// (pluginhost.Host.Poll); a partner file applied meanwhile lets this call
// finish on the adapter it started with.
func (a partnerAdapter) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	e, err := a.set.acquire(a.partner)
	if err != nil {
		return sdk.PollResult{}, err
	}
	defer a.set.release(e)
	return e.host.Poll(ctx, req, out)
}

var _ sdk.Poller = partnerAdapter{}
