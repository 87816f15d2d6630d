package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
	s = strings.TrimSpace(s)
	rs := []rune(s)
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
		for i, r := range rs {
			rs[i] = unicode.ToUpper(r)
		}
	}
	var buf [64]byte
	b := buf[:0]
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
			b = utf8.AppendRune(b, unicode.ToUpper(r))
			i = j - 1
		case word == "Ij" || (r == 'I' && j == i+1 && j < len(rs) && rs[j] == 'J' && (j+1 == len(rs) || rs[j+1] == '.')):
			b = append(b, "IJ"...)
			i = max(j, i+2) - 1
		case multiLetter[word]:
			b = append(b, word...)
			i = j - 1
		default:
			b = utf8.AppendRune(b, r)
			i = j - 1
		}
		b = append(b, '.')
	}
	if string(b) == s {
		return s, true // already in the right form
	}
	return string(b), true
}

// initialsOf derives initials from first names: "Karel Cornelis Pieter"
// gives "K.C.P.", "Anne-Marie" gives "A.M." and "IJsbrand" gives "IJ.".
func initialsOf(firstNames string) string {
	var buf [64]byte
	b := buf[:0]
	for name := range strings.FieldsFuncSeq(firstNames, func(r rune) bool { return r == ' ' || r == '-' || r == '\t' }) {
		first, size := utf8.DecodeRuneInString(name)
		if !unicode.IsLetter(first) {
			continue
		}
		if second, _ := utf8.DecodeRuneInString(name[size:]); size < len(name) && unicode.ToUpper(first) == 'I' && unicode.ToUpper(second) == 'J' {
			b = append(b, "IJ."...)
			continue
		}
		b = utf8.AppendRune(b, unicode.ToUpper(first))
		b = append(b, '.')
	}
	return string(b)
}
