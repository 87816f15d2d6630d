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

// hardDistinct reports whether m says that two registrations are of
// different people, whatever else agrees.
func hardDistinct(m Match) bool {
	if m.Grade != None {
		return false
	}
	switch m.Rule {
	case "twins", "parent-child", "bsn-differ":
		return true
	}
	return false
}

// Resolve decides which chain client, if any, the registration n belongs to,
// from the candidates that share a blocking key with it. Evidence is weighed
// per client, not per registration: a client is linked only when at least one
// of its registrations is a Certain match and none of them is of a different
// person (twins, parent/child, another BSN). When several clients are
// certain, the best is linked and the others go to review: two clients are
// never merged automatically. Resolve is deterministic: the same candidates in
// any order give the same decision.
func Resolve(n Normalised, cands []Candidate, th Thresholds) Decision {
	type clientEvidence struct {
		best     Evidence
		distinct bool
	}
	per := map[string]*clientEvidence{}
	for _, c := range cands {
		m := CompareWith(c.Norm, n, th)
		ce := per[c.ClientID]
		if ce == nil {
			ce = &clientEvidence{}
			per[c.ClientID] = ce
		}
		if hardDistinct(m) {
			ce.distinct = true
		}
		e := Evidence{With: c.Ref, ClientID: c.ClientID, Match: m}
		if better(e, ce.best) {
			ce.best = e
		}
	}
	var certain, probable []Evidence
	for _, ce := range per {
		switch {
		case ce.best.Match.Grade == Certain && !ce.distinct:
			certain = append(certain, ce.best)
		case ce.best.Match.Grade >= Probable:
			probable = append(probable, ce.best)
		}
	}
	sortEvidence(certain)
	sortEvidence(probable)
	if len(certain) > 0 {
		return Decision{Grade: Certain, ClientID: certain[0].ClientID, Evidence: certain[0],
			Review: append(certain[1:], probable...)}
	}
	if len(probable) > 0 {
		return Decision{Grade: Probable, Evidence: probable[0], Review: probable}
	}
	return Decision{Grade: None}
}

// better orders evidence: higher grade, then higher score, then the smaller
// reference, so that the order of the candidates does not matter.
func better(a, b Evidence) bool {
	if b.With == (Ref{}) {
		return true
	}
	if a.Match.Grade != b.Match.Grade {
		return a.Match.Grade > b.Match.Grade
	}
	if a.Match.Score != b.Match.Score {
		return a.Match.Score > b.Match.Score
	}
	if a.With.Partner != b.With.Partner {
		return a.With.Partner < b.With.Partner
	}
	return a.With.RecordKey < b.With.RecordKey
}

func sortEvidence(es []Evidence) {
	sort.Slice(es, func(i, j int) bool {
		if better(es[i], es[j]) {
			return true
		}
		if better(es[j], es[i]) {
			return false
		}
		return es[i].ClientID < es[j].ClientID
	})
}
