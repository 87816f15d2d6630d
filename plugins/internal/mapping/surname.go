package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// prefixList holds the Dutch voorvoegsels (tussenvoegsels) the adapter
// recognises inside a surname, lower case with a plain apostrophe. It follows
// the voorvoegseltabel of the BRP (GBA table 36), without the single words
// that are just as often a surname or a name of their own in the target group
// (al, el, ben, bin, do, lo, to, in, op, uit, aan, bij, over, voor, ver, tot,
// toe): splitting those off would damage more names than it repairs.
var prefixList = []string{
	// Dutch
	"van", "de", "den", "der", "het", "'t", "'s", "te", "ten", "ter",
	"van de", "van den", "van der", "van het", "van 't", "van ter", "van te", "van van de",
	"de die", "den de",
	"in de", "in den", "in der", "in het", "in 't",
	"op de", "op den", "op der", "op het", "op 't", "op ten", "op te",
	"uit de", "uit den", "uit der", "uit het", "uit 't", "uit ten", "uit te de",
	"uijt de", "uijt den", "uijt 't", "uijt ten", "uyt den", "uyt de",
	"aan de", "aan den", "aan der", "aan het", "aan 't",
	"bij de", "bij den", "bij het", "bij 't",
	"onder de", "onder den", "onder het", "onder 't",
	"over de", "over den", "over het", "over 't",
	"voor de", "voor den", "voor het", "voor 't", "voor in 't",
	"tot de", "tot den",
	// French, Italian, Spanish, Portuguese
	"d'", "l'", "la", "le", "les", "du", "des", "de la", "de le", "de l'", "de las", "de los",
	"del", "della", "dalla", "dal", "degli", "dei", "di", "da", "das", "dos", "van la", "van le",
	// German
	"von", "vom", "zu", "zum", "zur", "von der", "von dem", "von den", "von 't", "von und zu",
	"auf dem", "auf den", "auf der", "aus dem", "aus den", "aus der", "am", "im",
}

// prefixes is prefixList as a set, each prefix mapped to itself so that a
// lookup gives it as a string, and maxPrefixWords and maxPrefixBytes the
// longest prefix in words and in bytes: matching tries the longest prefix
// first, so "van den Berg" gives "van den" and not "van".
var (
	prefixes                       = map[string]string{}
	maxPrefixWords, maxPrefixBytes int
)

func init() {
	for _, p := range prefixList {
		prefixes[p] = p
		maxPrefixWords = max(maxPrefixWords, len(strings.Fields(p)))
		maxPrefixBytes = max(maxPrefixBytes, len(p))
	}
}

// lookupPrefix returns the prefix that s is in lower case, and whether it is
// one.
func lookupPrefix(s string) (string, bool) {
	// Every rune has a lower case of at least one byte: a longer s has a
	// longer lower case than any prefix.
	if len(s) > utf8.UTFMax*maxPrefixBytes {
		return "", false
	}
	var buf [64]byte
	p, ok := prefixes[string(appendLower(buf[:0], s))]
	return p, ok
}

// apostrophes maps the apostrophe look-alikes of word processors and old
// systems onto the plain apostrophe.
var apostrophes = strings.NewReplacer("\u2019", "'", "\u2018", "'", "`", "'", "\u00b4", "'", "\u02bc", "'")

// normaliseName trims s, collapses runs of blanks and replaces apostrophe
// look-alikes by a plain apostrophe.
func normaliseName(s string) string {
	if isClean(s) {
		return s
	}
	return strings.Join(strings.Fields(apostrophes.Replace(s)), " ")
}

// unusual holds the non-ASCII blanks and apostrophe look-alikes that
// normaliseName replaces.
const unusual = "\u2019\u2018\u00b4\u02bc\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

// isClean reports whether s has no blanks to collapse and no apostrophe
// look-alikes, the common case that normaliseName returns as it is.
func isClean(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '`', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return ascii || !strings.ContainsAny(s, unusual)
}

