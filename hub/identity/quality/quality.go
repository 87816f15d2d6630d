package quality

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// MaxBlock is the largest block Evaluate compares within, as the hub's
// registry (clients.DefaultMaxBlock): a key shared by more registrations (a
// common surname with a common initial) is not used for further candidates,
// so the work per registration stays bounded.
const MaxBlock = 50

// Report holds the quality figures of one Evaluate run. Pairs are unordered
// pairs of registrations; a pair is linked when both registrations end with
// the same chain client.
type Report struct {
	Registrations      int
	Persons            int
	Comparisons        int // candidates compared after blocking, over all registrations
	TruePairs          int // pairs of registrations of the same person
	LinkedPairs        int // pairs linked automatically
	TrueLinkedPairs    int // linked pairs of the same person
	FalseLinkedPairs   int // linked pairs of different persons
	FalseMergeClusters int // clients holding more than one person
	AutoMerges         int // clients merged into another automatically (see Evaluate)
	ReviewItems        int // distinct client pairs in Decision.Review: the review queue
	ReviewTruePairs    int // same-person pairs not linked but brought together by a review item
	ReviewFalseItems   int // review items between clients of different persons only
	MissedPairs        int // same-person pairs neither linked nor in review
	Recall             float64
	Precision          float64
	Rules              map[string]int // decisions per grade, rule and context of the deciding evidence ("none:new" without any)
}

// String renders the report as a short table.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registrations        %d (%d persons, %d comparisons)\n", r.Registrations, r.Persons, r.Comparisons)
	fmt.Fprintf(&b, "true pairs           %d\n", r.TruePairs)
	fmt.Fprintf(&b, "linked automatically %d true of %d (recall %.4f, precision %.4f)\n", r.TrueLinkedPairs, r.LinkedPairs, r.Recall, r.Precision)
	fmt.Fprintf(&b, "false merges         %d clusters, %d pairs\n", r.FalseMergeClusters, r.FalseLinkedPairs)
	fmt.Fprintf(&b, "automatic merges     %d\n", r.AutoMerges)
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

// Evaluate clusters the registrations exactly as the hub does (hub/clients):
// each registration in turn gathers as candidates the earlier registrations
// that share one of its index keys with it (indexKeys; a key already held by
// more than MaxBlock registrations adds none), and identity.Resolve decides. A Certain decision
// joins the chosen client; anything else starts a new client. When the
// decision is Certain and Decision.Review holds further Certain clients, each
// of them is merged into the chosen client if identity.Consistent holds for
// the registrations of the two (without the new one), as the hub's automatic
// merge does. The review queue holds the Decision.Review comparisons, one
// item per pair of clients (the new registration's client and the other),
// dropped when the two end as one client. It then scores the clients against
// the ground truth.
func Evaluate(regs []Labelled, th identity.Thresholds) Report { return evaluate(regs, th, nil) }

// evaluate is Evaluate. When reviewer is set, a registration that Resolve
// does not link joins the client that reviewer picks from the decision, if
// any: a measure of what the review queue holds, never of the hub.
func evaluate(regs []Labelled, th identity.Thresholds, reviewer func(i int, d identity.Decision) (client int, ok bool)) Report {
	rep := Report{Registrations: len(regs), Rules: map[string]int{}}
	norm := make([]identity.Normalised, len(regs))
	client := make([]int, len(regs)) // client of each registration when it was linked: the index of the client's first registration
	merged := map[int]int{}          // client → the client it was merged into
	find := func(c int) int {
		for {
			to, ok := merged[c]
			if !ok {
				return c
			}
			c = to
		}
	}
	members := map[int][]identity.Normalised{} // client → its registrations
	index := map[string][]int{}
	seen := map[int]bool{}
	items := map[[2]int]bool{}
	var cands []identity.Candidate
	for i, l := range regs {
		norm[i] = identity.Normalise(l.Client)
		keys := indexKeys(norm[i])
		clear(seen)
		cands = cands[:0]
		for _, k := range keys {
			if len(index[k]) > MaxBlock {
				continue
			}
			for _, j := range index[k] {
				if !seen[j] {
					seen[j] = true
					cands = append(cands, identity.Candidate{Ref: ref(regs[j]), ClientID: strconv.Itoa(find(client[j])), Norm: norm[j]})
				}
			}
		}
		rep.Comparisons += len(cands)
		d := identity.Resolve(norm[i], cands, th)
		rule := "new"
		if d.Evidence.Match.Rule != "" {
			rule = d.Evidence.Match.Rule
		}
		if d.Evidence.Context != "" {
			rule += "/" + d.Evidence.Context
		}
		rep.Rules[d.Grade.String()+":"+rule]++
		client[i] = i
		if d.Grade == identity.Certain {
			client[i] = atoi(d.ClientID)
			var sources []int
			for _, e := range d.Review {
				if e.Match.Grade != identity.Certain || e.ClientID == d.ClientID {
					continue
				}
				if src := atoi(e.ClientID); identity.Consistent(members[client[i]], members[src], th) {
					sources = append(sources, src)
				}
			}
			for _, src := range sources {
				if src = find(src); src != client[i] {
					merged[src] = client[i]
					members[client[i]] = append(members[client[i]], members[src]...)
					delete(members, src)
					rep.AutoMerges++
				}
			}
		} else if reviewer != nil {
			if c, ok := reviewer(i, d); ok {
				client[i] = find(c)
			}
		}
		members[client[i]] = append(members[client[i]], norm[i])
		for _, e := range d.Review {
			a, b := client[i], atoi(e.ClientID)
			if a == b {
				continue
			}
			if a > b {
				a, b = b, a
			}
			items[[2]int{a, b}] = true
		}
		for _, k := range keys {
			index[k] = append(index[k], i)
		}
	}
	for i := range client {
		client[i] = find(client[i])
	}
	final := make(map[[2]int]bool, len(items))
	for it := range items {
		if a, b := find(it[0]), find(it[1]); a != b {
			final[[2]int{min(a, b), max(a, b)}] = true
		}
	}
	items = final
	// Counts per client and person.
	perPerson := map[string]int{}
	perCluster := map[int]int{}
	perBoth := map[int]map[string]int{}
	for i, l := range regs {
		c := client[i]
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

	for it := range items {
		a, b := it[0], it[1]
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

// indexKeys are the keys under which the hub's registry indexes and looks up
// a registration: identity.BlockingKeys without the surname + initial keys
// ("si:") of a registration with a full birth date.
func indexKeys(n identity.Normalised) []string {
	keys := identity.BlockingKeys(n)
	if !n.FullDate() {
		return keys
	}
	out := keys[:0]
	for _, k := range keys {
		if !strings.HasPrefix(k, "si:") {
			out = append(out, k)
		}
	}
	return out
}

func ref(l Labelled) identity.Ref { return identity.Ref{Partner: l.Partner, RecordKey: l.RecordKey} }
