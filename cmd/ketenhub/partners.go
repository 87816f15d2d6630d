package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/hub/poll"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Stable codes of why a partner does not run normally (hub.PartnerReason),
// besides pluginhost.CodeChecksum and pluginhost.CodeCrashes.
const (
	// CodePartnerOff: the partner's file says enabled: false.
	CodePartnerOff = "PARTNER_OFF"
	// CodeConfigRefused: no revision of the partner's file could be applied;
	// its problems are in PartnerStatus.Refused.
	CodeConfigRefused = "CONFIG_REFUSED"
	// CodeAdapterStart is the problem of a revision whose adapter could not
	// be started for another reason than its configuration.
	CodeAdapterStart = "CONFIG_ADAPTER_START"
)

// revisionStore keeps the history of the partners' files; *store.Store
// implements it.
type revisionStore interface {
	AddRevision(ctx context.Context, r store.NewRevision) (hub.PartnerRevision, error)
	LatestRevision(ctx context.Context, partner string, statuses ...string) (hub.PartnerRevision, []byte, bool, error)
	Revisions(ctx context.Context, partner string, limit int) ([]hub.PartnerRevision, error)
}

// partnerSet runs the partners: per partner the revision of its file that
// runs, its adapter process, drop folder and pipeline settings, and why it
// does not run when it does not. Applying a revision touches only that
// partner; the others keep running.
type partnerSet struct {
	hub      *config.Config // the hub file; its Partners are not used
	log      *slog.Logger
	adapters *adapterSet
	pipe     *pipeline.Pipeline
	watcher  *ingest.Watcher
	history  revisionStore
	polls    *poll.Scheduler // nil: no partner is polled (partner test, validate)
	// receivers keeps the delivery workers in step with the revisions that
	// run; nil without outbound routing (partner test, validate).
	receivers receiverSetter

	mu    sync.Mutex
	parts map[string]*partnerState
	locks map[string]*sync.Mutex // serialises applying per partner
	bg    sync.WaitGroup         // partners starting from startAll
}

// receiverSetter starts and stops a partner's delivery workers (the node's
// outbound routing).
type receiverSetter interface {
	setReceiving(p *config.Partner)
	stopReceiving(id string)
}

// partnerState is what the set knows of one partner file.
type partnerState struct {
	applied   *config.Partner      // the revision that runs; nil when none does
	appliedAt time.Time            // when this hub applied it
	refused   *hub.RefusedRevision // the latest revision that was refused, if newer than applied
	active    bool                 // adapter, drop folder and pipeline handlers run
	shown     string               // the file as problems name it
	entry     *adapterEntry        // the adapter of applied, while active
	reason    *hub.PartnerReason   // why no revision runs, while applied is nil
	starting  bool                 // its first revision is being started
}

func newPartnerSet(cfg *config.Config, log *slog.Logger, adapters *adapterSet, pipe *pipeline.Pipeline,
	watcher *ingest.Watcher, history revisionStore) *partnerSet {
	return &partnerSet{hub: cfg, log: log, adapters: adapters, pipe: pipe, watcher: watcher, history: history,
		parts: map[string]*partnerState{}, locks: map[string]*sync.Mutex{}}
}

// bootWait is how long the hub waits at start for the partners' adapters
// before it serves; a partner whose adapter takes longer goes on starting
// on its own and is "starting" meanwhile.
const bootWait = 10 * time.Second

// startAll applies the partners loaded at start, each on its own, so that
// a slow adapter holds up only its own partner. It returns when all have
// started, or after wait with the slow ones still starting (see wait). A
// partner that cannot start is left out with its reason; the others run.
func (s *partnerSet) startAll(ctx context.Context, partners []config.Partner, wait time.Duration) {
	done := make(chan struct{})
	var all sync.WaitGroup
	for i := range partners {
		p := &partners[i]
		s.mu.Lock()
		s.parts[p.ID] = &partnerState{shown: p.Shown(), starting: true}
		s.mu.Unlock()
		all.Add(1)
		s.bg.Go(func() {
			defer all.Done()
			unlock := s.lock(p.ID)
			defer unlock()
			s.applyParsed(ctx, p)
		})
	}
	go func() { all.Wait(); close(done) }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("some partners are still starting; the hub serves the others meanwhile", "waited", wait)
	}
}

