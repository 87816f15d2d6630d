// Package stats computes the figures for policy makers (GET /v1/stats):
// how many chain clients there are per target group, municipality and
// process step, and how many are in a stable mix. It reads only the chain
// part of active registrations (never names, BSNs or dates of birth),
// counts every client exactly once per table, and publishes the tables
// only after small-cell suppression (policy.Suppress).
//
// Definitions, for the privacy officer and the policy maker:
//
//   - A client is placed by its latest active registration (the one
//     updated last; on a tie the partner id first in sort order): its
//     target group, municipality and process step. A municipality that is
//     not in the chain's list (the regions of roles.yaml) counts as
//     "overig"; a missing value as "onbekend".
//   - A client is in a stable mix on the reference day when each of the
//     life domains wonen, inkomen and zorg has the status stabiel with a
//     date at least 3 months before that day. For each domain the client's
//     latest active registration that records the domain counts. A client
//     with a domain instabiel, or stabiel for less than 3 months, has no
//     stable mix (yet); a client with a domain missing, onbekend, or stabiel
//     without a date is counted as onbekend: the chain cannot tell.
package stats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// Labels of values that are not in a known list.
const (
	Unknown = "onbekend"
	Other   = "overig"
)

// Columns of the stable-mix table.
const (
	StableMix   = "stabiele_mix"
	NoStableMix = "geen_stabiele_mix"
)

// DefaultDomains are the life domains of the stable mix: housing, income
// and care (the life domains the example partners deliver).
var DefaultDomains = []string{"wonen", "inkomen", "zorg"}

// DefaultStableMonths is how long the domains must have been stable.
const DefaultStableMonths = 3

// Source gives the active registrations; *clients.Registry implements it.
type Source interface {
	ActiveRegistrations(ctx context.Context, fn func(clients.ActiveRegistration) error) error
}

var _ Source = (*clients.Registry)(nil)

// Options configure Build.
type Options struct {
	// AsOf is the reference day; zero means today.
	AsOf time.Time
	// Municipalities are the municipalities reported by name, in this
	// order; others are counted as Other.
	Municipalities []string
	// TargetGroups and ProcessSteps are the values reported, in this order
	// (the enums of the registration schema); others count as Unknown.
	TargetGroups []string
	ProcessSteps []string
	// Domains are the life domains of the stable mix; nil means DefaultDomains.
	Domains []string
	// StableMonths is how long each domain must have been stable; zero
	// means DefaultStableMonths.
	StableMonths int
	// MinCell is the suppression threshold; below 2 means policy.MinCell.
	MinCell int
}

// Report is what GET /v1/stats publishes: two tables after suppression and
// the share of clients in a stable mix. A suppressed count is null.
type Report struct {
	// AsOf is the reference day (YYYY-MM-DD).
	AsOf string `json:"as_of"`
	// Clients counts clients per target group and municipality (rows, as
	// "target group / municipality") and process step (columns).
	Clients Table `json:"clients"`
	// StableMix counts all clients (one row) by whether they are in a
	// stable mix (columns stabiele_mix, geen_stabiele_mix, onbekend).
	StableMix Table `json:"stable_mix"`
	// StableMixShare is the share of all clients in a stable mix, when both
	// counts are published; else null.
	StableMixShare *float64 `json:"stable_mix_share"`
}

// Table is one published table with a Dutch description of what it counts.
type Table struct {
	Description string `json:"description"`
	policy.Published
}

