package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The functions below are the straightforward forms of the normalisations
// that the mapper runs on every value, as they were before they were made to
// allocate less. FuzzNormalise holds the fast forms to them.

func foldRef(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func canonicalRef(enum []string, v string) (string, bool) {
	norm := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, strings.ToLower(strings.Join(strings.Fields(v), " ")))
	if slices.Contains(enum, norm) {
		return norm, true
	}
	return "", false
}

func isPrefixRef(s string) bool { return slices.Contains(prefixList, s) }

func splitSurnameRef(s string) (prefix, surname string) {
	s = normaliseName(s)
	if s == "" {
		return "", ""
	}
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		rest := strings.TrimSpace(s[:i])
		p := normalisePrefix(s[i+1:])
		if rest != "" && (p == "" || isPrefixRef(p)) {
			return p, rest
		}
		return "", s
	}
	if isPrefixRef(strings.ToLower(s)) {
		return "", s
	}
	words := splitGluedApostropheRef(strings.Fields(s))
	for n := min(maxPrefixWords, len(words)-1); n >= 1; n-- {
		if p := strings.ToLower(strings.Join(words[:n], " ")); isPrefixRef(p) {
			return p, strings.Join(words[n:], " ")
		}
	}
	for n := min(maxPrefixWords, len(words)-1); n >= 1; n-- {
		if p := strings.ToLower(strings.Join(words[len(words)-n:], " ")); isPrefixRef(p) {
			return p, strings.Join(words[:len(words)-n], " ")
		}
	}
	return "", strings.Join(words, " ")
}

func splitGluedApostropheRef(words []string) []string {
	var out []string
	for i, w := range words {
		lw := strings.ToLower(w)
		switch {
		case i == 0 && len(w) > 2 && (strings.HasPrefix(lw, "d'") || strings.HasPrefix(lw, "l'")):
			out = append(out, w[:2], w[2:])
		case len(w) > 2 && strings.HasSuffix(lw, "'t") && isPrefixRef(lw[:len(lw)-2]+" 't"):
			out = append(out, w[:len(w)-2], "'t")
		default:
			out = append(out, w)
		}
	}
	return out
}

func stripPrefixRef(prefix, surname string) string {
	words := strings.Fields(surname)
	n := len(strings.Fields(prefix))
	if n == 0 || len(words) <= n || strings.ToLower(strings.Join(words[:n], " ")) != prefix {
		return surname
	}
	return strings.Join(words[n:], " ")
}

func normaliseInitialsRef(s string) (string, bool) {
	rs := []rune(strings.TrimSpace(s))
	allLower := true
	for _, r := range rs {
		switch {
		case unicode.IsUpper(r):
			allLower = false
		case unicode.IsLetter(r), r == '.', r == ' ', r == '-', r == '\t':
		default:
			return "", false
		}
	}
	if allLower {
		rs = []rune(strings.ToUpper(string(rs)))
	}
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if !unicode.IsLetter(r) {
			continue
		}
		j := i + 1
		for j < len(rs) && unicode.IsLower(rs[j]) {
			j++
		}
		word := string(rs[i:j])
		switch {
		case !unicode.IsUpper(r):
			b.WriteRune(unicode.ToUpper(r))
			i = j - 1
		case word == "Ij" || (r == 'I' && j == i+1 && j < len(rs) && rs[j] == 'J' && (j+1 == len(rs) || rs[j+1] == '.')):
			b.WriteString("IJ")
			i = max(j, i+2) - 1
		case multiLetter[word]:
			b.WriteString(word)
			i = j - 1
		default:
			b.WriteRune(r)
			i = j - 1
		}
		b.WriteByte('.')
	}
	return b.String(), true
}

func initialsOfRef(firstNames string) string {
	var b strings.Builder
	for _, name := range strings.FieldsFunc(firstNames, func(r rune) bool { return r == ' ' || r == '-' || r == '\t' }) {
		rs := []rune(name)
		if !unicode.IsLetter(rs[0]) {
			continue
		}
		if len(rs) > 1 && unicode.ToUpper(rs[0]) == 'I' && unicode.ToUpper(rs[1]) == 'J' {
			b.WriteString("IJ.")
			continue
		}
		b.WriteRune(unicode.ToUpper(rs[0]))
		b.WriteByte('.')
	}
	return b.String()
}