// wait waits at most d for partners still starting from startAll, and
// tells whether they all ended.
func (s *partnerSet) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// lock takes the partner's apply lock and returns its release.
func (s *partnerSet) lock(id string) func() {
	s.mu.Lock()
	l, ok := s.locks[id]
	if !ok {
		l = &sync.Mutex{}
		s.locks[id] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// apply applies the bytes of partner id's file, or its removal when data is
// nil: it checks the file (against the other partners too), starts and
// configures a new adapter process, and only when all of that succeeded
// swaps the partner's pipeline settings, adapter and drop folder. A refused
// revision leaves the partner as it was.
func (s *partnerSet) apply(ctx context.Context, id string, data []byte) {
	unlock := s.lock(id)
	defer unlock()
	if data == nil {
		s.removeLocked(ctx, id)
		return
	}
	s.mu.Lock()
	if _, known := s.parts[id]; !known {
		_, shown := s.hub.PartnerFile(id)
		s.parts[id] = &partnerState{shown: shown, starting: true}
	}
	s.mu.Unlock()
	p, err := config.ParsePartner(s.hub.WithPartners(s.appliedOthers(id)), id, data)
	if err != nil {
		_, shown := s.hub.PartnerFile(id)
		s.refuse(ctx, id, shown, config.RevisionOf(data), data, problemsOf(shown, err))
		return
	}
	s.applyParsed(ctx, p)
}

// appliedOthers returns the running revisions of every partner but id.
func (s *partnerSet) appliedOthers(id string) []config.Partner {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []config.Partner
	for pid, st := range s.parts {
		if pid != id && st.applied != nil {
			out = append(out, *st.applied)
		}
	}
	return out
}

// receiving returns the running revisions of the partners that receive
// registrations (receive in their files), by id.
func (s *partnerSet) receiving() []config.Partner {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []config.Partner
	for _, st := range s.parts {
		if st.applied != nil && st.active && st.applied.Enabled && st.applied.Receive != nil {
			out = append(out, *st.applied)
		}
	}
	slices.SortFunc(out, func(a, b config.Partner) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// applyParsed starts a checked revision of a partner's file. The caller
// holds the partner's lock.
func (s *partnerSet) applyParsed(ctx context.Context, p *config.Partner) {
	log := s.log.With("partner", p.ID, "revision", short(p.Revision))
	if !p.Enabled {
		s.deactivate(ctx, p.ID)
		s.record(ctx, p.ID, hub.RevisionApplied, p.Revision, p.Source(), nil)
		s.setApplied(p, nil)
		log.Info("partner switched off in its configuration")
		return
	}
	e, err := startAdapter(ctx, s.hub, p, s.log)
	if ctx.Err() != nil { // the hub stops
		if err == nil {
			e.host.Close()
		}
		return
	}
	if err != nil {
		s.refuse(ctx, p.ID, p.Shown(), p.Revision, p.Source(), problemsOf(p.Shown(), err))
		return
	}
	if err := s.pipe.AddPartner(ctx, pipelinePartner(p)); err != nil {
		e.host.Close()
		log.Error("partner not started: its pipeline cannot be set up", "error", err)
		s.refuse(ctx, p.ID, p.Shown(), p.Revision, p.Source(), []hub.ConfigProblem{{File: p.Shown(), Code: CodeAdapterStart,
			Message: "de verwerking van deze partner kan niet worden ingericht: " + err.Error()}})
		return
	}
	if err := os.MkdirAll(p.Drop.Folder, 0o750); err != nil {
		log.Error("create drop folder", "error", err)
	}
	// The settings first, then the adapter: a document that gets the new
	// adapter reads the new settings with it (pipeline.handleDocument).
	s.adapters.swap(p.ID, e)
	s.watcher.SetPartner(ingestPartner(p))
	s.setPolling(p)
	if s.receivers != nil {
		s.receivers.setReceiving(p)
	}
	// The history first: whoever sees the new revision in the status finds
	// it in the history too.
	s.record(ctx, p.ID, hub.RevisionApplied, p.Revision, p.Source(), nil)
	s.setApplied(p, e)
	log.Info("partner configuration applied", "adapter", p.Adapter.Name, "adapter_version", e.desc.Version)
}

func (s *partnerSet) setApplied(p *config.Partner, e *adapterEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parts[p.ID] = &partnerState{applied: p, appliedAt: time.Now().UTC(), active: e != nil, entry: e, shown: p.Shown()}
}

// refuse keeps the partner as it runs and notes why the revision was not
// applied. The caller holds the partner's lock.
func (s *partnerSet) refuse(ctx context.Context, id, shown, revision string, data []byte, problems []hub.ConfigProblem) {
	s.record(ctx, id, hub.RevisionRefused, revision, data, problems)
	s.mu.Lock()
	st, ok := s.parts[id]
	if !ok {
		st = &partnerState{}
		s.parts[id] = st
	}
	running := ""
	if st.applied != nil {
		running = short(st.applied.Revision)
	}
	s.log.Error("partner configuration refused; the partner keeps the revision it runs (none when running_revision is empty)",
		"partner", id, "revision", short(revision), "running_revision", running, "problems", len(problems))
	for _, pr := range problems {
		s.log.Error("configuration problem", "partner", id, "problem", problemText(pr))
	}
	st.shown = shown
	st.refused = &hub.RefusedRevision{Hash: revision, RefusedAt: time.Now().UTC(), Errors: problems}
	st.starting = false
	if st.applied == nil {
		st.reason = &hub.PartnerReason{Code: CodeConfigRefused,
			Message: "geen revisie van het partnerbestand draait; de laatste is geweigerd (zie refused): " + problems[0].Message}
	}
	s.mu.Unlock()
}

// removeLocked stops a partner whose file was removed. Its documents,
// registrations and history stay. The caller holds the partner's lock.
func (s *partnerSet) removeLocked(ctx context.Context, id string) {
	s.deactivate(ctx, id)
	s.mu.Lock()
	st := s.parts[id]
	delete(s.parts, id)
	s.mu.Unlock()
	hash := ""
	if st != nil && st.applied != nil {
		hash = st.applied.Revision
	}
	s.log.Info("partner file removed; partner stopped", "partner", id)
	s.record(ctx, id, hub.RevisionRemoved, hash, nil, nil)
}

// deactivate stops the partner's drop folder, pipeline handlers and
// adapter, in that order, when they run.
func (s *partnerSet) deactivate(ctx context.Context, id string) {
	s.mu.Lock()
	st := s.parts[id]
	active := st != nil && st.active
	if active {
		st.active, st.entry = false, nil
	}
	s.mu.Unlock()
	if !active {
		return
	}
	s.watcher.RemovePartner(id)
	s.stopPolling(id)
	if s.receivers != nil {
		s.receivers.stopReceiving(id)
	}
	if err := s.pipe.RemovePartner(ctx, id); err != nil {
		s.log.Error("stop the partner's pipeline", "partner", id, "error", err)
	}
	s.adapters.remove(id)
}

// record appends to the partner's history, with the diff against the
// revision that ran before. It leaves out an applied revision equal to the
// one that ran (a restart, or the file put back after a refused change)
// and a refusal equal to the latest entry. A failure is logged: the history
// never stops a partner.
func (s *partnerSet) record(ctx context.Context, id, status, revision string, data []byte, problems []hub.ConfigProblem) {
	err := func() error {
		base, baseContent, ok, err := s.history.LatestRevision(ctx, id, hub.RevisionApplied, hub.RevisionRemoved)
		if err != nil {
			return err
		}
		if status == hub.RevisionApplied && ok && base.Status == hub.RevisionApplied && base.Hash == revision {
			return nil
		}
		if status == hub.RevisionRefused {
			latest, _, ok, err := s.history.LatestRevision(ctx, id)
			if err != nil {
				return err
			}
			if ok && latest.Status == hub.RevisionRefused && latest.Hash == revision {
				return nil
			}
		}
		oldName, newName := "/dev/null", "/dev/null"
		if ok && base.Status == hub.RevisionApplied {
			oldName = id + ".yaml@" + short(base.Hash)
		} else {
			baseContent = nil
		}
		if status != hub.RevisionRemoved {
			newName = id + ".yaml@" + short(revision)
		}
		_, err = s.history.AddRevision(ctx, store.NewRevision{Partner: id, Hash: revision, Status: status, Content: data,
			Diff: config.Diff(oldName, newName, baseContent, data), Errors: problems})
		return err
	}()
	if err != nil {
		s.log.Error("record partner revision", "partner", id, "status", status, "error", err)
	}
}

// statuses returns every partner's status, by id.
func (s *partnerSet) statuses() []hub.PartnerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]hub.PartnerStatus, 0, len(s.parts))
	for id, st := range s.parts {
		out = append(out, s.statusLocked(id, st))
	}
	slices.SortFunc(out, func(a, b hub.PartnerStatus) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (s *partnerSet) statusLocked(id string, st *partnerState) hub.PartnerStatus {
	ps := hub.PartnerStatus{ID: id, File: st.shown, Refused: st.refused}
	if st.starting {
		ps.State = hub.PartnerStarting
		return ps
	}
	if st.applied == nil {
		ps.State, ps.Reason = hub.PartnerFailed, st.reason
		return ps
	}
	ps.Name = st.applied.Name
	ps.Revision = &hub.AppliedRevision{Hash: st.applied.Revision, AppliedAt: st.appliedAt}
	if !st.active || st.entry == nil {
		ps.State = hub.PartnerOff
		ps.Reason = &hub.PartnerReason{Code: CodePartnerOff, Message: "de partner staat uit in zijn partnerbestand (enabled: false)"}
		return ps
	}
	hs := st.entry.host.Status()
	ps.Adapter = &hub.PartnerAdapter{Name: st.applied.Adapter.Name, Version: st.entry.desc.Version, SHA256: st.entry.spec.SHA256,
		State: string(hs.State), PID: hs.PID, Restarts: hs.Restarts, Crashes: hs.Crashes, LastError: hs.LastError}
	ps.Poll = s.pollStatus(id)
	switch hs.State {
	case pluginhost.StateDisabled:
		ps.State = hub.PartnerDisabled
		ps.Reason = disabledReason(hs)
	case pluginhost.StateCrashed:
		ps.State = hub.PartnerRestarting
	default:
		ps.State = hub.PartnerRunning
	}
	return ps
}

// disabledReason explains a disabled adapter to ICT staff.
func disabledReason(hs pluginhost.Status) *hub.PartnerReason {
	switch hs.DisabledCode {
	case pluginhost.CodeChecksum:
		return &hub.PartnerReason{Code: hs.DisabledCode, Message: "het adapterbestand heeft niet de sha256 die de adaptercatalogus vastlegt; " +
			"de adapter is uitgeschakeld en de documenten van deze partner mislukken (DOC_FAILED). Zet het juiste bestand terug en " +
			"raak het partnerbestand aan (touch), of leg de nieuwe sha256 vast en herstart de hub. Detail: " + hs.DisabledReason}
	default:
		return &hub.PartnerReason{Code: cmp.Or(hs.DisabledCode, pluginhost.CodeCrashes), Message: "de adapter is te vaak gecrasht en is uitgeschakeld; " +
			"de documenten van deze partner mislukken (DOC_FAILED). Verhelp de oorzaak en raak het partnerbestand aan (touch) om hem " +
			"opnieuw te starten. Detail: " + hs.DisabledReason}
	}
}

// unhealthy tells whether the partner runs no revision or a disabled
// adapter: touching its file then starts it again.
func (s *partnerSet) unhealthy(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.parts[id]
	if !ok || st.applied == nil {
		return true
	}
	return st.active && st.entry != nil && st.entry.host.Status().State == pluginhost.StateDisabled
}

// Partners implements api.Partners.
func (s *partnerSet) Partners(context.Context) ([]hub.PartnerStatus, error) {
	return s.statuses(), nil
}

// Partner implements api.Partners.
func (s *partnerSet) Partner(_ context.Context, id string) (hub.PartnerStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.parts[id]
	if !ok {
		return hub.PartnerStatus{}, hub.Errorf(hub.ENOTFOUND, "Partner %s is niet ingericht op deze hub.", id)
	}
	return s.statusLocked(id, st), nil
}

// Revisions implements api.Partners: the history of a partner's file,
// newest first, also of a partner whose file was removed.
func (s *partnerSet) Revisions(ctx context.Context, id string, limit int) ([]hub.PartnerRevision, error) {
	revs, err := s.history.Revisions(ctx, id, limit)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		if _, err := s.Partner(ctx, id); err != nil {
			return nil, err
		}
	}
	return revs, nil
}

func pipelinePartner(p *config.Partner) pipeline.Partner {
	return pipeline.Partner{ID: p.ID,
		EndMissing:      p.Export.Kind == config.ExportFull && p.Export.Missing == config.MissingEnd,
		MaxMissingShare: p.Export.MaxMissingShare,
		ReceiptDir:      filepath.Join(p.Drop.Folder, ingest.ReceiptsDir)}
}

func ingestPartner(p *config.Partner) ingest.Partner {
	return ingest.Partner{ID: p.ID, Folder: p.Drop.Folder, StableAfter: p.Drop.StableAfter, DoneMarker: p.Drop.DoneMarker}
}

// problemsOf turns the error of checking or starting a partner's revision
// into positioned problems; an error without a position becomes one problem
// about the file.
func problemsOf(shown string, err error) []hub.ConfigProblem {
	var ce config.Errors
	if errors.As(err, &ce) {
		out := make([]hub.ConfigProblem, len(ce))
		for i, e := range ce {
			out[i] = hub.ConfigProblem{File: e.File, Line: e.Line, Column: e.Column, Field: e.Field, Code: e.Code, Message: e.Message}
		}
		return out
	}
	if errors.Is(err, pluginhost.ErrChecksumMismatch) {
		return []hub.ConfigProblem{{File: shown, Field: "adapter.name", Code: pluginhost.CodeChecksum,
			Message: "het adapterbestand heeft niet de sha256 die de adaptercatalogus vastlegt; de adapter is niet gestart: " + err.Error()}}
	}
	return []hub.ConfigProblem{{File: shown, Field: "adapter.name", Code: CodeAdapterStart, Message: "de adapter kan niet starten: " + err.Error()}}
}

// problemText formats a problem as file:line:col: field: message [CODE].
func problemText(p hub.ConfigProblem) string {
	return config.Error{File: p.File, Line: p.Line, Column: p.Column, Field: p.Field, Code: p.Code, Message: p.Message}.Error()
}

// short abbreviates a revision hash for logs and diff headers.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
