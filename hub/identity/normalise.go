package identity

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Normalised is the comparable form of a client identity. All name fields
// are folded: lower case, diacritics removed (é→e, ø→o, ł→l, ß→ss), only the
// letters a–z kept, and the Dutch "ij" written as "y" so that Bijl and Byl
// agree. Name keys carry no spaces, hyphens or voorvoegsel.
//
// Dutch conventions applied (see Normalise):
//   - Surname is the client's own birth surname without its voorvoegsel
//     ("van den Berg" → "berg", Prefix "van den"), wherever the voorvoegsel was
//     given: in SurnamePrefix, in front of the surname ("Van den Berg"), after
//     a comma ("Berg, van den"), or joined by a hyphen ("'s-Gravesande").
//   - A double name ("Jansen-de Vries") keeps its joined key ("jansenvries")
//     and its parts, each without its own voorvoegsel ("jansen", "vries").
//   - The partner's surname is kept apart. When a record also carries the
//     partner's surname and the surname field holds a combined married name
//     ("van den Berg-Jansen" with partner "van den Berg"), the partner's part is
//     removed and Surname becomes the own name ("jansen"). When the surname
//     field holds only the partner's name, the own surname is unknown.
//     Without a partner field a combined name cannot be taken apart safely
//     (it may be a birth double name); Compare then matches on its parts.
type Normalised struct {
	BSN            string   // valid nine-digit BSN, or "" when absent or invalid
	BSNInvalid     bool     // a BSN was given but failed the elfproef
	Surname        string   // own surname key, parts joined, e.g. "berg" or "jansenvries"
	Prefix         string   // voorvoegsel of the own surname, e.g. "van den"
	SurnameParts   []string // keys of the parts of a double name; one part for a single name
	PartnerSurname string   // partner's surname key
	PartnerParts   []string // keys of the parts of the partner's surname
	FirstNames     []string // folded given names in order; empty when only initials are known
	Initials       string   // one letter per given name, e.g. "ah"; from FirstNames when missing
	Year           int      // birth year, 0 when unknown
	Month          int      // birth month 1–12, 0 when unknown
	Day            int      // birth day 1–31, 0 when unknown
	Gender         string   // "m", "v" or "" when unknown
}

// FullDate reports whether year, month and day of birth are all known.
func (n Normalised) FullDate() bool { return n.Year > 0 && n.Month > 0 && n.Day > 0 }

// nameParts returns the own surname parts followed by the partner's parts.
func (n Normalised) nameParts() []string {
	out := make([]string, 0, len(n.SurnameParts)+len(n.PartnerParts))
	out = append(out, n.SurnameParts...)
	return append(out, n.PartnerParts...)
}

// prefixWords are the words that make up Dutch (and common foreign)
// voorvoegsels, after folding.
var prefixWords = map[string]bool{
	"van": true, "de": true, "der": true, "den": true, "het": true, "'t": true, "'s": true,
	"te": true, "ten": true, "ter": true, "in": true, "op": true, "aan": true, "bij": true,
	"uit": true, "uijt": true, "onder": true, "over": true, "voor": true, "tot": true,
	"toe": true, "thoe": true, "von": true, "vom": true, "zu": true, "zur": true, "du": true,
	"da": true, "das": true, "dos": true, "do": true, "di": true, "del": true, "della": true,
	"la": true, "le": true, "les": true, "l'": true, "d'": true, "el": true, "al": true,
	"vd": true, "v": true, "d": true, "t": true, "s": true,
}

// Normalise folds the identity fields of c into their comparable form; see
// Normalised for the conventions. It never fails: unusable fields become
// unknown.
func Normalise(c sdk.Client) Normalised {
	var n Normalised
	if strings.TrimSpace(c.BSN) != "" {
		if b, ok := CheckBSN(c.BSN); ok {
			n.BSN = b
		} else {
			n.BSNInvalid = true
		}
	}
	own := parseSurname(c.Surname, c.SurnamePrefix)
	partner := parseSurname(c.PartnerSurname, c.PartnerSurnamePrefix)
	n.PartnerSurname, n.PartnerParts = partner.key, partner.parts
	n.Prefix = own.prefix
	switch {
	case partner.key != "" && own.key == partner.key:
		// The surname field holds the married name only: own name unknown.
		n.Prefix = ""
	case partner.key != "" && len(own.parts) > 1:
		var rest []string
		for _, p := range own.parts {
			if !contains(partner.parts, p) && p != partner.key {
				rest = append(rest, p)
			}
		}
		if len(rest) == 0 || len(rest) == len(own.parts) {
			rest = own.parts
		} else {
			n.Prefix = "" // the leading voorvoegsel belonged to the partner's part
		}
		n.SurnameParts, n.Surname = rest, strings.Join(rest, "")
	default:
		n.SurnameParts, n.Surname = own.parts, own.key
	}
	n.FirstNames, n.Initials = parseGivenNames(c.FirstNames, c.Initials)
	n.Year, n.Month, n.Day = parseDate(c.BirthDate)
	n.Gender = parseGender(c.Gender)
	return n
}

type surname struct {
	key    string
	prefix string
	parts  []string
}