// Build reads the active registrations from src and returns the report.
// It returns an error when src fails.
func Build(ctx context.Context, src Source, opts Options) (Report, error) {
	if opts.AsOf.IsZero() {
		opts.AsOf = time.Now()
	}
	if opts.Domains == nil {
		opts.Domains = DefaultDomains
	}
	if opts.StableMonths <= 0 {
		opts.StableMonths = DefaultStableMonths
	}
	b := newBuilder(opts)
	var cur []clients.ActiveRegistration
	flush := func() {
		if len(cur) > 0 {
			b.add(cur)
			cur = cur[:0]
		}
	}
	err := src.ActiveRegistrations(ctx, func(r clients.ActiveRegistration) error {
		if len(cur) > 0 && cur[0].ClientID != r.ClientID {
			flush()
		}
		cur = append(cur, r)
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("build stats: %w", err)
	}
	flush()
	return b.report()
}

// builder counts clients into the two tables.
type builder struct {
	opts      Options
	cutoff    string // the last date of a domain that is stable long enough, YYYY-MM-DD
	rows      []string
	rowIndex  map[string]int
	colIndex  map[string]int
	clients   policy.Table
	stable    policy.Table
	munIndex  map[string]string // lower-case name -> name as configured
	tgKnown   map[string]bool
	stepKnown map[string]bool
}

func newBuilder(opts Options) *builder {
	b := &builder{opts: opts, rowIndex: map[string]int{}, colIndex: map[string]int{}, munIndex: map[string]string{},
		tgKnown: map[string]bool{}, stepKnown: map[string]bool{}}
	b.cutoff = opts.AsOf.AddDate(0, -opts.StableMonths, 0).Format(time.DateOnly)
	muns := append(slices.Clone(opts.Municipalities), Other, Unknown)
	for _, m := range opts.Municipalities {
		b.munIndex[strings.ToLower(strings.TrimSpace(m))] = m
	}
	tgs := append(slices.Clone(opts.TargetGroups), Unknown)
	for _, tg := range opts.TargetGroups {
		b.tgKnown[tg] = true
	}
	for _, tg := range tgs {
		for _, m := range muns {
			b.rowIndex[rowLabel(tg, m)] = len(b.rows)
			b.rows = append(b.rows, rowLabel(tg, m))
		}
	}
	steps := append(slices.Clone(opts.ProcessSteps), Unknown)
	for i, s := range steps {
		b.colIndex[s] = i
		b.stepKnown[s] = s != Unknown
	}
	b.clients = policy.Table{Rows: b.rows, Columns: steps, Counts: make([][]int, len(b.rows))}
	for i := range b.clients.Counts {
		b.clients.Counts[i] = make([]int, len(steps))
	}
	b.stable = policy.Table{Rows: []string{"alle cliënten"}, Columns: []string{StableMix, NoStableMix, Unknown}, Counts: [][]int{{0, 0, 0}}}
	return b
}

func rowLabel(targetGroup, municipality string) string { return targetGroup + " / " + municipality }

// add counts one client, given its active registrations.
func (b *builder) add(regs []clients.ActiveRegistration) {
	latest := regs[0]
	for _, r := range regs[1:] {
		if r.UpdatedAt.After(latest.UpdatedAt) || r.UpdatedAt.Equal(latest.UpdatedAt) && r.Partner < latest.Partner {
			latest = r
		}
	}
	tg := latest.TargetGroup
	if !b.tgKnown[tg] {
		tg = Unknown
	}
	mun := Unknown
	if m := strings.ToLower(strings.TrimSpace(latest.Municipality)); m != "" {
		mun = Other
		if name, ok := b.munIndex[m]; ok {
			mun = name
		}
	}
	step := latest.ProcessStep
	if !b.stepKnown[step] {
		step = Unknown
	}
	b.clients.Counts[b.rowIndex[rowLabel(tg, mun)]][b.colIndex[step]]++
	b.stable.Counts[0][b.stableColumn(regs)]++
}

// stableColumn places a client in the stable-mix table: 0 stable mix, 1 no
// stable mix, 2 unknown.
func (b *builder) stableColumn(regs []clients.ActiveRegistration) int {
	all, none := true, false
	for _, domain := range b.opts.Domains {
		var d *clients.ActiveRegistration
		for i := range regs {
			if _, ok := regs[i].LifeDomains[domain]; !ok {
				continue
			}
			if d == nil || regs[i].UpdatedAt.After(d.UpdatedAt) || regs[i].UpdatedAt.Equal(d.UpdatedAt) && regs[i].Partner < d.Partner {
				d = &regs[i]
			}
		}
		if d == nil {
			all = false
			continue
		}
		ld := d.LifeDomains[domain]
		date, err := time.Parse(time.DateOnly, ld.Date)
		switch {
		case ld.Status == "instabiel":
			all, none = false, true
		case ld.Status != "stabiel" || err != nil:
			all = false
		case date.Format(time.DateOnly) > b.cutoff:
			all, none = false, true
		}
	}
	switch {
	case all:
		return 0
	case none:
		return 1
	}
	return 2
}

func (b *builder) report() (Report, error) {
	clientsTable, err := policy.Suppress(b.clients, b.opts.MinCell)
	if err != nil {
		return Report{}, fmt.Errorf("build stats: %w", err)
	}
	stableTable, err := policy.Suppress(b.stable, b.opts.MinCell)
	if err != nil {
		return Report{}, fmt.Errorf("build stats: %w", err)
	}
	r := Report{
		AsOf: b.opts.AsOf.Format(time.DateOnly),
		Clients: Table{Published: clientsTable, Description: "Aantal cliënten per doelgroep en gemeente (rijen) en processtap " +
			"(kolommen), volgens de laatst bijgewerkte actieve registratie van elke cliënt. Aantallen van 1 tot " +
			fmt.Sprint(clientsTable.MinCell) + " en de aantallen waaruit ze te herleiden zijn, zijn weggelaten (null)."},
		StableMix: Table{Published: stableTable, Description: fmt.Sprintf("Aantal cliënten met een stabiele mix: %s elk "+
			"stabiel sinds ten minste %d maanden vóór %s; onbekend als een leefgebied ontbreekt, onbekend is of stabiel zonder datum.",
			strings.Join(b.opts.Domains, ", "), b.opts.StableMonths, b.opts.AsOf.Format(time.DateOnly))},
	}
	if s, t := stableTable.Cells[0][0], stableTable.Total; s != nil && t != nil && *t > 0 {
		share := float64(*s) / float64(*t)
		r.StableMixShare = &share
	}
	return r, nil
}
