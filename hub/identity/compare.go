package identity

import (
	"fmt"
	"slices"
	"strings"
)

// Grade is the outcome of comparing two registrations.
type Grade int

// The grades: None (a new or different client), Probable (a person must
// review the pair) and Certain (link automatically).
const (
	None Grade = iota
	Probable
	Certain
)

// String returns "none", "probable" or "certain".
func (g Grade) String() string {
	switch g {
	case Certain:
		return "certain"
	case Probable:
		return "probable"
	}
	return "none"
}

// Outcome is how one field compares.
type Outcome string

// The field outcomes.
const (
	Equal   Outcome = "equal"
	Similar Outcome = "similar"
	Differ  Outcome = "differ"
	Missing Outcome = "missing"
)

// FieldScore explains the contribution of one field to a Match. Detail names
// the variant that was recognised, such as "day-month-swapped",
// "double-name-part" or "initials-prefix".
type FieldScore struct {
	Field   string // "bsn", "surname", "given", "birth_date" or "gender"
	Outcome Outcome
	Detail  string
	Weight  float64
}

// Match is the explained result of Compare. Score is the sum of the field
// weights; Rule names the rule that decided the grade: "bsn+name+dob",
// "bsn+name", "bsn+dob", "bsn-conflict", "bsn-differ", "bsn-differ-review",
// "twins", "parent-child", "name+dob", "name+dob-swapped", "name+dob-near",
// "initial+dob-near", "given+dob" or "score" (see CompareWith).
type Match struct {
	Grade  Grade
	Score  float64
	Fields []FieldScore
	Rule   string
}

// String renders the match for review screens and test output.
func (m Match) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %.1f):", m.Grade, m.Rule, m.Score)
	for _, f := range m.Fields {
		fmt.Fprintf(&b, " %s=%s", f.Field, f.Outcome)
		if f.Detail != "" {
			fmt.Fprintf(&b, "/%s", f.Detail)
		}
		fmt.Fprintf(&b, "%+.1f", f.Weight)
	}
	return b.String()
}

// Thresholds are the decision limits of Compare.
type Thresholds struct {
	// Certain is the lowest score at which a pair without an equal BSN is
	// linked automatically; it also needs strong agreement on surname,
	// given names or initials and the full birth date.
	Certain float64
	// Probable is the lowest score at which a pair goes to review.
	Probable float64
	// ParentChildYears is the difference in birth year from which two
	// registrations with the same names are different people (parent and
	// child), unless the dates differ by one digit or a day/month swap.
	ParentChildYears int
}

// DefaultThresholds are the measured defaults (see package quality).
var DefaultThresholds = Thresholds{Certain: 22, Probable: 12, ParentChildYears: 10}

// Field weights, roughly log2(m/u): the odds that a field agrees in that way
// for the same person against two different persons.
const (
	wBSNEqual         = 14.0
	wBSNDiffer        = -14.0
	wSurnameEqual     = 8.0
	wSurnameTypo      = 5.0
	wSurnamePart      = 4.0
	wSurnamePartner   = 3.0
	wSurnameDiffer    = -6.0
	wFirstNamesEqual  = 6.0
	wFirstNameSimilar = 4.0
	wInitialsEqual    = 5.0
	wInitialsPrefix   = 3.0
	wFirstInitial     = 1.0
	wGivenDiffer      = -6.0
	wDateExact        = 12.0
	wDateSwapped      = 7.0
	wDateOneDigit     = 6.0
	wDateYearMonth    = 5.0
	wDateYear         = 3.0
	wDateDiffer       = -10.0
	wGenderEqual      = 1.0
	wGenderDiffer     = -4.0
)

// Compare compares two normalised registrations with DefaultThresholds.
func Compare(a, b Normalised) Match { return CompareWith(a, b, DefaultThresholds) }