func normaliseBSNRef(v string) (string, bool) {
	var b [9]byte
	n := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '.' || c == '-' || c == '\t':
		case c >= '0' && c <= '9' && n < len(b):
			b[n] = c
			n++
		default:
			return "", false
		}
	}
	switch n {
	case 8:
		copy(b[1:], b[:8])
		b[0] = '0'
	case 9:
	default:
		return "", false
	}
	if string(b[:]) == "000000000" {
		return "", true
	}
	return string(b[:]), true
}

func parseBoolRef(v string) (bool, bool) {
	switch foldRef(v) {
	case "true", "ja", "j", "yes", "y", "1", "waar":
		return true, true
	case "false", "nee", "n", "no", "0", "onwaar":
		return false, true
	}
	return false, false
}

func parseDateRef(layouts []DateLayout, v string, partial bool) (string, error) {
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, v); err == nil {
			if t.Year() < minYear {
				return "", errDate
			}
			return t.Format(time.DateOnly), nil
		}
	}
	for _, l := range layouts {
		if s, ok := partialDateRef(l, v, partial); ok {
			return s, nil
		}
	}
	return "", errDate
}

func partialDateRef(l DateLayout, v string, partial bool) (string, bool) {
	if l.year < 0 || len(v) != len(l.layout) {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		inToken := i >= l.year && i < l.year+4 || i >= l.month && i < l.month+2 || i >= l.day && i < l.day+2
		if inToken != (v[i] >= '0' && v[i] <= '9') || !inToken && v[i] != l.layout[i] {
			return "", false
		}
	}
	y, _ := strconv.Atoi(v[l.year : l.year+4])
	m, _ := strconv.Atoi(v[l.month : l.month+2])
	d, _ := strconv.Atoi(v[l.day : l.day+2])
	switch {
	case y == 0 && m == 0 && d == 0:
		return "", true
	case !partial || y < minYear || m > 12:
		return "", false
	case m == 0 && d == 0:
		return fmt.Sprintf("%04d", y), true
	case d == 0 && m > 0:
		return fmt.Sprintf("%04d-%02d", y, m), true
	}
	return "", false
}

// refLayouts are the date layouts FuzzNormalise reads dates with, one list
// per order of trying.
var refLayouts = [][]string{
	{"02-01-2006", "2006-01-02", "20060102", "2/1/2006", "2006-01-02 15:04:05"},
	{"20060102", "02.01.2006", "2006/01/02", "01/02/2006", "02-01-2006"},
	{"2 Jan 2006", "02/01/2006", "2006.01.02"},
}

