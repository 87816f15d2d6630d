package identity

import "sort"

// Ref identifies one partner registration.
type Ref struct {
	Partner   string
	RecordKey string
}

// Candidate is a registration that is already linked to a chain client and
// shares a blocking key with the registration being resolved.
type Candidate struct {
	Ref      Ref
	ClientID string
	Norm     Normalised
}

// Evidence is one comparison of the registration being resolved with a
// candidate: what a reviewer sees side by side, and what explains a link.
type Evidence struct {
	With     Ref
	ClientID string
	Match    Match
	// Context is set when Resolve graded Match otherwise than the pair alone
	// would, from what the other candidates show (see Resolve): "alone" when
	// a near match was made Certain because no other client competes and the
	// name is not common; "distinct" when a Certain match was made Probable
	// because another registration of the client is of a different person;
	// "conflict" when it was made Probable because another registration of
	// the client has other full first names or other initials after an equal
	// first one; "twin" when a Certain match on
	// initials was made Probable because a misspelt twin could give them.
	// Empty otherwise.
	Context string
}

// Decision is what Resolve decides for one registration.
type Decision struct {
	// Grade Certain links the registration to ClientID. Probable and None
	// give it a new chain client of its own; with Probable, Review holds the
	// clients a person must compare it with.
	Grade    Grade
	ClientID string
	// Evidence is the comparison that decided: the best Certain one for a
	// link, else the best Probable one. Empty for a plain new client.
	Evidence Evidence
	// Review holds, per other client, the best comparison that a person must
	// judge: Probable clients, and Certain clients that were not chosen
	// because another client was certain too (never merged on a guess).
	Review []Evidence
}

// rareSurnameClients is the number of other clients with the same surname
// among the candidates from which a surname outside the table of common
// surnames counts as common after all (a family, or a name that is common in
// the region).
const rareSurnameClients = 3

// hardDistinct reports whether m says that two registrations are of
// different people, whatever else agrees.
func hardDistinct(m scored) bool { return m.grade == None && distinctRules[m.rule] }

// distinctRules are the rules that say two registrations are of different
// people, whatever else agrees.
var distinctRules = map[string]bool{"twins": true, "parent-child": true, "bsn-differ": true}

// Distinct reports whether m says that two registrations are of different
// people by a hard rule (twins, parent/child, another valid BSN).
func (m Match) Distinct() bool { return m.Grade == None && distinctRules[m.Rule] }

// client gathers the evidence on one chain client.
type client struct {
	best     scored      // the best comparison with one of its registrations
	with     Ref         // that registration
	norm     *Normalised // and its identity
	distinct bool        // some registration is of a different person
	certain  int         // registrations that are a Certain match
	surname  bool        // some registration has the same own surname
	conflict bool        // some registration has other full first names or second initials
	context  string      // see Evidence.Context
}