// CompareWith compares two normalised registrations. The hard rules come
// first, in this order:
//   - equal valid BSN: Certain ("bsn+name+dob", "bsn+name" or "bsn+dob"),
//     unless the given names differ, surname and birth date both differ, or the
//     birth years are parent/child apart: then Probable ("bsn-conflict"), since
//     a BSN typed into the wrong dossier must not merge two people. Without
//     surname agreement ("bsn+dob", a married name) the birth date must be
//     equal or day/month swapped: a BSN of someone else with a near birth date
//     is a conflict too;
//   - different valid BSNs: None ("bsn-differ"). Exception: when surname,
//     given names, full birth date and gender all agree exactly, the pair is
//     Probable ("bsn-differ-review"): one of the two BSNs is probably the
//     valid BSN of another person, which a person must sort out. Never Certain;
//   - twins: surname agrees, full birth date equal, but the given names or the
//     gender differ: None ("twins");
//   - parent/child: surname and given names agree but the birth years are at
//     least ParentChildYears apart (not explained by one wrong digit or a
//     day/month swap): None ("parent-child").
//
// Otherwise the score decides: Certain ("name+dob") needs Thresholds.Certain,
// a surname that agrees (equal, typo or double-name part), equal given names
// or initials, the same first given name (also misspelt, when its first letter
// is equal: twins Hanna and Anna differ in it), or initials of which one
// extends the other with an equal gender; the full birth date equal and no
// gender conflict; equal initials of one letter also need the gender equal
// (twins Stefano and Serena are both "S."). Certain ("name+dob-swapped") needs
// the surname equal, the given names or initials equal, the gender equal and
// the birth date equal up to a day/month swap: the swap adds one alternative
// date, so its risk of meeting a namesake is of the order of the exact rule's.
//
// Three Probable rules mark near matches that Resolve may link when no other
// client competes for the registration and the name is rare enough (see
// Resolve); on their own they stay in review, because every such variant
// admits dozens of alternative dates or names and namesakes then merge
// ("Niels Bos" 1935-08-12 and 1935-08-13):
//   - "name+dob-near": the surname equal, the birth date near (one digit of
//     day, month or the last digit of the year, or an unknown day or month
//     with the rest equal), no gender conflict, and two or more given names or
//     initials equal, or the full first names equal with the gender equal;
//   - "initial+dob-near": the surname and the gender equal, the birth date
//     near but not an unknown month, and the given names agreeing only in a
//     single equal initial or in the first given name written out on both
//     sides ("J." or "Jan Willem" against "Jan Pieter");
//   - "given+dob": a married name (the surnames differ, or one side carries
//     only the partner's name), the full birth date equal, the gender equal
//     and two or more full first names equal; or one registration carries the
//     other's surname as the partner's name, with the full birth date, the
//     gender and the given names or initials equal.
//
// The gender of a registration without one is taken from its first given
// name when that name is borne by one sex only (Cornelis, Cornelia; see
// cmpGender): twins Cornelis and Cornelia then differ in gender.
//
// Probable ("score") needs Thresholds.Probable.
func CompareWith(a, b Normalised, th Thresholds) Match { return compare(a, b, th).match() }

// scored is a Match with its fields in an array: Resolve compares many
// candidates and keeps few of the comparisons.
type scored struct {
	fields [5]FieldScore // bsn, surname, given, birth_date, gender
	score  float64
	grade  Grade
	rule   string
}

func (s scored) match() Match {
	return Match{Grade: s.grade, Score: s.score, Fields: append([]FieldScore(nil), s.fields[:]...), Rule: s.rule}
}

