// Package quality measures client recognition: it generates partner
// registrations with realistic noise and a known truth, clusters them with
// the identity package and reports precision, recall, false merges and the
// size of the review queue.
package quality

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Person is one true person of the generator.
type Person struct {
	ID             string
	BSN            string // valid test BSN, or "" when the person has none
	FirstNames     string
	Prefix         string // voorvoegsel, lower case
	Surname        string // own birth surname without voorvoegsel
	BirthDate      string // YYYYMMDD, "00" for unknown parts
	Gender         string // "man", "vrouw" or "onbekend"
	PartnerPrefix  string
	PartnerSurname string // "" when the person uses no partner's name
}

// Labelled is a generated registration with its ground truth.
type Labelled struct {
	PersonID  string
	Partner   string
	RecordKey string
	Client    sdk.Client
}

// GenConfig configures Generate.
type GenConfig struct {
	PersonsCSV    string // persons_extract.csv of the RvIG test persons; "" for synthetic persons only
	Registrations int    // number of registrations to produce
	Synthetic     int    // number of synthetic persons besides twins and parent/child pairs
	TwinPairs     int    // pairs of twins: same surname and birth date; of one sex with different first initials
	ParentChild   int    // parent/child pairs with the same first names and surname
	Seed          uint64
}

// LoadPersons reads persons_extract.csv (lg_id, anummer, bsn, voornamen,
// voorvoegsel, geslachtsnaam, geboortedatum, geslacht, bsn_11proef). It keeps
// the first row of each BSN (later rows are historical versions) and skips
// rows whose BSN fails the elfproef. It returns an error when the file cannot
// be read or has an unexpected header.
func LoadPersons(path string) ([]Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load persons: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("load persons: %w", err)
	}
	if len(head) < 8 || head[2] != "bsn" || head[5] != "geslachtsnaam" {
		return nil, errors.New("load persons: unexpected header")
	}
	seen := map[string]bool{}
	var out []Person
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load persons: line %d: %w", line, err)
		}
		bsn, ok := identity.CheckBSN(rec[2])
		if !ok || seen[bsn] || strings.TrimSpace(rec[5]) == "" {
			continue
		}
		seen[bsn] = true
		date := rec[6]
		if len(date) != 8 {
			date = "00000000"
		}
		g := map[string]string{"M": "man", "V": "vrouw"}[rec[7]]
		if g == "" {
			g = "onbekend"
		}
		out = append(out, Person{
			ID: "rvig-" + rec[1], BSN: bsn, FirstNames: rec[3], Prefix: strings.ToLower(strings.TrimSpace(rec[4])),
			Surname: strings.TrimSpace(rec[5]), BirthDate: date, Gender: g,
		})
	}
}

type gen struct {
	r       *rand.Rand
	bsns    map[string]bool
	persons []Person
	local   []int // surname ranks that are common in the region (see pLocalSurname)
}

// Regional surnames: surnames cluster by region (the -stra and -sma names of
// Friesland, -ink in Twente and the Achterhoek: the distribution maps of the
// Nederlandse Familienamenbank), so a name that is rare in the country may be
// borne by several clients of one chain. pLocalSurname of the synthetic
// persons take a surname from localSurnames ranks drawn once per region
// between the listed names and rank localSurnameRank (some 100 to 5,000
// bearers in the country), which makes each of them about ten times as
// frequent in the region as in the country.
const (
	pLocalSurname    = 0.10
	localSurnames    = 200
	localSurnameRank = 20_000
)

// Generate produces cfg.Registrations registrations over several partners
// from the RvIG test persons and synthetic persons, each labelled with its
// true person. The same Seed gives the same output. Every person gets at
// least one registration while registrations last; the rest are spread at
// random, so most persons appear at two or three partners. It returns an
// error when the persons file cannot be loaded.
func Generate(cfg GenConfig) ([]Labelled, error) {
	_, regs, err := GenerateSet(cfg)
	return regs, err
}

// GenerateSet is Generate, and returns the persons of the region too: the
// ground truth behind the labels.
func GenerateSet(cfg GenConfig) ([]Person, []Labelled, error) {
	g, err := newGen(cfg)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Labelled, 0, cfg.Registrations)
	for i := range cfg.Registrations {
		p := g.persons[i%len(g.persons)]
		if i >= len(g.persons) {
			p = g.persons[g.r.IntN(len(g.persons))]
		}
		pr := partners[g.r.IntN(len(partners))]
		out = append(out, Labelled{PersonID: p.ID, Partner: pr.name, RecordKey: fmt.Sprintf("%s-%06d", pr.name, i), Client: g.register(p, pr)})
	}
	return g.persons, out, nil
}

