package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// adapterStartTimeout bounds starting an adapter and the Describe and
// Configure calls that check its configuration, so that a hanging adapter
// fails its own partner's start instead of holding it up for ever.
const adapterStartTimeout = time.Minute

// adapterSet holds one supervised adapter process per partner, so that one
// partner's adapter can crash, be disabled or be replaced by a reload
// without touching another's.
type adapterSet struct {
	mu      sync.Mutex
	current map[string]*adapterEntry
}

// adapterEntry is one started adapter of a partner. An entry replaced by a
// reload is retired: it is closed once the calls that use it have ended.
type adapterEntry struct {
	host     *pluginhost.Host
	desc     sdk.Description
	spec     config.AdapterSpec
	inflight int  // calls in progress; guarded by adapterSet.mu
	retired  bool // replaced or removed; guarded by adapterSet.mu
}

// startAdapter starts the adapter of partner p, checks p's adapter
// configuration against the schema the adapter reports and configures it.
// Configuration problems come back as config.Errors with file:line:col;
// a binary that does not match its pinned sha256 as an error wrapping
// pluginhost.ErrChecksumMismatch.
func startAdapter(ctx context.Context, cfg *config.Config, p *config.Partner, log *slog.Logger) (*adapterEntry, error) {
	spec, ok := cfg.Adapters[p.Adapter.Name]
	if !ok {
		return nil, fmt.Errorf("partner %s: adapter %q is not in the catalog", p.ID, p.Adapter.Name)
	}
	h, err := pluginhost.New(pluginhost.Spec{Name: p.Adapter.Name + "/" + p.ID, Binary: spec.Binary, SHA256: spec.SHA256},
		pluginhost.Config{Logger: log.With("partner", p.ID), Env: adapterEnv(p)})
	if err != nil {
		return nil, fmt.Errorf("partner %s: %w", p.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, adapterStartTimeout)
	defer cancel()
	desc, err := h.Describe(ctx)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("partner %s: start adapter %s: %w", p.ID, p.Adapter.Name, err)
	}
	if errs := config.ValidateAdapterConfig(p, desc.ConfigSchema); len(errs) > 0 {
		h.Close()
		return nil, errs
	}
	if err := checkPolling(p, desc); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.Configure(ctx, p.ID, p.Adapter.Config); err != nil {
		h.Close()
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			return nil, config.Errors{p.AdapterConfigError(ce.Field, "CONFIG_ADAPTER", ce.Message)}
		}
		return nil, fmt.Errorf("partner %s: configure adapter: %w", p.ID, err)
	}
	return &adapterEntry{host: h, desc: desc, spec: spec}, nil
}

// Adapter implements pipeline.Adapters. The adapter it returns calls the
// partner's current adapter process: after a reload, the next call goes to
// the new one, while calls in progress finish on the old one.
func (s *adapterSet) Adapter(_ context.Context, partner string) (sdk.Adapter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.current[partner]; !ok {
		return nil, errNoAdapter(partner)
	}
	return partnerAdapter{set: s, partner: partner}, nil
}

func errNoAdapter(partner string) error {
	return hub.Errorf(hub.EUNAVAILABLE, "partner %s heeft geen werkende adapter", partner)
}

// swap makes e the partner's adapter and retires the one it replaces.
func (s *adapterSet) swap(partner string, e *adapterEntry) {
	s.mu.Lock()
	if s.current == nil {
		s.current = map[string]*adapterEntry{}
	}
	old := s.current[partner]
	s.current[partner] = e
	closeOld := old != nil && s.retireLocked(old)
	s.mu.Unlock()
	if closeOld {
		old.host.Close()
	}
}

// remove retires the partner's adapter; its calls in progress finish.
func (s *adapterSet) remove(partner string) {
	s.mu.Lock()
	old := s.current[partner]
	delete(s.current, partner)
	closeOld := old != nil && s.retireLocked(old)
	s.mu.Unlock()
	if closeOld {
		old.host.Close()
	}
}

// retireLocked marks e retired and tells whether it can be closed now.
func (s *adapterSet) retireLocked(e *adapterEntry) bool {
	e.retired = true
	return e.inflight == 0
}

// entry returns the partner's current adapter, or nil.
func (s *adapterSet) entry(partner string) *adapterEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current[partner]
}

// host returns the partner's current adapter process, or nil.
func (s *adapterSet) host(partner string) *pluginhost.Host {
	if e := s.entry(partner); e != nil {
		return e.host
	}
	return nil
}

func (s *adapterSet) acquire(partner string) (*adapterEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.current[partner]
	if !ok {
		return nil, errNoAdapter(partner)
	}
	e.inflight++
	return e, nil
}

func (s *adapterSet) release(e *adapterEntry) {
	s.mu.Lock()
	e.inflight--
	closeIt := e.retired && e.inflight == 0
	s.mu.Unlock()
	if closeIt {
		e.host.Close()
	}
}

// partnerAdapter is the sdk.Adapter of one partner as the pipeline sees it.
type partnerAdapter struct {
	set     *adapterSet
	partner string
}

var _ sdk.Adapter = partnerAdapter{}

// Describe describes the partner's current adapter. The decode stage asks
// it first (whether the adapter takes known digests), so a disabled adapter
// fails the document at once here too, as in Decode.
func (a partnerAdapter) Describe(ctx context.Context) (sdk.Description, error) {
	e, err := a.set.acquire(a.partner)
	if err != nil {
		return sdk.Description{}, err
	}
	defer a.set.release(e)
	d, err := e.host.Describe(ctx)
	return d, permanentIfDisabled(err)
}

func (a partnerAdapter) Configure(ctx context.Context, partner string, config []byte) error {
	e, err := a.set.acquire(a.partner)
	if err != nil {
		return err
	}
	defer a.set.release(e)
	return e.host.Configure(ctx, partner, config)
}

// Decode decodes with the partner's current adapter. An adapter that is
// disabled, or refused for its checksum, does not heal by retrying: the
// error is permanent, so the document fails at once with its reason.
func (a partnerAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	e, err := a.set.acquire(a.partner)
	if err != nil {
		return err
	}
	defer a.set.release(e)
	return permanentIfDisabled(e.host.Decode(ctx, doc, src, out))
}

// permanentIfDisabled makes the error of an adapter that is disabled, or
// refused for its checksum, permanent for the pipeline.
func permanentIfDisabled(err error) error {
	if errors.Is(err, pluginhost.ErrDisabled) || errors.Is(err, pluginhost.ErrChecksumMismatch) {
		return pipeline.Permanent(err)
	}
	return err
}

// states reports every partner adapter's state, for the metrics.
func (s *adapterSet) states() []metrics.AdapterState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]metrics.AdapterState, 0, len(s.current))
	for partner, e := range s.current {
		st := e.host.Status()
		out = append(out, metrics.AdapterState{Partner: partner, Restarts: st.Restarts,
			Disabled: st.State == pluginhost.StateDisabled,
			Up:       st.State != pluginhost.StateDisabled && st.State != pluginhost.StateClosed})
	}
	return out
}

// closeAll stops every adapter process, also those still in use.
func (s *adapterSet) closeAll() {
	s.mu.Lock()
	all := s.current
	s.current = nil
	s.mu.Unlock()
	for _, e := range all {
		e.host.Close()
	}
}