// FuzzNormalise holds the normalisations of the mapper to their
// straightforward forms above: for any input they must give the same.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{
		"", "Jansen", "van den Berg", "Berg, van den", "d'Angelo", "van't Hof", "Van 't Hof", "Mulder-de Ridder",
		"  van   der  Linden ", "van\u00a0Dijk", "İn de Wolf", "\u212a", "A.H", "CS.", "a.h.", "IJ.M.", "Th.J.", "ij",
		"Karel Cornelis Pieter", "Anne-Marie", "IJsbrand", "123456782", "12.34.56.78", "000000000",
		"Dreigend dakloos", "feitelijk-dakloos", "JA", " nee ", "07-02-1940", "19400207", "00-03-1970",
		"19700000", "31-02-1970", "29-02-2000", "29-02-1900", "0000-00-00", "1799-12-31", "-1230101",
		"+1230101", "7/2/1940", "07.02.1940", "2024/02/29", "bad \xff", "Ⱥ", "l'Espoir",
	} {
		f.Add(s, "van")
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		if got, want := Fold(s), foldRef(s); got != want {
			t.Errorf("Fold(%q) = %q, want %q", s, got, want)
		}
		var buf [8]byte
		if got, want := string(appendFold(buf[:0], s)), foldRef(s); got != want {
			t.Errorf("appendFold(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(appendLower(nil, s)), strings.ToLower(s); got != want {
			t.Errorf("appendLower(%q) = %q, want %q", s, got, want)
		}
		if got, want := countFields(s), len(strings.Fields(s)); got != want {
			t.Errorf("countFields(%q) = %d, want %d", s, got, want)
		}
		m := map[string]int{foldRef(p): 1}
		if got, _ := LookupFold(m, s); got != m[foldRef(s)] {
			t.Errorf("LookupFold(%q) with key %q = %d", s, foldRef(p), got)
		}
		own := strings.NewReplacer(" ", "_", "-", "_").Replace(foldRef(p)) // p as an enum value
		for _, enum := range [][]string{targetGroups, processSteps, statuses, {own}} {
			c, ok := canonical(enum, s)
			wc, wok := canonicalRef(enum, s)
			if c != wc || ok != wok {
				t.Errorf("canonical(%q, %q) = %q, %v; want %q, %v", enum, s, c, ok, wc, wok)
			}
		}
		if pre, ok := lookupPrefix(s); ok != isPrefixRef(strings.ToLower(s)) || ok && pre != strings.ToLower(s) {
			t.Errorf("lookupPrefix(%q) = %q, %v", s, pre, ok)
		}
		gp, gs := splitSurname(s)
		wp, ws := splitSurnameRef(s)
		if gp != wp || gs != ws {
			t.Errorf("splitSurname(%q) = %q, %q; want %q, %q", s, gp, gs, wp, ws)
		}
		for _, pre := range []string{p, normalisePrefix(p)} {
			if got, want := stripPrefix(pre, s), stripPrefixRef(pre, s); got != want {
				t.Errorf("stripPrefix(%q, %q) = %q, want %q", pre, s, got, want)
			}
		}
		gi, gok := normaliseInitials(s)
		wi, wok := normaliseInitialsRef(s)
		if gi != wi || gok != wok {
			t.Errorf("normaliseInitials(%q) = %q, %v; want %q, %v", s, gi, gok, wi, wok)
		}
		if got, want := initialsOf(s), initialsOfRef(s); got != want {
			t.Errorf("initialsOf(%q) = %q, want %q", s, got, want)
		}
		gb, gok := normaliseBSN(s)
		wb, wok := normaliseBSNRef(s)
		if gb != wb || gok != wok {
			t.Errorf("normaliseBSN(%q) = %q, %v; want %q, %v", s, gb, gok, wb, wok)
		}
		b, bok := ParseBool(s)
		wb2, wbok := parseBoolRef(s)
		if b != wb2 || bok != wbok {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", s, b, bok, wb2, wbok)
		}
		for _, list := range refLayouts {
			layouts := mustLayouts(t, list...)
			for _, partial := range []bool{false, true} {
				got, err := parseDate(layouts, s, partial)
				want, werr := parseDateRef(layouts, s, partial)
				if got != want || (err == nil) != (werr == nil) {
					t.Errorf("parseDate(%q, %q, %v) = %q, %v; want %q, %v", list, s, partial, got, err, want, werr)
				}
			}
		}
	})
}

// TestCleanMeansSingleBlanks checks what splitSurname and stripPrefix rely
// on: a string that isClean accepts has no blanks but single ASCII spaces
// between words, because every other Unicode space is in unusual.
func TestCleanMeansSingleBlanks(t *testing.T) {
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) && !strings.ContainsRune(unusual, r) {
			t.Errorf("space %U is missing from unusual", r)
		}
	}
}

// TestEnumsInNormalForm checks what canonical relies on: every value of an
// enumeration is in the form canonical brings a value into.
func TestEnumsInNormalForm(t *testing.T) {
	for _, enum := range [][]string{genders, workerRoles, processSteps, targetGroups, operations, statuses} {
		for _, e := range enum {
			if c, ok := canonicalRef(enum, e); !ok || c != e {
				t.Errorf("enum value %q is not in normal form", e)
			}
		}
	}
}

func TestLayoutPlain(t *testing.T) {
	tests := []struct {
		layout string
		plain  bool
	}{
		{"02-01-2006", true},
		{"20060102", true},
		{"2006/01/02", true},
		{"02.01.2006", true},
		{"02 01 2006", false},
		{"2-1-2006", false},
		{"2006-01-02 15:04", false},
	}
	for _, tt := range tests {
		t.Run(tt.layout, func(t *testing.T) {
			if l := mustLayouts(t, tt.layout)[0]; l.plain != tt.plain {
				t.Errorf("plain = %v, want %v", l.plain, tt.plain)
			}
		})
	}
}