// Resolve decides which chain client, if any, the registration n belongs to,
// from the candidates that share a blocking key with it. Evidence is weighed
// per client, not per registration:
//   - a client is linked only when at least one of its registrations is a
//     Certain match and none of them is of a different person (twins,
//     parent/child, another BSN); such a client goes to review;
//   - a near match (see CompareWith) is Certain when its client is the only
//     one that competes (no other client has a Probable or Certain match),
//     none of its registrations has other given names than n (see below), and
//     the name is rare enough that a namesake who matches as well is
//     improbable in a region of tens of thousands of clients
//     (docs/identity.md weighs each rule): "given+dob" always;
//     "name+dob-near" when the surname is not in the table of common Dutch
//     surnames and fewer than rareSurnameClients other clients among the
//     candidates carry it (not with an unknown month unless two or more full
//     first names are equal), or with two or more full first names, the
//     gender equal and the month known; "initial+dob-near" only when the
//     surname is not common and no other client among the candidates carries
//     it;
//   - a Certain match without an equal BSN is Probable when another
//     registration of the same client has other full first names, or other
//     initials after an equal first one (two people in one client would
//     follow), or when it rests on initials and a twin of n (same surname and
//     birth date, other given names) is among the candidates whose first
//     name, with its first letter dropped or swapped, begins with the first
//     initial of n or of the matched registration: a misspelt twin;
//   - when several clients are certain, the one with the most Certain
//     registrations is linked (then the best comparison) and the others go to
//     review: Resolve never merges two clients itself.
//
// Resolve is deterministic: the same candidates in any order give the same
// decision. It compares each candidate once and keeps no state, so its cost
// is linear in the number of candidates.
func Resolve(n Normalised, cands []Candidate, th Thresholds) Decision {
	per := make(map[string]*client, len(cands))
	var twins []Normalised // candidates that are twins of n
	for i := range cands {
		c := &cands[i]
		m := compare(c.Norm, n, th)
		ce := per[c.ClientID]
		if ce == nil {
			ce = &client{best: m, with: c.Ref, norm: &c.Norm}
			per[c.ClientID] = ce
		} else if better(m, c.Ref, ce.best, ce.with) {
			ce.best, ce.with, ce.norm = m, c.Ref, &c.Norm
		}
		if hardDistinct(m) {
			ce.distinct = true
		}
		if m.rule == "twins" {
			twins = append(twins, c.Norm)
		}
		if m.grade == Certain {
			ce.certain++
		}
		if n.Surname != "" && c.Norm.Surname == n.Surname {
			ce.surname = true
		}
		if g := m.fields[2]; (g.Outcome == Differ && g.Detail == "first-name") || g.Detail == "first-initial" {
			ce.conflict = true
		}
	}
	competing, surnames := 0, 0
	for _, ce := range per {
		if ce.best.grade >= Probable && !ce.distinct {
			competing++
		}
		if ce.surname {
			surnames++
		}
	}
	var certain, probable []Evidence
	for id, ce := range per {
		m := &ce.best
		others := surnames
		if ce.surname {
			others--
		}
		noBSN := m.fields[0].Outcome != Equal
		switch {
		case ce.distinct && m.grade == Certain:
			m.grade, ce.context = Probable, "distinct"
		case ce.distinct:
		case m.grade == Probable && competing == 1 && !ce.conflict && alone(n, *m, others):
			m.grade, ce.context = Certain, "alone"
		case m.grade == Certain && noBSN && ce.conflict:
			m.grade, ce.context = Probable, "conflict"
		case m.grade == Certain && noBSN && (m.fields[2].Detail == "initials" || m.fields[2].Detail == "initials-prefix") &&
			(misspelt(twins, n) || misspelt(twins, *ce.norm)):
			m.grade, ce.context = Probable, "twin"
		}
		switch {
		case m.grade == Certain:
			certain = append(certain, Evidence{With: ce.with, ClientID: id, Match: m.match(), Context: ce.context})
		case m.grade == Probable:
			probable = append(probable, Evidence{With: ce.with, ClientID: id, Match: m.match(), Context: ce.context})
		}
	}
	sort.Slice(certain, func(i, j int) bool {
		if a, b := per[certain[i].ClientID].certain, per[certain[j].ClientID].certain; a != b {
			return a > b
		}
		return evidenceLess(certain[i], certain[j])
	})
	sort.Slice(probable, func(i, j int) bool { return evidenceLess(probable[i], probable[j]) })
	if len(certain) > 0 {
		return Decision{Grade: Certain, ClientID: certain[0].ClientID, Evidence: certain[0],
			Review: append(certain[1:], probable...)}
	}
	if len(probable) > 0 {
		return Decision{Grade: Probable, Evidence: probable[0], Review: probable}
	}
	return Decision{Grade: None}
}

// alone reports whether the Probable match m may link n when its client is
// the only one that competes; others is the number of other clients among the
// candidates with n's surname. See Resolve and docs/identity.md for the risk
// of each rule.
func alone(n Normalised, m scored, others int) bool {
	given, date, gender := m.fields[2], m.fields[3], m.fields[4]
	switch m.rule {
	case "initial+dob-near":
		return !commonSurname(n.Surname) && others == 0
	case "given+dob":
		return true
	case "name+dob-near":
		if !commonSurname(n.Surname) && others < rareSurnameClients &&
			(date.Detail != "partial-year" || given.Detail == "first-names" && len(n.FirstNames) >= 2) {
			return true
		}
		return given.Detail == "first-names" && len(n.FirstNames) >= 2 && gender.Outcome == Equal &&
			date.Detail != "partial-year"
	}
	return false
}

// misspelt reports whether n could be one of the twins misspelt (see
// misspeltTwin).
func misspelt(twins []Normalised, n Normalised) bool {
	for _, t := range twins {
		if misspeltTwin(t, n) {
			return true
		}
	}
	return false
}

// misspeltTwin reports whether n, known by initials only, could be the twin
// registered as c with the first letter of the first name dropped or swapped
// with the second ("aBbette" or "abette" for Babette is "A.", "aMria
// Elisabeth" is "A.E.").
func misspeltTwin(c, n Normalised) bool {
	return len(n.FirstNames) == 0 && n.Initials != "" && len(c.FirstNames) > 0 && len(c.FirstNames[0]) > 1 &&
		c.FirstNames[0][1] == n.Initials[0]
}

// better orders comparisons: higher grade, then higher score, then the
// smaller reference, so that the order of the candidates does not matter.
func better(a scored, ra Ref, b scored, rb Ref) bool {
	if a.grade != b.grade {
		return a.grade > b.grade
	}
	if a.score != b.score {
		return a.score > b.score
	}
	if ra.Partner != rb.Partner {
		return ra.Partner < rb.Partner
	}
	return ra.RecordKey < rb.RecordKey
}

// evidenceLess orders the evidence of different clients: better first, then
// by client.
func evidenceLess(a, b Evidence) bool {
	if a.Match.Grade != b.Match.Grade {
		return a.Match.Grade > b.Match.Grade
	}
	if a.Match.Score != b.Match.Score {
		return a.Match.Score > b.Match.Score
	}
	if a.With != b.With {
		return a.With.Partner < b.With.Partner || a.With.Partner == b.With.Partner && a.With.RecordKey < b.With.RecordKey
	}
	return a.ClientID < b.ClientID
}