func compare(a, b Normalised, th Thresholds) scored {
	bsn := cmpBSN(a, b)
	sur := cmpSurname(a, b)
	given := cmpGiven(a, b)
	date := cmpDate(a, b)
	gender := cmpGender(a, b)
	m := scored{fields: [5]FieldScore{bsn, sur, given, date, gender}}
	for _, f := range m.fields {
		m.score += f.Weight
	}
	nameAgrees := sur.Outcome == Equal || sur.Outcome == Similar
	dateExact := date.Outcome == Equal
	yearsApart := a.Year > 0 && b.Year > 0 && abs(a.Year-b.Year) >= th.ParentChildYears &&
		date.Detail != "one-digit" && date.Detail != "day-month-swapped"
	set := func(g Grade, rule string) scored { m.grade, m.rule = g, rule; return m }

	switch bsn.Outcome {
	case Equal:
		if given.Outcome == Differ || (sur.Outcome == Differ && date.Outcome == Differ) || yearsApart {
			return set(Probable, "bsn-conflict")
		}
		dateAgrees := date.Outcome == Equal || date.Outcome == Similar
		switch {
		case nameAgrees && dateAgrees:
			return set(Certain, "bsn+name+dob")
		case nameAgrees:
			return set(Certain, "bsn+name")
		case dateExact || date.Detail == "day-month-swapped":
			return set(Certain, "bsn+dob")
		}
		return set(Probable, "bsn-conflict")
	case Differ:
		if sur.Outcome == Equal && given.Outcome == Equal && dateExact && gender.Outcome != Differ {
			return set(Probable, "bsn-differ-review")
		}
		return set(None, "bsn-differ")
	}
	if nameAgrees && dateExact && (given.Outcome == Differ || gender.Outcome == Differ) {
		return set(None, "twins")
	}
	if nameAgrees && given.Outcome != Differ && yearsApart {
		return set(None, "parent-child")
	}
	// A single equal initial with an unknown gender is what twins Stefano
	// and Serena ("S.") share: it needs the gender equal to link.
	singleInitial := given.Detail == "initials" && len(a.Initials) == 1 && gender.Outcome != Equal
	strong := nameAgrees && dateExact && gender.Outcome != Differ && !singleInitial &&
		(given.Outcome == Equal || given.Detail == "first-name" ||
			(given.Detail == "first-name-typo" && a.FirstNames[0][0] == b.FirstNames[0][0]) ||
			(given.Detail == "initials-prefix" && gender.Outcome == Equal))
	if strong && m.score >= th.Certain {
		return set(Certain, "name+dob")
	}
	if sur.Outcome == Equal && given.Outcome == Equal && gender.Outcome == Equal &&
		date.Detail == "day-month-swapped" && (givenCount(a, given) >= 2 || !commonSurname(a.Surname)) {
		return set(Certain, "name+dob-swapped")
	}
	if m.score >= th.Probable {
		switch {
		case nearName(a, b, sur, given, date, gender):
			return set(Probable, "name+dob-near")
		case marriedName(a, b, sur, given, date, gender) && given.Detail == "first-names" && len(a.FirstNames) >= 2:
			return set(Probable, "given+dob")
		case initialName(a, b, sur, given, date, gender):
			return set(Probable, "initial+dob-near")
		case partnerName(sur, given, date, gender):
			return set(Probable, "given+dob")
		}
	}
	if m.score >= th.Probable {
		return set(Probable, "score")
	}
	return set(None, "score")
}

// givenCount is the number of given names or initials that agree when
// given is Equal, else 0.
func givenCount(a Normalised, given FieldScore) int {
	switch {
	case given.Outcome != Equal:
		return 0
	case given.Detail == "first-names":
		return len(a.FirstNames)
	}
	return len(a.Initials)
}

// nearDate reports whether the birth dates differ in a way that admits few
// alternatives: one digit of day, month or the last digit of the year, or an
// unknown day or month with the rest equal. A wrong tens digit of the year is
// not near: with the same names it is as likely a parent or a child.
func nearDate(a, b Normalised, date FieldScore) bool {
	switch date.Detail {
	case "day-month-swapped":
		return true
	case "one-digit":
		return a.FullDate() && b.FullDate() && abs(a.Year-b.Year) < 10
	case "partial-month", "partial-year":
		return true
	}
	return false
}

// nearName is the pair condition of the rule "name+dob-near".
func nearName(a, b Normalised, sur, given, date, gender FieldScore) bool {
	if sur.Outcome != Equal || !nearDate(a, b, date) || gender.Outcome == Differ {
		return false
	}
	n := givenCount(a, given)
	return n >= 2 || n == 1 && given.Detail == "first-names" && gender.Outcome == Equal
}

// initialName is the pair condition of the rule "initial+dob-near": the
// surname and the gender equal, the birth date near (see nearDate; not an
// unknown month), and the given names agreeing only in one equal initial or
// in the first given name written out on both sides.
func initialName(a, b Normalised, sur, given, date, gender FieldScore) bool {
	if sur.Outcome != Equal || gender.Outcome != Equal || date.Detail == "partial-year" || !nearDate(a, b, date) {
		return false
	}
	return given.Outcome == Equal && given.Detail == "initials" && len(a.Initials) == 1 || given.Detail == "first-name"
}