// newGen draws the persons of cfg: the distinguishable RvIG test persons,
// then synthetic persons, twins and parent/child pairs, none of whom shares
// the minimal identity of another (see minimal).
func newGen(cfg GenConfig) (*gen, error) {
	g := &gen{r: rand.New(rand.NewPCG(cfg.Seed, 0x6b6574656e)), bsns: map[string]bool{}}
	for range localSurnames {
		g.local = append(g.local, len(commonSurnameRanks)+g.r.IntN(localSurnameRank-len(commonSurnameRanks)))
	}
	if cfg.PersonsCSV != "" {
		ps, err := LoadPersons(cfg.PersonsCSV)
		if err != nil {
			return nil, err
		}
		for _, p := range distinguishable(ps) {
			g.bsns[p.BSN] = true
			g.persons = append(g.persons, p)
		}
	}
	taken := map[string]bool{}
	for _, p := range g.persons {
		taken[minimal(p)] = true
	}
	// free reports whether p can be told apart from every person so far,
	// and if so takes its minimal identity.
	free := func(p Person) bool {
		k := minimal(p)
		if taken[k] {
			return false
		}
		taken[k] = true
		return true
	}
	first := len(g.persons)
	for range cfg.Synthetic {
		p := g.synthetic("")
		sibling := len(g.persons) > first && g.r.Float64() < pSibling
		if sibling {
			p = g.sibling(g.persons[first+g.r.IntN(len(g.persons)-first)])
		}
		for !free(p) {
			p = g.synthetic("")
			if sibling {
				p = g.sibling(g.persons[first+g.r.IntN(len(g.persons)-first)])
			}
		}
		g.persons = append(g.persons, p)
	}
	for i := range cfg.TwinPairs {
		a := g.synthetic("")
		for !free(a) {
			a = g.synthetic("")
		}
		var b Person
		for {
			b = g.synthetic(a.Gender)
			if g.r.IntN(3) == 0 {
				b = g.synthetic(other(a.Gender))
			}
			// Twins of one sex differ in their first initial (else only a
			// BSN tells them apart: see minimal); a boy and a girl often
			// share it (Daan and Dewi).
			alike := b.Gender != a.Gender && g.r.Float64() < pTwinsAlike
			for tries := 0; (b.FirstNames[0] == a.FirstNames[0]) != alike && tries < 1000; tries++ {
				b.FirstNames = g.firstNames(b.Gender)
			}
			b.Surname, b.Prefix, b.BirthDate, b.PartnerSurname, b.PartnerPrefix = a.Surname, a.Prefix, a.BirthDate, "", ""
			if free(b) {
				break
			}
		}
		a.ID, b.ID = fmt.Sprintf("twin-%d-a", i), fmt.Sprintf("twin-%d-b", i)
		g.persons = append(g.persons, a, b)
	}
	for i := range cfg.ParentChild {
		p := g.synthetic("")
		for !free(p) {
			p = g.synthetic("")
		}
		c := p
		c.BSN = g.newBSN()
		c.PartnerSurname, c.PartnerPrefix = "", ""
		for {
			y := atoi(p.BirthDate[:4]) + 18 + g.r.IntN(25)
			c.BirthDate = fmt.Sprintf("%04d%s", y, g.date()[4:])
			if free(c) {
				break
			}
		}
		p.ID, c.ID = fmt.Sprintf("parent-%d", i), fmt.Sprintf("child-%d", i)
		g.persons = append(g.persons, p, c)
	}
	return g, nil
}

// minimal is the minimal identity of the chain without a BSN: own surname,
// first initial, birth date and gender (see docs/identity.md). Two persons
// who share it cannot be told apart by the hub unless both carry a BSN, so a
// ground truth that calls them different is not decidable; Generate draws a
// synthetic person again when its minimal identity is taken.
func minimal(p Person) string {
	n := identity.Normalise(clean(p))
	first := ""
	if n.Initials != "" {
		first = n.Initials[:1]
	}
	return fmt.Sprintf("%s|%s|%04d%02d%02d|%s", n.Surname, first, n.Year, n.Month, n.Day, n.Gender)
}

