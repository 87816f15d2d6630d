package policy

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // dates in reasons are Dutch dates, also on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/hub/consent"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// ConsentReader gives the current consent rows of clients for recipients
// and a purpose; *consent.Registry implements it.
type ConsentReader interface {
	Current(ctx context.Context, clientIDs, recipients []string, purpose string) (map[string][]consent.Consent, error)
}

var _ ConsentReader = (*consent.Registry)(nil)

// Engine is the decision point: the policy in force, swapped atomically on
// reload, and the consent registry it reads at every decision. It is safe
// for concurrent use.
type Engine struct {
	cur      atomic.Pointer[Policy]
	consents ConsentReader
	now      func() time.Time
	log      *slog.Logger
	partners func() []string
}

// EngineOptions configure NewEngine.
type EngineOptions struct {
	// Now is the clock that decides expiry; nil means time.Now.
	Now func() time.Time
	// Logger receives reload outcomes (never personal data); nil means slog.Default().
	Logger *slog.Logger
	// Partners are passed to Load on Reload (see LoadOptions.Partners).
	Partners []string
	// PartnerIDs, when set, replaces Partners: it is asked for the ids of
	// the configured partners at every reload, so that partners added or
	// removed while the hub runs are known to the next roles.yaml, and Watch
	// reads roles.yaml again when they change.
	PartnerIDs func() []string
}

// NewEngine returns an engine deciding with p (which may be nil: then
// everything is denied until a policy is loaded) and reading consent from
// consents.
func NewEngine(p *Policy, consents ConsentReader, opts EngineOptions) *Engine {
	e := &Engine{consents: consents, now: opts.Now, log: opts.Logger}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.partners = opts.PartnerIDs
	if e.partners == nil {
		fixed := slices.Clone(opts.Partners)
		e.partners = func() []string { return fixed }
	}
	if p != nil {
		e.cur.Store(p)
	}
	return e
}

// Policy returns the policy in force, or nil.
func (e *Engine) Policy() *Policy { return e.cur.Load() }

// Swap puts p in force for every later decision and returns the previous
// policy. A decision in progress finishes with the policy it started with.
func (e *Engine) Swap(p *Policy) *Policy { return e.cur.Swap(p) }

// Reload loads roles.yaml at path and puts it in force. When the file has
// problems the policy in force stays and the problems are returned
// (config.Errors) and logged by position and code.
func (e *Engine) Reload(path string) error {
	p, err := Load(path, LoadOptions{Partners: e.partners()})
	if err != nil {
		e.log.Error("roles not reloaded; the previous roles stay in force", "file", path, "problems", err.Error())
		return fmt.Errorf("reload %s: %w", path, err)
	}
	old := e.Swap(p)
	oldRev := ""
	if old != nil {
		oldRev = old.Revision
	}
	e.log.Info("roles reloaded", "file", path, "revision", p.Revision, "previous", oldRev)
	return nil
}

// ConsentRules gives the consent registry the rules of the policy in force
// (pass e.ConsentRules to consent.NewRegistry). Without a policy nothing
// can be recorded: no purpose is known.
func (e *Engine) ConsentRules() consent.Rules {
	if p := e.cur.Load(); p != nil {
		return p.ConsentRules()
	}
	return consent.Rules{}
}

// Decide answers one request. Deny-by-default: anything the policy does
// not allow is denied, with the reason. The error is only for a failure to
// read the consent registry; the decision then denies.
func (e *Engine) Decide(ctx context.Context, req Request) (Decision, error) {
	ds, err := e.DecideMany(ctx, []Request{req})
	return ds[0], err
}

// DecideMany answers many requests at once, as for a feed page: all
// requests that need consent for the same subject and purpose share one
// query on the consent registry. Decisions are in request order. When the
// consent registry cannot be read, the decisions that needed it deny (code
// CONSENT_UNAVAILABLE) and the error is returned.
func (e *Engine) DecideMany(ctx context.Context, reqs []Request) ([]Decision, error) {
	out := make([]Decision, len(reqs))
	p := e.cur.Load()
	if p == nil {
		for i, r := range reqs {
			out[i] = Decision{Purpose: r.Purpose, Operation: r.Operation, Classes: []Class{}, Fields: []string{},
				Reasons: []Reason{{Code: CodePolicyNotLoaded, Message: "er zijn geen rollen en rechten geladen"}}}
			if r.Client != nil {
				out[i].ClientID = r.Client.ID
			}
		}
		return out, nil
	}
	now := e.now()
	type group struct {
		recipients []string
		purpose    string
		idx        []int
	}
	groups := map[string]*group{}
	var order []string
	prepared := make([]*prepared, len(reqs))
	for i, r := range reqs {
		pr := p.prepare(r)
		prepared[i] = pr
		if pr.done || !pr.needConsent {
			continue
		}
		recipients := p.Recipients(pr.org)
		key := r.Purpose + "\x00" + strings.Join(recipients, "\x00")
		g, ok := groups[key]
		if !ok {
			g = &group{recipients: recipients, purpose: r.Purpose}
			groups[key] = g
			order = append(order, key)
		}
		g.idx = append(g.idx, i)
	}
	var firstErr error
	for _, key := range order {
		g := groups[key]
		ids := make([]string, 0, len(g.idx))
		for _, i := range g.idx {
			if id := reqs[i].Client.ID; !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		var rows map[string][]consent.Consent
		var err error
		if e.consents == nil {
			err = fmt.Errorf("no consent registry")
		} else {
			rows, err = e.consents.Current(ctx, ids, g.recipients, g.purpose)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("decide: %w", err)
			}
			for _, i := range g.idx {
				prepared[i].deny(CodeConsentUnavailable, "de toestemming kon niet worden gelezen; daarom geen inzage")
			}
			continue
		}
		for _, i := range g.idx {
			p.withConsent(prepared[i], reqs[i], rows[reqs[i].Client.ID], g.recipients, now)
		}
	}
	for i, pr := range prepared {
		if !pr.done {
			// Unreachable by construction; deny rather than trust it.
			pr.deny(CodeDenied, "geen beslissing")
		}
		out[i] = pr.d
	}
	return out, firstErr
}