// partnerName reports whether one registration carries the other's surname
// as the partner's surname (or both carry the same partner's surname only),
// with the full birth date, the gender and the given names or initials equal.
func partnerName(sur, given, date, gender FieldScore) bool {
	return sur.Detail == "partner-surname" && date.Outcome == Equal && gender.Outcome == Equal && given.Outcome == Equal
}

// marriedName reports whether the surnames disagree as a married name would
// (both sides carry a surname, but they differ or one side has only the
// partner's name) while the full birth date, the given names and the gender
// are equal.
func marriedName(a, b Normalised, sur, given, date, gender FieldScore) bool {
	return (sur.Outcome == Differ || sur.Outcome == Missing) &&
		a.Surname+a.PartnerSurname != "" && b.Surname+b.PartnerSurname != "" &&
		date.Outcome == Equal && gender.Outcome == Equal && given.Outcome == Equal
}

func cmpBSN(a, b Normalised) FieldScore {
	f := FieldScore{Field: "bsn", Outcome: Missing}
	switch {
	case a.BSN != "" && b.BSN != "" && a.BSN == b.BSN:
		f.Outcome, f.Weight = Equal, wBSNEqual
	case a.BSN != "" && b.BSN != "":
		f.Outcome, f.Weight = Differ, wBSNDiffer
	case a.BSNInvalid || b.BSNInvalid:
		f.Detail = "invalid"
	}
	return f
}

func cmpSurname(a, b Normalised) FieldScore {
	f := FieldScore{Field: "surname"}
	if (a.Surname == "" && a.PartnerSurname == "") || (b.Surname == "" && b.PartnerSurname == "") {
		f.Outcome = Missing
		return f
	}
	if a.Surname != "" && b.Surname != "" {
		if a.Surname == b.Surname || key(a.Prefix)+a.Surname == key(b.Prefix)+b.Surname {
			f.Outcome, f.Weight = Equal, wSurnameEqual
			return f
		}
		if similarName(a.Surname, b.Surname) {
			f.Outcome, f.Detail, f.Weight = Similar, "typo", wSurnameTypo
			return f
		}
		for _, p := range a.SurnameParts {
			for _, q := range b.SurnameParts {
				if len(p) >= 3 && len(q) >= 3 && (p == q || similarName(p, q)) {
					f.Outcome, f.Detail, f.Weight = Similar, "double-name-part", wSurnamePart
					return f
				}
			}
		}
	}
	if overlap(a.SurnameParts, b.PartnerParts) || overlap(b.SurnameParts, a.PartnerParts) ||
		(a.Surname == "" || b.Surname == "") && overlap(a.PartnerParts, b.PartnerParts) {
		f.Outcome, f.Detail, f.Weight = Similar, "partner-surname", wSurnamePartner
		return f
	}
	if a.Surname == "" || b.Surname == "" {
		f.Outcome = Missing
		return f
	}
	f.Outcome, f.Weight = Differ, wSurnameDiffer
	return f
}

func cmpGiven(a, b Normalised) FieldScore {
	f := FieldScore{Field: "given"}
	ia, ib := a.Initials, b.Initials
	if ia == "" || ib == "" {
		f.Outcome = Missing
		return f
	}
	compatible := strings.HasPrefix(ia, ib) || strings.HasPrefix(ib, ia)
	if len(a.FirstNames) > 0 && len(b.FirstNames) > 0 {
		if slices.Equal(a.FirstNames, b.FirstNames) {
			f.Outcome, f.Detail, f.Weight = Equal, "first-names", wFirstNamesEqual
			return f
		}
		fa, fb := a.FirstNames[0], b.FirstNames[0]
		switch {
		case fa == fb:
			f.Outcome, f.Detail, f.Weight = Similar, "first-name", wFirstNameSimilar
			return f
		case JaroWinkler(fa, fb) >= 0.9:
			f.Outcome, f.Detail, f.Weight = Similar, "first-name-typo", wFirstNameSimilar
			return f
		}
		f.Outcome, f.Detail, f.Weight = Differ, "first-name", wGivenDiffer
		return f
	}
	switch {
	case ia == ib:
		f.Outcome, f.Detail, f.Weight = Equal, "initials", wInitialsEqual
	case compatible:
		f.Outcome, f.Detail, f.Weight = Similar, "initials-prefix", wInitialsPrefix
	case ia[0] == ib[0]:
		f.Outcome, f.Detail, f.Weight = Similar, "first-initial", wFirstInitial
	default:
		f.Outcome, f.Detail, f.Weight = Differ, "initials", wGivenDiffer
	}
	return f
}

