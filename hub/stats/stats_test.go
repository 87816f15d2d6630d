package stats_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/stats"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// source is a stats.Source over a list of registrations, sorted by client.
type source []clients.ActiveRegistration

func (s source) ActiveRegistrations(_ context.Context, fn func(clients.ActiveRegistration) error) error {
	sorted := slices.Clone(s)
	slices.SortStableFunc(sorted, func(a, b clients.ActiveRegistration) int {
		switch {
		case a.ClientID < b.ClientID:
			return -1
		case a.ClientID > b.ClientID:
			return 1
		}
		return 0
	})
	for _, r := range sorted {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

var (
	asOf = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	t0   = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	opts = stats.Options{AsOf: asOf, Municipalities: []string{"Helmond", "Best"},
		TargetGroups: []string{"veelpleger", "zorgmijder"}, ProcessSteps: []string{"aanmelding", "triage"}}
)

func domains(wonen, inkomen, zorg string) map[string]sdk.LifeDomain {
	out := map[string]sdk.LifeDomain{}
	for name, v := range map[string]string{"wonen": wonen, "inkomen": inkomen, "zorg": zorg} {
		switch v {
		case "":
		case "old":
			out[name] = sdk.LifeDomain{Status: "stabiel", Date: "2025-03-01"} // exactly 3 months before 2025-06-01
		case "new":
			out[name] = sdk.LifeDomain{Status: "stabiel", Date: "2025-03-02"}
		case "nodate":
			out[name] = sdk.LifeDomain{Status: "stabiel"}
		default:
			out[name] = sdk.LifeDomain{Status: v}
		}
	}
	return out
}

func TestBuild(t *testing.T) {
	var src source
	add := func(n int, prefix, tg, mun, step string, ld map[string]sdk.LifeDomain) {
		for i := range n {
			src = append(src, clients.ActiveRegistration{ClientID: fmt.Sprintf("kc-%s-%02d", prefix, i), Partner: "ggz-oost",
				UpdatedAt: t0, TargetGroup: tg, Municipality: mun, ProcessStep: step, LifeDomains: ld})
		}
	}
	add(6, "stable", "veelpleger", "Helmond", "triage", domains("old", "old", "old"))
	add(6, "unstable", "veelpleger", "helmond ", "triage", domains("old", "instabiel", "old"))
	add(5, "recent", "zorgmijder", "Best", "aanmelding", domains("old", "new", "old"))
	add(5, "nodate", "zorgmijder", "Bergen (NH)", "aanmelding", domains("old", "nodate", "old"))
	// One client, two registrations: the one updated last places it; each
	// domain is taken from the latest registration that records it (wonen
	// from ggz-oost, inkomen and zorg from opvang-zuid): a stable mix.
	src = append(src,
		clients.ActiveRegistration{ClientID: "kc-two", Partner: "opvang-zuid", UpdatedAt: t0, TargetGroup: "zorgmijder",
			Municipality: "Best", ProcessStep: "aanmelding", LifeDomains: domains("instabiel", "old", "old")},
		clients.ActiveRegistration{ClientID: "kc-two", Partner: "ggz-oost", UpdatedAt: t0.Add(time.Hour), TargetGroup: "veelpleger",
			Municipality: "Helmond", ProcessStep: "triage", LifeDomains: domains("old", "", "")})

	r, err := stats.Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.AsOf != "2025-06-01" {
		t.Errorf("as_of %s", r.AsOf)
	}
	c := r.Clients
	wantRows := []string{"veelpleger / Helmond", "veelpleger / Best", "veelpleger / overig", "veelpleger / onbekend",
		"zorgmijder / Helmond", "zorgmijder / Best", "zorgmijder / overig", "zorgmijder / onbekend",
		"onbekend / Helmond", "onbekend / Best", "onbekend / overig", "onbekend / onbekend"}
	if !slices.Equal(c.Rows, wantRows) || !slices.Equal(c.Columns, []string{"aanmelding", "triage", "onbekend"}) {
		t.Fatalf("rows %v columns %v", c.Rows, c.Columns)
	}
	want := map[[2]int]int{{0, 1}: 13, {5, 0}: 5, {6, 0}: 5}
	for i, row := range c.Cells {
		for j, v := range row {
			if v == nil || *v != want[[2]int{i, j}] {
				t.Errorf("%s/%s = %v, want %d", c.Rows[i], c.Columns[j], v, want[[2]int{i, j}])
			}
		}
	}
	if c.Total == nil || *c.Total != 23 || c.Suppressed != 0 {
		t.Errorf("total %v, suppressed %d", c.Total, c.Suppressed)
	}
	// Stable mix: 6 + kc-two; none: 6 unstable + 5 recent; unknown: 5 without a date.
	if got := counts(r.StableMix.Cells[0]); got != "[7 11 5]" || r.StableMix.Total == nil || *r.StableMix.Total != 23 {
		t.Errorf("stable mix %s total %v", got, r.StableMix.Total)
	}
	if r.StableMixShare == nil || *r.StableMixShare != 7.0/23 {
		t.Errorf("share %v", r.StableMixShare)
	}
	if r.Clients.Description == "" || r.StableMix.Description == "" {
		t.Error("a table without a description")
	}

	// One more client, without anything known: a cell of 1, suppressed,
	// with complements; nothing published counts 1 to 4 clients.
	add(1, "missing", "", "", "", domains("old", "", "old"))
	r, err = stats.Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Clients.Cells[11][2]; v != nil {
		t.Errorf("onbekend/onbekend/onbekend = %d published", *v)
	}
	for _, tb := range []stats.Table{r.Clients, r.StableMix} {
		all := append([]*int{tb.Total}, tb.RowTotals...)
		all = append(all, tb.ColumnTotals...)
		for _, row := range tb.Cells {
			all = append(all, row...)
		}
		for _, v := range all {
			if v != nil && *v > 0 && *v < 5 {
				t.Errorf("a count of %d is published: %+v", *v, tb.Published)
			}
		}
	}
	if got := counts(r.StableMix.Cells[0]); got != "[7 11 6]" {
		t.Errorf("stable mix after one unknown client: %s", got)
	}
}

func counts(cells []*int) string {
	var out []string
	for _, v := range cells {
		if v == nil {
			out = append(out, "-")
		} else {
			out = append(out, fmt.Sprint(*v))
		}
	}
	return fmt.Sprint(out)
}

func TestBuildEmptyAndErrors(t *testing.T) {
	r, err := stats.Build(context.Background(), source{}, opts)
	if err != nil || r.Clients.Total == nil || *r.Clients.Total != 0 || r.StableMixShare != nil {
		t.Fatalf("empty: %+v %v", r, err)
	}
	boom := errors.New("boom")
	if _, err := stats.Build(context.Background(), failing{boom}, opts); !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

type failing struct{ err error }

func (f failing) ActiveRegistrations(context.Context, func(clients.ActiveRegistration) error) error {
	return f.err
}
