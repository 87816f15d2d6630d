package quality

import (
	"fmt"
	"strings"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Bound is the best recall that any resolver can reach on a generated set
// without linking a registration that is, by the generator's own noise
// model, more likely than Tau to be of another person of the set.
type Bound struct {
	Tau float64
	// Safe is the number of registrations whose true person has a posterior
	// of at least 1-Tau.
	Safe int
	// Recall is the share of the true pairs between two safe registrations
	// of the same person: what a resolver reaches that links every safe
	// registration to its person and no other.
	Recall float64
	// ExpectedFalse is the sum over the safe registrations of the posterior
	// of another person: the false links to expect from linking them all.
	ExpectedFalse float64
}

// Posteriors returns, for each registration, the posterior probability of
// its true person among all persons of the set, under the generator's noise
// model (register and noisyDate, with the partner's habits) and a uniform
// prior over the persons, as Generate draws them. It knows every person of
// the region, the ones not yet registered too, and the exact noise rates:
// no resolver can know more. mismatched counts the registrations to which
// the model gives their own person no chance: the model then does not
// describe the generator, and the figures do not hold.
func Posteriors(persons []Person, regs []Labelled) (post []float64, mismatched int) {
	m := newNoiseModel(persons)
	byID := make(map[string]int, len(persons))
	for i, p := range persons {
		byID[p.ID] = i
	}
	post = make([]float64, len(regs))
	for i, l := range regs {
		pr := partnerOf(l.Partner)
		obs := observe(l.Client)
		self := byID[l.PersonID]
		var total, own float64
		for q := range persons {
			lik := m.likelihood(q, pr, obs)
			total += lik
			if q == self {
				own = lik
			}
		}
		if own == 0 {
			mismatched++
			continue
		}
		post[i] = own / total
	}
	return post, mismatched
}

// Attainable returns the Bound of each tau from the posteriors of the
// registrations (see Posteriors).
func Attainable(regs []Labelled, post []float64, taus []float64) []Bound {
	out := make([]Bound, 0, len(taus))
	for _, tau := range taus {
		b := Bound{Tau: tau}
		safe, all := map[string]int{}, map[string]int{}
		for i, l := range regs {
			all[l.PersonID]++
			if post[i] > 0 && 1-post[i] <= tau {
				safe[l.PersonID]++
				b.Safe++
				b.ExpectedFalse += 1 - post[i]
			}
		}
		var pairs, linked int
		for id, k := range all {
			pairs += k * (k - 1) / 2
			linked += safe[id] * (safe[id] - 1) / 2
		}
		if pairs > 0 {
			b.Recall = float64(linked) / float64(pairs)
		}
		out = append(out, b)
	}
	return out
}

// String renders the bound as one line.
func (b Bound) String() string {
	return fmt.Sprintf("tau %.0e: safe registrations %d, attainable recall %.4f, expected false links %.2f",
		b.Tau, b.Safe, b.Recall, b.ExpectedFalse)
}

func partnerOf(name string) partner {
	for _, p := range partners {
		if p.name == name {
			return p
		}
	}
	return partner{name: name}
}

// observation is what the model compares of a registration: its raw BSN and
// the normalised names, birth date and gender.
type observation struct {
	bsn, bsnValid string
	invalid       bool
	given         string // "n:" and the first names, or "i:" and the initials
	surname       string // own surname key and partner's surname key
	year, month   int
	day           int
	gender        string
}

func observe(c sdk.Client) observation {
	n := identity.Normalise(c)
	return observation{bsn: strings.TrimSpace(c.BSN), bsnValid: n.BSN, invalid: n.BSNInvalid, given: givenKey(n),
		surname: n.Surname + "|" + n.PartnerSurname, year: n.Year, month: n.Month, day: n.Day, gender: n.Gender}
}

func givenKey(n identity.Normalised) string {
	if len(n.FirstNames) > 0 {
		return "n:" + strings.Join(n.FirstNames, " ")
	}
	return "i:" + n.Initials
}

// noiseModel holds, per person, the distribution of what register makes of
// its names; see Posteriors.
type noiseModel struct {
	persons  []Person
	bsns     map[string]bool
	noBSN    float64 // share of persons without a BSN
	births   []birth
	genders  []string // normalised
	given    map[int]map[string][3]float64
	surnames map[surnameCacheKey]map[string]float64
}

func newNoiseModel(persons []Person) *noiseModel {
	m := &noiseModel{persons: persons, bsns: map[string]bool{}, given: map[int]map[string][3]float64{},
		surnames: map[surnameCacheKey]map[string]float64{}}
	for _, p := range persons {
		m.births = append(m.births, newBirth(p.BirthDate))
		m.genders = append(m.genders, identity.Normalise(sdk.Client{Gender: p.Gender}).Gender)
		if p.BSN == "" {
			m.noBSN++
		} else {
			m.bsns[p.BSN] = true
		}
	}
	m.noBSN /= float64(len(persons))
	return m
}

func (m *noiseModel) likelihood(q int, pr partner, o observation) float64 {
	p := &m.persons[q]
	l := m.births[q].likelihood(o)
	if l == 0 {
		return 0
	}
	if l *= genderLikelihood(m.genders[q], pr, o.gender); l == 0 {
		return 0
	}
	if l *= m.bsnLikelihood(p.BSN, pr, o); l == 0 {
		return 0
	}
	g := m.givenOf(q)[o.given]
	if l *= pr.initialsOnly*g[0] + pCallNameOnly*g[1] + (1-pr.initialsOnly-pCallNameOnly)*g[2]; l == 0 {
		return 0
	}
	return l * m.surnamesOf(q, pr)[o.surname]
}

func (m *noiseModel) bsnLikelihood(bsn string, pr partner, o observation) float64 {
	if bsn == "" {
		if o.bsn == "" {
			return 1
		}
		return 0
	}
	n := float64(len(m.persons))
	switch {
	case o.bsn == "":
		return 1 - pr.bsn + pr.bsn*pBSNOfOther*m.noBSN
	case o.invalid:
		if len(o.bsn) == len(bsn) && digitsApart(o.bsn, bsn) == 1 {
			return pr.bsn * pBSNDigitWrong / float64(9*len(bsn))
		}
		return 0
	case o.bsnValid == bsn:
		return pr.bsn * (1 - pBSNDigitWrong - pBSNOfOther + pBSNOfOther/n)
	case m.bsns[o.bsnValid]:
		return pr.bsn * pBSNOfOther / n
	}
	return 0
}

func digitsApart(a, b string) int {
	n := 0
	for i := range len(a) {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func genderLikelihood(own string, pr partner, obs string) float64 {
	switch {
	case obs == "" && own == "":
		return 1
	case obs == "":
		return pr.genderMissing
	case obs == own:
		return 1 - pr.genderMissing
	}
	return 0
}

// birth is a person's birth date as noisyDate sees it, with the chances of
// each of its outcomes.
type birth struct {
	y, m, d                     int // 0 for unknown parts
	pSwap, pDigit, pMonth, pDay float64
	pExact                      float64
	digitVariants               map[int]bool // valid dates (YYYYMMDD) one digit away
}

func newBirth(d string) birth {
	b := birth{y: atoi(d[:4]), m: atoi(d[4:6]), d: atoi(d[6:])}
	if b.y == 0 {
		return b
	}
	mo, dd := d[4:6], d[6:]
	// The intervals of noisyDate's switch, each taken only when its case
	// applies; an interval that does not apply falls to the next case.
	start := pDateMissing
	if mo != "00" && dd != "00" && dd <= "12" && dd != mo {
		b.pSwap, start = pDateMissing+pDaySwap-start, pDateMissing+pDaySwap
	}
	unchanged := 0.0 // a digit interval without a valid variant keeps the date
	if mo != "00" && dd != "00" {
		end := pDateMissing + pDaySwap + pDateDigitWrong
		b.pDigit, start = end-start, end
		b.digitVariants = map[int]bool{}
		for i := range 8 {
			for k := 1; k <= 9; k++ {
				v := []byte(d)
				v[i] = byte('0' + (int(v[i]-'0')+k)%10)
				if s := string(v); validDate(s) {
					b.digitVariants[atoi(s)] = true
				}
			}
		}
		if len(b.digitVariants) == 0 {
			unchanged, b.pDigit = b.pDigit, 0
		}
	}
	if end := pDateMissing + pDaySwap + pDateDigitWrong + pMonthUnknown; end > start {
		b.pMonth, start = end-start, end
	}
	if end := pDateMissing + pDaySwap + pDateDigitWrong + pMonthUnknown + pDayUnknown; end > start {
		b.pDay, start = end-start, end
	}
	b.pExact = 1 - start + unchanged
	return b
}

// likelihood is the chance that noisyDate registers the date as the
// observed one (year, month and day as Normalise reads them).
func (b birth) likelihood(o observation) float64 {
	if b.y == 0 {
		if o.year == 0 {
			return 1
		}
		return 0
	}
	if o.year == 0 {
		return pDateMissing
	}
	var l float64
	if o.year == b.y && o.month == b.m && o.day == b.d {
		l += b.pExact
	}
	if o.year == b.y && o.month == b.d && o.day == b.m {
		l += b.pSwap
	}
	if o.year == b.y && o.month == 0 {
		l += b.pMonth
	}
	if o.year == b.y && o.month == b.m && o.day == 0 {
		l += b.pDay
	}
	if b.pDigit > 0 && o.month > 0 && o.day > 0 && b.digitVariants[o.year*10000+o.month*100+o.day] {
		l += b.pDigit / float64(len(b.digitVariants))
	}
	return l
}

// typos returns the variants that typo makes of s, each as likely: one
// transposition, dropped or doubled letter.
func typos(s string) []string {
	b := []rune(s)
	if len(b) < 3 {
		return []string{s}
	}
	var out []string
	for i := range len(b) - 1 {
		t := append([]rune(nil), b...)
		t[i], t[i+1] = t[i+1], t[i]
		out = append(out, string(t))
		out = append(out, string(append(append([]rune(nil), b[:i]...), b[i+1:]...)))
		out = append(out, string(append(append([]rune(nil), b[:i+1]...), b[i:]...)))
	}
	return out
}

// variants returns s with probability 1-p and each of its typos with an
// equal share of p.
func variants(s string, p float64) map[string]float64 {
	out := map[string]float64{s: 1 - p}
	ts := typos(s)
	for _, t := range ts {
		out[t] += p / float64(len(ts))
	}
	return out
}

// givenOf returns the distribution of the given-name key (see givenKey) of
// person q per form: initials only, the first name only, all names.
func (m *noiseModel) givenOf(q int) map[string][3]float64 {
	if g, ok := m.given[q]; ok {
		return g
	}
	g := map[string][3]float64{}
	for v, pv := range variants(m.persons[q].FirstNames, pFirstNameTypo) {
		forms := [3]sdk.Client{{Initials: initials(v)}, {}, {FirstNames: v}}
		if w := strings.Fields(v); len(w) > 0 {
			forms[1].FirstNames = w[0]
		}
		for f, c := range forms {
			k := givenKey(identity.Normalise(c))
			e := g[k]
			e[f] += pv
			g[k] = e
		}
	}
	m.given[q] = g
	return g
}

// surnamesOf returns the distribution of the surname key (see observation)
// that register makes of person q at partner pr.
func (m *noiseModel) surnamesOf(q int, pr partner) map[string]float64 {
	key := surnameCacheKey{q, pr.name}
	if s, ok := m.surnames[key]; ok {
		return s
	}
	p := m.persons[q]
	s := map[string]float64{}
	// add spreads pv over the ways register writes the voorvoegsel.
	add := func(c sdk.Client, pv float64) {
		forms := []struct {
			surname, prefix string
			p               float64
		}{{c.Surname, c.SurnamePrefix, 1}}
		if c.SurnamePrefix != "" {
			forms = []struct {
				surname, prefix string
				p               float64
			}{
				{c.Surname, c.SurnamePrefix, 1 - pr.prefixInName},
				{c.Surname + ", " + c.SurnamePrefix, "", pr.prefixInName / 3},
				{strings.ToUpper(c.SurnamePrefix[:1]) + c.SurnamePrefix[1:] + " " + c.Surname, "", pr.prefixInName / 3},
				{c.SurnamePrefix + " " + c.Surname, "", pr.prefixInName / 3},
			}
		}
		for _, f := range forms {
			w := c
			w.Surname, w.SurnamePrefix = f.surname, f.prefix
			n := identity.Normalise(w)
			s[n.Surname+"|"+n.PartnerSurname] += pv * f.p
		}
	}
	married := 0.0
	if p.PartnerSurname != "" {
		married = pMarriedName
	}
	for own, pv := range variants(p.Surname, pSurnameTypo) {
		add(sdk.Client{Surname: own, SurnamePrefix: p.Prefix}, pv*(1-married))
		if married == 0 {
			continue
		}
		forms := []sdk.Client{
			{Surname: p.PartnerSurname, SurnamePrefix: p.PartnerPrefix},
			{Surname: joinPrefix(p.PartnerPrefix, p.PartnerSurname) + "-" + joinPrefix(p.Prefix, own)},
			{Surname: own, SurnamePrefix: p.Prefix},
		}
		for _, c := range forms {
			w := c
			w.PartnerSurname, w.PartnerSurnamePrefix = p.PartnerSurname, p.PartnerPrefix
			add(w, pv*married/3*pr.partnerField)
			add(c, pv*married/3*(1-pr.partnerField))
		}
	}
	m.surnames[key] = s
	return s
}

type surnameCacheKey struct {
	person  int
	partner string
}

// LoneReport is what Evaluate gives under a policy that links a
// registration which Resolve leaves in review with one client only (see
// LoneProbable).
type LoneReport struct {
	Report
	Links      int // registrations linked by the policy
	FalseLinks int // of them, links to a client of another person
	// Newcomers is the part of FalseLinks where the registration is the
	// first of its person: someone new to the chain who resembles a client.
	Newcomers int
}

// LonePolicy says which lone review items LoneProbable links.
type LonePolicy int

// The policies: every lone item whose BSN does not decide, or only those
// with the own surname (equal or misspelt) and the birth date (at least
// year and month) on both sides, and no gender conflict.
const (
	LoneAny LonePolicy = iota
	LoneWithSurnameAndDate
)

// LoneProbable evaluates regs as Evaluate does, and links each registration
// that Resolve leaves in review with exactly one client to that client,
// when the policy admits the comparison: the policy of a hub that links a
// near match whenever nothing else competes. Items with a BSN on both sides
// (two BSNs, or a BSN with other names) are never linked. It uses the
// ground truth only to count.
func LoneProbable(regs []Labelled, th identity.Thresholds, policy LonePolicy) LoneReport {
	first := map[string]int{}
	for i, l := range regs {
		if _, ok := first[l.PersonID]; !ok {
			first[l.PersonID] = i
		}
	}
	var lr LoneReport
	lr.Report = evaluate(regs, th, func(i int, d identity.Decision) (int, bool) {
		if d.Grade != identity.Probable || len(d.Review) != 1 || !policy.admits(d.Review[0].Match) {
			return 0, false
		}
		c := atoi(d.Review[0].ClientID)
		lr.Links++
		if regs[c].PersonID != regs[i].PersonID {
			lr.FalseLinks++
			if first[regs[i].PersonID] == i {
				lr.Newcomers++
			}
		}
		return c, true
	})
	return lr
}

func (p LonePolicy) admits(m identity.Match) bool {
	bsn, sur, date, gender := m.Fields[0], m.Fields[1], m.Fields[3], m.Fields[4]
	if bsn.Outcome != identity.Missing {
		return false
	}
	if p == LoneAny {
		return true
	}
	return (sur.Outcome == identity.Equal || sur.Detail == "typo" || sur.Detail == "double-name-part") &&
		date.Outcome != identity.Missing && date.Detail != "partial-year" && gender.Outcome != identity.Differ
}