func cmpDate(a, b Normalised) FieldScore {
	f := FieldScore{Field: "birth_date"}
	if a.Year == 0 || b.Year == 0 {
		f.Outcome = Missing
		return f
	}
	if a.FullDate() && b.FullDate() {
		da := a.Year*10000 + a.Month*100 + a.Day
		db := b.Year*10000 + b.Month*100 + b.Day
		switch {
		case da == db:
			f.Outcome, f.Detail, f.Weight = Equal, "exact", wDateExact
		case a.Year == b.Year && a.Day == b.Month && a.Month == b.Day:
			f.Outcome, f.Detail, f.Weight = Similar, "day-month-swapped", wDateSwapped
		case digitsDiffer(da, db) == 1:
			f.Outcome, f.Detail, f.Weight = Similar, "one-digit", wDateOneDigit
		default:
			f.Outcome, f.Weight = Differ, wDateDiffer
		}
		return f
	}
	// Partial dates: compare only the parts known on both sides.
	if a.Year != b.Year {
		f.Outcome, f.Weight = Differ, wDateDiffer
		if digitsDiffer(a.Year, b.Year) == 1 && a.Month == b.Month {
			f.Outcome, f.Detail, f.Weight = Similar, "one-digit", wDateYear
		}
		return f
	}
	f.Outcome, f.Detail, f.Weight = Similar, "partial-year", wDateYear
	if a.Month > 0 && b.Month > 0 {
		if a.Month != b.Month {
			f.Outcome, f.Detail, f.Weight = Differ, "month", wDateDiffer
			return f
		}
		f.Detail, f.Weight = "partial-month", wDateYearMonth
	}
	return f
}

// cmpGender compares the genders. A gender that is not recorded is taken
// from the first given name when that name is borne by one sex only
// (nameGender; Detail "first-name"): Cornelis and Cornelia, twins, differ
// even without a recorded gender.
func cmpGender(a, b Normalised) FieldScore {
	f := FieldScore{Field: "gender", Outcome: Missing}
	ga, gb := a.Gender, b.Gender
	if ga == "" {
		ga = nameGender(a)
		f.Detail = "first-name"
	}
	if gb == "" {
		gb = nameGender(b)
		f.Detail = "first-name"
	}
	switch {
	case ga == "" || gb == "":
		f.Detail = ""
	case ga == gb:
		f.Outcome, f.Weight = Equal, wGenderEqual
	default:
		f.Outcome, f.Weight = Differ, wGenderDiffer
	}
	return f
}

// similarName reports whether two name keys differ by a typo: one edit
// (insertion, deletion, substitution or transposition of neighbours) for keys
// of four letters or more, two edits from eight letters.
func similarName(a, b string) bool {
	n := min(len(a), len(b))
	switch {
	case n < 4:
		return false
	case n < 8:
		return EditDistance(a, b) <= 1
	}
	return EditDistance(a, b) <= 2
}

// EditDistance is the optimal-string-alignment distance between a and b: the
// number of insertions, deletions, substitutions and transpositions of
// neighbouring letters (bytes) that turn a into b.
func EditDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b (bytes), from 0
// (nothing in common) to 1 (equal), with the usual prefix scale 0.1 over at
// most four letters.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if a == "" || b == "" {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	ma := make([]bool, len(a))
	mb := make([]bool, len(b))
	matches := 0
	for i := range len(a) {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := range len(a) {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(len(a)) + m/float64(len(b)) + (m-float64(trans/2))/m) / 3
	prefix := 0
	for prefix < min(4, len(a), len(b)) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// digitsDiffer counts the decimal digits in which a and b differ, from the
// right; a and b are dates as YYYYMMDD or years, with as many digits.
func digitsDiffer(a, b int) int {
	n := 0
	for a > 0 || b > 0 {
		if a%10 != b%10 {
			n++
		}
		a, b = a/10, b/10
	}
	return n
}

func overlap(a, b []string) bool {
	for _, x := range a {
		if len(x) >= 3 && contains(b, x) {
			return true
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