// distinguishable drops the RvIG look-alikes: the test set holds deliberate
// near-duplicates of different persons (same surname, first name and birth
// date, or one letter apart) for testing search. Without a BSN no rule can
// tell those apart, so a ground truth that calls them different is not
// decidable. A person is dropped when its clean registration (no BSN)
// compares Probable or Certain with a person kept earlier, with its first
// names or with its initials only (twins Remi and Romeo are both "R."), or
// when it shares surname, first initial, gender and the month of birth with a
// person kept earlier: the set holds brothers born 13 days apart (Horatio and
// Hendrik Bultenaar), which no two people but twins are, and twins share the
// day too; a registration of either without the day of birth (one in
// twenty-five) is the other's.
func distinguishable(ps []Person) []Person {
	var kept []Person
	var norms []identity.Normalised
	index := map[string][]int{}
	months := map[string]bool{}
	for _, p := range ps {
		c := clean(p)
		c.BSN = ""
		n := identity.Normalise(c)
		first := ""
		if n.Initials != "" {
			first = n.Initials[:1]
		}
		month := fmt.Sprintf("%s|%s|%04d%02d|%s", n.Surname, first, n.Year, n.Month, n.Gender)
		if n.Day > 0 && months[month] {
			continue
		}
		c.FirstNames, c.Initials = "", initials(p.FirstNames)
		short := identity.Normalise(c)
		keys := identity.BlockingKeys(n)
		lookalike := false
		for _, k := range keys {
			for _, j := range index[k] {
				for _, x := range []identity.Normalised{n, short} {
					if identity.Compare(norms[j], x).Grade != identity.None {
						lookalike = true
					}
				}
			}
		}
		if lookalike {
			continue
		}
		for _, k := range keys {
			index[k] = append(index[k], len(kept))
		}
		kept = append(kept, p)
		norms = append(norms, n)
		months[month] = true
	}
	return kept
}

// clean is the registration of p without noise.
func clean(p Person) sdk.Client {
	d := p.BirthDate
	date := d[:4] + "-" + d[4:6] + "-" + d[6:]
	switch {
	case d[:4] == "0000":
		date = ""
	case d[4:6] == "00":
		date = d[:4]
	case d[6:] == "00":
		date = d[:4] + "-" + d[4:6]
	}
	return sdk.Client{BSN: p.BSN, Surname: p.Surname, SurnamePrefix: p.Prefix, FirstNames: p.FirstNames,
		BirthDate: date, Gender: p.Gender}
}

// partner is the registration habit of one kind of partner.
type partner struct {
	name           string
	bsn            float64 // share of registrations with a BSN
	initialsOnly   float64 // share with initials instead of first names
	prefixInName   float64 // share with the voorvoegsel inside the surname field
	partnerField   float64 // share of married persons whose partner's name is in its own field
	genderMissing  float64
	dateSeparators bool
}

var partners = []partner{
	{name: "gemeente-szw", bsn: 0.9, initialsOnly: 0.2, prefixInName: 0.1, partnerField: 0.8, genderMissing: 0.02},
	{name: "ggz-oost", bsn: 0.7, initialsOnly: 0.4, prefixInName: 0.2, partnerField: 0.5, genderMissing: 0.05},
	{name: "opvang-zuid", bsn: 0.3, initialsOnly: 0.6, prefixInName: 0.8, partnerField: 0.1, genderMissing: 0.2},
	{name: "verslavingszorg", bsn: 0.5, initialsOnly: 0.5, prefixInName: 0.4, partnerField: 0.3, genderMissing: 0.1},
	{name: "politie", bsn: 0.6, initialsOnly: 0.3, prefixInName: 0.5, partnerField: 0.2, genderMissing: 0.05},
	{name: "amw", bsn: 0.4, initialsOnly: 0.5, prefixInName: 0.5, partnerField: 0.3, genderMissing: 0.15},
}

// Noise rates per registration.
const (
	pBSNDigitWrong  = 0.03 // a BSN with one wrong digit (fails the elfproef)
	pBSNOfOther     = 0.01 // the valid BSN of another person
	pMarriedName    = 0.5  // a person with a partner registered under a married name
	pSurnameTypo    = 0.08 // transposition, dropped or doubled letter
	pFirstNameTypo  = 0.04
	pCallNameOnly   = 0.15 // only the first given name
	pUpperCase      = 0.1
	pNoDiacritics   = 0.3
	pDaySwap        = 0.03 // day and month swapped
	pDateDigitWrong = 0.03
	pDayUnknown     = 0.04
	pMonthUnknown   = 0.01
	pDateMissing    = 0.01
)

