package quality

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// reviewGroup names why a same-person review item (e, between the new
// registration a and the registration b of the other client) was not linked
// automatically; docs/identity.md weighs each group.
func reviewGroup(e identity.Evidence, a, b identity.Normalised) string {
	f := e.Match.Fields
	bsn, sur, given, date, gender := f[0], f[1], f[2], f[3], f[4]
	initials := given.Detail == "initials" || given.Detail == "initials-prefix" || given.Detail == "first-initial"
	switch {
	case bsn.Outcome == identity.Differ || bsn.Outcome == identity.Equal:
		return "two valid BSNs, or a BSN with other names"
	case e.Match.Grade == identity.Certain:
		return "certain, but another client was chosen"
	case date.Outcome == identity.Missing:
		return "birth date missing"
	case sur.Outcome == identity.Differ || sur.Outcome == identity.Missing || sur.Detail == "partner-surname":
		return "married name, initials or one first name"
	case initials && gender.Outcome != identity.Equal && date.Outcome == identity.Equal:
		return "initials without gender, exact date: could be a twin"
	case date.Detail == "partial-year":
		return "unknown month"
	case date.Detail == "one-digit" && abs(a.Year-b.Year) >= 10:
		return "wrong tens digit of the year"
	case gender.Outcome != identity.Equal && date.Outcome != identity.Equal:
		return "near date without gender"
	case sur.Outcome == identity.Similar:
		return "surname typo or part, and another error"
	case e.Match.Rule == "initial+dob-near" || e.Match.Rule == "name+dob-near" || e.Match.Rule == "name+dob-swapped":
		return "near match, surname common or namesakes among the candidates"
	}
	return "other"
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestReviewQueue measures what the review queue holds, by group of
// reviewGroup: the same-person items of each group, and the recall if a
// person confirmed the items of that group alone as soon as they arose (see
// TestCeiling). It uses the ground truth and so measures the queue, never
// the hub. KETENHUB_QUALITY_REVIEW=20000,11 measures 20,000 registrations
// with seed 11 instead of 5,000 with seed 7.
func TestReviewQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	n, seed := 5000, uint64(7)
	if v := os.Getenv("KETENHUB_QUALITY_REVIEW"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d", &n, &seed); err != nil {
			t.Fatalf("KETENHUB_QUALITY_REVIEW=%q: want registrations,seed", v)
		}
	}
	k := max(1, n/5000)
	regs, err := Generate(GenConfig{PersonsCSV: personsCSV, Registrations: n, Synthetic: 1100 * k,
		TwinPairs: 60 * k, ParentChild: 60 * k, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	th := identity.DefaultThresholds
	norm := make([]identity.Normalised, len(regs))
	for i := range regs {
		norm[i] = identity.Normalise(regs[i].Client)
	}
	// sameItem returns the review item of the decision on i with a client of
	// the same person, if any.
	sameItem := func(i int, d identity.Decision) (identity.Evidence, int, bool) {
		for _, e := range d.Review {
			if c := atoi(e.ClientID); regs[c].PersonID == regs[i].PersonID {
				return e, c, true
			}
		}
		return identity.Evidence{}, 0, false
	}
	hub := Evaluate(regs, th)
	items := map[string]int{}
	evaluate(regs, th, func(i int, d identity.Decision) (int, bool) {
		if e, c, ok := sameItem(i, d); ok {
			items[reviewGroup(e, norm[i], norm[c])]++
		}
		return 0, false
	})
	groups := make([]string, 0, len(items))
	for g := range items {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		rep := evaluate(regs, th, func(i int, d identity.Decision) (int, bool) {
			if e, c, ok := sameItem(i, d); ok && reviewGroup(e, norm[i], norm[c]) == g {
				return c, true
			}
			return 0, false
		})
		t.Logf("%-62s %4d items, recall %+.4f", g, items[g], rep.Recall-hub.Recall)
		if rep.FalseLinkedPairs != 0 {
			t.Errorf("%s: confirming same-person items made %d false pairs", g, rep.FalseLinkedPairs)
		}
	}
	t.Logf("n %d seed %d: recall %.4f", n, seed, hub.Recall)
}
