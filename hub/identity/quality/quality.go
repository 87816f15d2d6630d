package quality

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// MaxBlock is the largest block Evaluate compares within: a key shared by
// more registrations (a common surname with a common initial) is not used
// for further candidates, so the work per registration stays bounded.
const MaxBlock = 1000

// Report holds the quality figures of one Evaluate run. Pairs are unordered
// pairs of registrations; a pair is linked when both registrations end in the
// same cluster (links are transitive).
type Report struct {
	Registrations      int
	Persons            int
	Comparisons        int // candidate pairs compared after blocking
	TruePairs          int // pairs of registrations of the same person
	LinkedPairs        int // pairs linked automatically
	TrueLinkedPairs    int // linked pairs of the same person
	FalseLinkedPairs   int // linked pairs of different persons
	FalseMergeClusters int // clusters holding more than one person
	ReviewItems        int // distinct cluster pairs with a Probable comparison: the review queue
	ReviewTruePairs    int // same-person pairs not linked but brought together by a review item
	ReviewFalseItems   int // review items between clusters of different persons only
	MissedPairs        int // same-person pairs neither linked nor in review
	Recall             float64
	Precision          float64
	Rules              map[string]int // decisions per rule over all comparisons
}

// String renders the report as a short table.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registrations        %d (%d persons, %d comparisons)\n", r.Registrations, r.Persons, r.Comparisons)
	fmt.Fprintf(&b, "true pairs           %d\n", r.TruePairs)
	fmt.Fprintf(&b, "linked automatically %d true of %d (recall %.4f, precision %.4f)\n", r.TrueLinkedPairs, r.LinkedPairs, r.Recall, r.Precision)
	fmt.Fprintf(&b, "false merges         %d clusters, %d pairs\n", r.FalseMergeClusters, r.FalseLinkedPairs)
	fmt.Fprintf(&b, "review queue         %d items (%d true pairs, %d items of different persons)\n", r.ReviewItems, r.ReviewTruePairs, r.ReviewFalseItems)
	fmt.Fprintf(&b, "missed pairs         %d\n", r.MissedPairs)
	rules := make([]string, 0, len(r.Rules))
	for k := range r.Rules {
		rules = append(rules, k)
	}
	sort.Strings(rules)
	b.WriteString("rules               ")
	for _, k := range rules {
		fmt.Fprintf(&b, " %s=%d", k, r.Rules[k])
	}
	b.WriteByte('\n')
	return b.String()
}

// Evaluate clusters the registrations as the hub would: each registration in
// turn is compared with the earlier registrations that share a blocking key;
// Certain pairs are linked (union-find), Probable pairs between different
// clusters form the review queue. It then scores the clusters against the
// ground truth.
func Evaluate(regs []Labelled, th identity.Thresholds) Report {
	rep := Report{Registrations: len(regs), Rules: map[string]int{}}
	norm := make([]identity.Normalised, len(regs))
	for i, l := range regs {
		norm[i] = identity.Normalise(l.Client)
	}
	parent := make([]int, len(regs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	var review [][2]int
	index := map[string][]int{}
	seen := map[int]bool{}
	for i := range regs {
		clear(seen)
		for _, k := range identity.BlockingKeys(norm[i]) {
			block := index[k]
			if len(block) >= MaxBlock {
				continue
			}
			for _, j := range block {
				if seen[j] {
					continue
				}
				seen[j] = true
				rep.Comparisons++
				m := identity.CompareWith(norm[j], norm[i], th)
				rep.Rules[m.Grade.String()+":"+m.Rule]++
				switch m.Grade {
				case identity.Certain:
					parent[find(i)] = find(j)
				case identity.Probable:
					review = append(review, [2]int{j, i})
				}
			}
			index[k] = append(block, i)
		}
	}

	// Counts per cluster and person.
	perPerson := map[string]int{}
	perCluster := map[int]int{}
	perBoth := map[int]map[string]int{}
	for i, l := range regs {
		c := find(i)
		perPerson[l.PersonID]++
		perCluster[c]++
		if perBoth[c] == nil {
			perBoth[c] = map[string]int{}
		}
		perBoth[c][l.PersonID]++
	}
	rep.Persons = len(perPerson)
	for _, n := range perPerson {
		rep.TruePairs += n * (n - 1) / 2
	}
	for c, n := range perCluster {
		rep.LinkedPairs += n * (n - 1) / 2
		if len(perBoth[c]) > 1 {
			rep.FalseMergeClusters++
		}
		for _, k := range perBoth[c] {
			rep.TrueLinkedPairs += k * (k - 1) / 2
		}
	}
	rep.FalseLinkedPairs = rep.LinkedPairs - rep.TrueLinkedPairs

	items := map[[2]int]bool{}
	for _, p := range review {
		a, b := find(p[0]), find(p[1])
		if a == b {
			continue
		}
		if a > b {
			a, b = b, a
		}
		if items[[2]int{a, b}] {
			continue
		}
		items[[2]int{a, b}] = true
		shared := 0
		for person, k := range perBoth[a] {
			shared += k * perBoth[b][person]
		}
		rep.ReviewTruePairs += shared
		if shared == 0 {
			rep.ReviewFalseItems++
		}
	}
	rep.ReviewItems = len(items)
	rep.MissedPairs = rep.TruePairs - rep.TrueLinkedPairs - rep.ReviewTruePairs
	if rep.TruePairs > 0 {
		rep.Recall = float64(rep.TrueLinkedPairs) / float64(rep.TruePairs)
	}
	if rep.LinkedPairs > 0 {
		rep.Precision = float64(rep.TrueLinkedPairs) / float64(rep.LinkedPairs)
	}
	return rep
}