func (g *gen) register(p Person, pr partner) sdk.Client {
	r := g.r
	var c sdk.Client
	if p.BSN != "" && r.Float64() < pr.bsn {
		c.BSN = p.BSN
		switch x := r.Float64(); {
		case x < pBSNDigitWrong:
			c.BSN = oneDigit(r, p.BSN)
		case x < pBSNDigitWrong+pBSNOfOther:
			c.BSN = g.persons[r.IntN(len(g.persons))].BSN
		}
	}
	first := p.FirstNames
	if r.Float64() < pFirstNameTypo {
		first = typo(r, first)
	}
	switch x := r.Float64(); {
	case x < pr.initialsOnly:
		c.Initials = initials(first)
	case x < pr.initialsOnly+pCallNameOnly:
		if w := strings.Fields(first); len(w) > 0 {
			c.FirstNames = w[0]
		}
	default:
		c.FirstNames = first
	}
	own := p.Surname
	if r.Float64() < pSurnameTypo {
		own = typo(r, own)
	}
	prefix := p.Prefix
	if p.PartnerSurname != "" && r.Float64() < pMarriedName {
		withField := r.Float64() < pr.partnerField
		if withField {
			c.PartnerSurname, c.PartnerSurnamePrefix = p.PartnerSurname, p.PartnerPrefix
		}
		switch r.IntN(3) {
		case 0: // the partner's name only
			own, prefix = p.PartnerSurname, p.PartnerPrefix
		case 1: // partner's name first, own name after it
			own = joinPrefix(p.PartnerPrefix, p.PartnerSurname) + "-" + joinPrefix(prefix, own)
			prefix = ""
		}
	}
	switch x := r.Float64(); {
	case prefix == "" || x >= pr.prefixInName:
		c.Surname, c.SurnamePrefix = own, prefix
	case x < pr.prefixInName/3:
		c.Surname = own + ", " + prefix
	case x < 2*pr.prefixInName/3:
		c.Surname = strings.ToUpper(prefix[:1]) + prefix[1:] + " " + own
	default:
		c.Surname = prefix + " " + own
	}
	if r.Float64() < pUpperCase {
		c.Surname = strings.ToUpper(c.Surname)
	}
	if r.Float64() < pNoDiacritics {
		c.Surname, c.FirstNames = ascii(c.Surname), ascii(c.FirstNames)
	}
	c.BirthDate = g.noisyDate(p.BirthDate)
	if r.Float64() >= pr.genderMissing {
		c.Gender = p.Gender
	}
	return c
}

func (g *gen) noisyDate(d string) string {
	r := g.r
	y, m, dd := d[:4], d[4:6], d[6:]
	x := r.Float64()
	switch {
	case y == "0000" || x < pDateMissing:
		return ""
	case m != "00" && dd != "00" && dd <= "12" && dd != m && x < pDateMissing+pDaySwap:
		m, dd = dd, m
	case m != "00" && dd != "00" && x < pDateMissing+pDaySwap+pDateDigitWrong:
		for range 20 {
			s := oneDigit(r, d)
			if validDate(s) {
				y, m, dd = s[:4], s[4:6], s[6:]
				break
			}
		}
	case x < pDateMissing+pDaySwap+pDateDigitWrong+pMonthUnknown:
		m, dd = "00", "00"
	case x < pDateMissing+pDaySwap+pDateDigitWrong+pMonthUnknown+pDayUnknown:
		dd = "00"
	}
	switch {
	case m == "00":
		return y
	case dd == "00":
		return y + "-" + m
	}
	return y + "-" + m + "-" + dd
}

// validDate reports whether YYYYMMDD is a plausible full birth date.
func validDate(s string) bool {
	y, m, d := atoi(s[:4]), atoi(s[4:6]), atoi(s[6:])
	return y >= 1880 && y <= 2025 && m >= 1 && m <= 12 && d >= 1 && d <= 28
}

// pTwinsAlike is the share of twins of a boy and a girl whose first names
// begin with the same letter: parents often choose names for twins that go
// together (G. Bloothooft, "Naamgeving binnen Nederlandse gezinnen tussen
// 1983 en 1999"). No source gives the share; a fifth is a guess that keeps
// such twins in every run.
const pTwinsAlike = 0.2

// pSibling is the share of synthetic persons who are a brother or sister of
// an earlier synthetic person: care chains often serve several members of a
// family, and siblings are the namesakes that a rare surname does not rule
// out.
const pSibling = 0.15

