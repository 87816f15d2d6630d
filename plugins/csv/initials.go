package main

import (
	"strings"
	"unicode"
)

// multiLetter holds the traditional initials of more than one letter
// (Th. for Theodorus, Chr. for Christiaan, IJ. for IJsbrand), as written.
var multiLetter = map[string]bool{"Th": true, "Ch": true, "Chr": true, "Ph": true, "Joh": true, "Jac": true, "Wm": true}

// normaliseInitials returns initials in the "A.H." form of the shared schema,
// whatever form the partner system used: "A.H", "AH", "A H", "CS." and
// "a.h." all give "A.H."; "IJ.M." and "Th.J." keep their multi-letter
// initials. A written-out name gives its initial ("Jan" gives "J."). It
// reports false when s holds anything but letters, dots, blanks and hyphens.
func normaliseInitials(s string) (string, bool) {
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
			// a lower-case letter after a separator: an initial all the same
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

// initialsOf derives initials from first names: "Karel Cornelis Pieter"
// gives "K.C.P.", "Anne-Marie" gives "A.M." and "IJsbrand" gives "IJ.".
func initialsOf(firstNames string) string {
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
