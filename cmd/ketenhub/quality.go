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
// parent/child pairs scale with the registrations (per 5,000).
func cmdQuality(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quality", stderr)
	persons := fs.String("persons", "hub/identity/quality/testdata/persons_extract.csv", "RvIG test persons (persons_extract.csv); empty for synthetic persons only")
	n := fs.Int("registrations", 5000, "registrations to generate")
	seed := fs.Uint64("seed", 7, "seed of the generator")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n <= 0 {
		return usageError{"--registrations must be positive"}
	}
	scale := max(1, *n/5000)
	regs, err := quality.Generate(quality.GenConfig{PersonsCSV: *persons, Registrations: *n,
		Synthetic: 1100 * scale, TwinPairs: 60 * scale, ParentChild: 60 * scale, Seed: *seed})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, quality.Evaluate(regs, identity.DefaultThresholds).String())
	return nil
}