// synthetic draws a person of the gender ("" for either) with a surname and
// first names of Dutch frequencies (names.go), a birth date between 1935 and
// 2006, a BSN (nine in ten) and, for some women born before 1995, a
// partner's name.
func (g *gen) synthetic(gender string) Person {
	if gender == "" {
		gender = []string{"man", "vrouw"}[g.r.IntN(2)]
	}
	rank := surnameRank(g.r)
	if g.r.Float64() < pLocalSurname {
		rank = g.local[g.r.IntN(len(g.local))]
	}
	prefix, surname := splitPrefix(surnameOfRank(rank))
	p := Person{
		ID: fmt.Sprintf("synth-%d", len(g.persons)+g.r.IntN(1<<30)), BSN: g.newBSN(), FirstNames: g.firstNames(gender),
		Prefix: prefix, Surname: surname, BirthDate: g.date(), Gender: gender,
	}
	if g.r.IntN(10) == 0 {
		p.BSN = "" // no BSN known anywhere, as with undocumented clients
	}
	if gender == "vrouw" && atoi(p.BirthDate[:4]) < 1995 && g.r.Float64() < 0.4 {
		p.PartnerPrefix, p.PartnerSurname = splitPrefix(surnameOfRank(surnameRank(g.r)))
	}
	return p
}

// sibling draws a brother or sister of s: the same surname, other given
// names (by chance with the same initial), born one to twelve years earlier
// or later on another day.
func (g *gen) sibling(s Person) Person {
	p := g.synthetic("")
	p.Prefix, p.Surname = s.Prefix, s.Surname
	y := atoi(s.BirthDate[:4]) + (1+g.r.IntN(12))*(1-2*g.r.IntN(2))
	y = min(max(y, 1935), 2006)
	if y == atoi(s.BirthDate[:4]) {
		y++
	}
	p.BirthDate = fmt.Sprintf("%04d%s", y, g.date()[4:])
	for strings.Fields(p.FirstNames)[0] == strings.Fields(s.FirstNames)[0] {
		p.FirstNames = g.firstNames(p.Gender)
	}
	if atoi(p.BirthDate[:4]) >= 1995 {
		p.PartnerPrefix, p.PartnerSurname = "", ""
	}
	return p
}

// firstNames draws one to four given names: one in two persons has one, one
// in four two, and so on.
func (g *gen) firstNames(gender string) string {
	names := []string{firstName(g.r, gender)}
	for g.r.IntN(2) == 0 && len(names) < 4 {
		n := firstName(g.r, gender)
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

func (g *gen) date() string {
	return fmt.Sprintf("%04d%02d%02d", 1935+g.r.IntN(72), 1+g.r.IntN(12), 1+g.r.IntN(28))
}

func (g *gen) newBSN() string {
	for {
		s := fmt.Sprintf("%09d", 100000000+g.r.IntN(800000000))
		if b, ok := identity.CheckBSN(s); ok && !g.bsns[b] {
			g.bsns[b] = true
			return b
		}
	}
}

// typo applies one transposition, dropped letter or doubled letter.
func typo(r *rand.Rand, s string) string {
	b := []rune(s)
	if len(b) < 3 {
		return s
	}
	i := r.IntN(len(b) - 1)
	switch r.IntN(3) {
	case 0:
		b[i], b[i+1] = b[i+1], b[i]
	case 1:
		b = append(b[:i], b[i+1:]...)
	default:
		b = append(b[:i+1], b[i:]...)
	}
	return string(b)
}

// oneDigit replaces one digit of s by another.
func oneDigit(r *rand.Rand, s string) string {
	b := []byte(s)
	i := r.IntN(len(b))
	b[i] = byte('0' + (int(b[i]-'0')+1+r.IntN(9))%10)
	return string(b)
}

func initials(first string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(first, func(r rune) bool { return r == ' ' || r == '-' }) {
		rs := []rune(w)
		b.WriteString(strings.ToUpper(string(rs[0])) + ".")
	}
	return b.String()
}

var asciiFold = strings.NewReplacer("é", "e", "ë", "e", "è", "e", "ê", "e", "ï", "i", "ı", "i", "İ", "I",
	"ö", "o", "Ö", "O", "ü", "u", "ç", "c", "Ç", "C", "á", "a", "à", "a", "ä", "a", "ø", "o", "ł", "l", "ñ", "n")

func ascii(s string) string { return asciiFold.Replace(s) }

func splitPrefix(full string) (prefix, surname string) {
	w := strings.Fields(full)
	for i := len(w) - 1; i > 0; i-- {
		if strings.ToLower(w[i-1]) == w[i-1] {
			return strings.Join(w[:i], " "), strings.Join(w[i:], " ")
		}
	}
	return "", full
}

func joinPrefix(prefix, s string) string {
	if prefix == "" {
		return s
	}
	return prefix + " " + s
}

func other(gender string) string {
	if gender == "man" {
		return "vrouw"
	}
	return "man"
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
