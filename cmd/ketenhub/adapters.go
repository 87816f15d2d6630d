package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// adapterSet holds one supervised adapter process per partner, so that one
// partner's adapter can crash or be disabled without touching another's.
type adapterSet struct {
	mu    sync.Mutex
	hosts map[string]*pluginhost.Host
}

// startAdapter starts the adapter of partner p, checks p's adapter
// configuration against the schema the adapter reports and configures it.
// Configuration problems come back as config.Errors with file:line:col.
func startAdapter(ctx context.Context, cfg *config.Config, p *config.Partner, log *slog.Logger) (*pluginhost.Host, error) {
	spec, ok := cfg.Adapters[p.Adapter.Name]
	if !ok {
		return nil, fmt.Errorf("partner %s: adapter %q is not in the catalog", p.ID, p.Adapter.Name)
	}
	h, err := pluginhost.New(pluginhost.Spec{Name: p.Adapter.Name + "/" + p.ID, Binary: spec.Binary, SHA256: spec.SHA256},
		pluginhost.Config{Logger: log.With("partner", p.ID), Env: []string{"KETENHUB_PARTNER=" + p.ID}})
	if err != nil {
		return nil, fmt.Errorf("partner %s: %w", p.ID, err)
	}
	desc, err := h.Describe(ctx)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("partner %s: start adapter %s: %w", p.ID, p.Adapter.Name, err)
	}
	if errs := config.ValidateAdapterConfig(p, desc.ConfigSchema); len(errs) > 0 {
		h.Close()
		return nil, errs
	}
	if err := h.Configure(ctx, p.ID, p.Adapter.Config); err != nil {
		h.Close()
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			return nil, config.Errors{p.AdapterConfigError(ce.Field, "CONFIG_ADAPTER", ce.Message)}
		}
		return nil, fmt.Errorf("partner %s: configure adapter: %w", p.ID, err)
	}
	return h, nil
}

// Adapter implements pipeline.Adapters.
func (s *adapterSet) Adapter(_ context.Context, partner string) (sdk.Adapter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hosts[partner]
	if !ok {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "partner %s heeft geen werkende adapter", partner)
	}
	return h, nil
}

func (s *adapterSet) add(partner string, h *pluginhost.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hosts == nil {
		s.hosts = map[string]*pluginhost.Host{}
	}
	s.hosts[partner] = h
}

// states reports every partner adapter's state, for the metrics.
func (s *adapterSet) states() []metrics.AdapterState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]metrics.AdapterState, 0, len(s.hosts))
	for partner, h := range s.hosts {
		st := h.Status()
		out = append(out, metrics.AdapterState{Partner: partner, Restarts: st.Restarts,
			Disabled: st.State == pluginhost.StateDisabled,
			Up:       st.State != pluginhost.StateDisabled && st.State != pluginhost.StateClosed})
	}
	return out
}

func (s *adapterSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hosts {
		h.Close()
	}
}