// parseSurname separates the voorvoegsel from a surname and splits a double
// name into its parts.
func parseSurname(raw, rawPrefix string) surname {
	s := fold(raw, true)
	prefix := words(fold(rawPrefix, true))
	// "Berg, van den": a trailing voorvoegsel after a comma.
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		tail := words(strings.ReplaceAll(s[i+1:], "-", " "))
		if len(tail) > 0 && allPrefix(tail) {
			if len(prefix) == 0 {
				prefix = tail
			}
			s = s[:i]
		}
	}
	s = strings.ReplaceAll(s, ",", " ")
	var parts []string
	var carry []string // a voorvoegsel joined to the next part by a hyphen ('s-Gravesande)
	for pi, part := range strings.Split(s, "-") {
		w := append(carry, words(part)...)
		carry = nil
		if len(w) > 0 && allPrefix(w) && pi < strings.Count(s, "-") {
			carry = w
			continue
		}
		lead := 0
		for lead < len(w)-1 && prefixWords[w[lead]] {
			lead++
		}
		if len(parts) == 0 && len(prefix) == 0 {
			prefix = w[:lead]
		}
		if k := key(strings.Join(w[lead:], "")); k != "" {
			parts = append(parts, k)
		}
	}
	return surname{key: strings.Join(parts, ""), prefix: strings.Join(prefix, " "), parts: parts}
}

// parseGivenNames returns the folded given names and the initials. Explicit
// initials win; they are read one per dot-separated token ("Th.J." is two
// initials) or one per capital when written without dots ("AH").
func parseGivenNames(rawFirst, rawInitials string) ([]string, string) {
	var names []string
	var ini strings.Builder
	for _, w := range words(strings.ReplaceAll(fold(rawFirst, false), ",", " ")) {
		for _, sub := range strings.Split(w, "-") {
			if k := key(sub); k != "" {
				ini.WriteByte(k[0])
			}
		}
		if k := key(w); k != "" {
			names = append(names, k)
		}
	}
	if strings.TrimSpace(rawInitials) == "" {
		return names, ini.String()
	}
	ini.Reset()
	dotted := strings.ContainsRune(rawInitials, '.')
	for _, tok := range strings.FieldsFunc(rawInitials, func(r rune) bool {
		return r == '.' || r == ' ' || r == '-' || r == ','
	}) {
		k := key(fold(tok, false))
		if k == "" {
			continue
		}
		if !dotted && tok == strings.ToUpper(tok) {
			ini.WriteString(k)
			continue
		}
		ini.WriteByte(k[0])
	}
	return names, ini.String()
}

// parseDate reads "YYYY-MM-DD", "YYYY-MM", "YYYY", "YYYYMMDD" or
// "DD-MM-YYYY", with "-", "/", "." or a space between the parts; zero or
// out-of-range parts are unknown, and so is everything after an unknown part.
func parseDate(raw string) (y, m, d int) {
	s := strings.TrimSpace(raw)
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == ' ' })
	switch {
	case len(f) == 1 && len(s) == 8:
		f = []string{s[:4], s[4:6], s[6:]}
	case len(f) == 3 && len(f[2]) == 4 && len(f[0]) <= 2:
		f = []string{f[2], f[1], f[0]}
	}
	num := func(i int) int {
		if i >= len(f) {
			return 0
		}
		v, err := strconv.Atoi(f[i])
		if err != nil {
			return 0
		}
		return v
	}
	y, m, d = num(0), num(1), num(2)
	if y < 1800 || y > 2200 {
		return 0, 0, 0
	}
	if m < 1 || m > 12 {
		return y, 0, 0
	}
	if d < 1 || d > 31 {
		d = 0
	}
	return y, m, d
}

func parseGender(raw string) string {
	switch fold(raw, false) {
	case "m", "man", "male", "1", "mannelijk", "jongen":
		return "m"
	case "v", "vrouw", "f", "female", "2", "vrouwelijk", "w", "meisje":
		return "v"
	}
	return ""
}

var foldSpecial = map[rune]string{
	'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'ŧ': "t", 'ß': "ss", 'æ': "ae", 'œ': "oe",
	'ı': "i", 'þ': "th", 'ħ': "h", 'ŀ': "l", '·': "",
}

// fold lower-cases s and removes diacritics. It keeps the letters a–z, the
// digits, hyphens, commas and (when keepApos) apostrophes; anything else
// becomes a space.
func fold(s string, keepApos bool) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToLower(strings.TrimSpace(s))) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == ',':
			b.WriteRune(r)
		case r == '\'' || r == '’' || r == '`':
			if keepApos {
				b.WriteByte('\'')
			}
		default:
			if rep, ok := foldSpecial[r]; ok {
				b.WriteString(rep)
			} else {
				b.WriteByte(' ')
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// words splits a folded string on spaces.
func words(s string) []string { return strings.Fields(s) }

// key keeps only the letters a–z of a folded string and writes "ij" as "y".
func key(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}
	return strings.ReplaceAll(b.String(), "ij", "y")
}

func allPrefix(w []string) bool {
	for _, x := range w {
		if !prefixWords[x] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