// normalisePrefix returns a voorvoegsel as the shared schema wants it: lower
// case, single blanks, plain apostrophes ("Van Den" gives "van den").
func normalisePrefix(s string) string {
	return strings.ToLower(normaliseName(s))
}

// splitSurname separates the voorvoegsel from a surname that holds it, in any
// of the usual ways:
//
//	van den Berg      Van Den Bosch     d' Angelo     d'Angelo
//	Berg, van den     BRUIN, de         Angelo, d'
//	Berg van den
//
// The prefix comes back in lower case; the surname keeps its own spelling,
// with blanks collapsed. A surname that is only a prefix ("Van"), or a comma
// part that is no known prefix, is returned whole with no prefix.
func splitSurname(s string) (prefix, surname string) {
	s = normaliseName(s)
	if s == "" {
		return "", ""
	}
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		rest := strings.TrimSpace(s[:i])
		p := normaliseName(s[i+1:])
		if rest != "" && p == "" {
			return "", rest
		}
		if key, ok := lookupPrefix(p); ok && rest != "" {
			return key, rest
		}
		return "", s
	}
	if _, ok := lookupPrefix(s); ok {
		return "", s
	}
	// s is words with single blanks between them; so is t, with glued
	// apostrophes split off, and the candidates below are substrings of it.
	t := s
	if strings.IndexByte(s, '\'') >= 0 {
		t = strings.Join(splitGluedApostrophe(strings.Fields(s)), " ")
	}
	words := strings.Count(t, " ") + 1
	for n := min(maxPrefixWords, words-1); n >= 1; n-- {
		i := indexBlank(t, n)
		if p, ok := lookupPrefix(t[:i]); ok {
			return p, t[i+1:]
		}
	}
	for n := min(maxPrefixWords, words-1); n >= 1; n-- {
		i := indexBlank(t, words-n)
		if p, ok := lookupPrefix(t[i+1:]); ok {
			return p, t[:i]
		}
	}
	return "", t
}

// indexBlank returns the index in s of blank number n (1-based), or -1 when
// s has fewer.
func indexBlank(s string, n int) int {
	i := -1
	for range n {
		j := strings.IndexByte(s[i+1:], ' ')
		if j < 0 {
			return -1
		}
		i += 1 + j
	}
	return i
}

// splitGluedApostrophe turns a leading "d'Angelo" or "l'Espoir" into two
// words, and "van't" or "in't" into "van 't" and "in 't".
func splitGluedApostrophe(words []string) []string {
	var out []string
	for i, w := range words {
		lw := strings.ToLower(w)
		switch {
		case i == 0 && len(w) > 2 && (strings.HasPrefix(lw, "d'") || strings.HasPrefix(lw, "l'")):
			out = append(out, w[:2], w[2:])
		case len(w) > 2 && strings.HasSuffix(lw, "'t") && prefixes[lw[:len(lw)-2]+" 't"] != "":
			out = append(out, w[:len(w)-2], "'t")
		default:
			out = append(out, w)
		}
	}
	return out
}

// stripPrefix removes prefix from the front of surname when a partner system
// repeats the voorvoegsel of the tussenvoegsel column inside the surname
// ("van" and "van Dijk").
func stripPrefix(prefix, surname string) string {
	n := countFields(prefix)
	words := surname
	if !isClean(words) {
		words = strings.Join(strings.Fields(surname), " ")
	}
	// words has single blanks between its words.
	i := indexBlank(words, n)
	var buf [64]byte
	if n == 0 || i < 0 || string(appendLower(buf[:0], words[:i])) != prefix {
		return surname
	}
	return words[i+1:]
}

// countFields returns len(strings.Fields(s)).
func countFields(s string) int {
	n, inField := 0, false
	for _, r := range s {
		blank := unicode.IsSpace(r)
		if !blank && !inField {
			n++
		}
		inField = !blank
	}
	return n
}
