package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/identity/quality"
)

// cmdQuality generates registrations with realistic noise on top of the
// RvIG test persons (and synthetic persons with Dutch name frequencies,
// siblings, twins and parent/child pairs among them), clusters them as the
// hub does (identity.Resolve, and the automatic merge of two clients that a
// registration is certain of) and prints precision, recall, false merges,
// automatic merges and the size of the review queue. Persons, twins and
// parent/child pairs scale with the registrations (per 5,000). With
// --bound it also prints the recall attainable by a resolver that knows
// every person of the region (quality.Attainable) and what linking lone
// review items would give (quality.LoneProbable).
func cmdQuality(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quality", stderr)
	persons := fs.String("persons", "hub/identity/quality/testdata/persons_extract.csv", "RvIG test persons (persons_extract.csv); empty for synthetic persons only")
	n := fs.Int("registrations", 5000, "registrations to generate")
	seed := fs.Uint64("seed", 7, "seed of the generator")
	bound := fs.Bool("bound", false, "also print what is attainable: knowing every person of the region, and linking lone review items")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n <= 0 {
		return usageError{"--registrations must be positive"}
	}
	scale := max(1, *n/5000)
	people, regs, err := quality.GenerateSet(quality.GenConfig{PersonsCSV: *persons, Registrations: *n,
		Synthetic: 1100 * scale, TwinPairs: 60 * scale, ParentChild: 60 * scale, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, quality.Evaluate(regs, identity.DefaultThresholds).String())
	if !*bound {
		return nil
	}
	post, mismatched := quality.Posteriors(people, regs)
	if mismatched > 0 {
		return fmt.Errorf("quality: the noise model gives %d registrations no chance under their own person", mismatched)
	}
	for _, b := range quality.Attainable(regs, post, []float64{1e-2, 1e-3, 1e-4}) {
		fmt.Fprintf(stdout, "knowing every person  %s\n", b)
	}
	for _, p := range []struct {
		name   string
		policy quality.LonePolicy
	}{{"lone, surname+date", quality.LoneWithSurnameAndDate}, {"every lone item", quality.LoneAny}} {
		r := quality.LoneProbable(regs, identity.DefaultThresholds, p.policy)
		fmt.Fprintf(stdout, "%-22s recall %.4f, false merges %d (linked %d, of another person %d, of which a newcomer %d)\n",
			p.name, r.Recall, r.FalseMergeClusters, r.Links, r.FalseLinks, r.Newcomers)
	}
	return nil
}
