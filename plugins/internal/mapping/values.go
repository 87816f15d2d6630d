package mapping

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policies for a value that is missing from a value table.
const (
	unknownError   = "error"   // a FIELD_VALUE error; the record is not taken (default)
	unknownKeep    = "keep"    // the value as it is (not for fields with fixed values)
	unknownEmpty   = "empty"   // the field is left empty
	unknownDefault = "default" // the table's default value
)

// valueTable translates a partner's codes into values of the shared schema.
// Matching ignores case and surrounding blanks.
type valueTable struct {
	m       map[string]string // folded code -> value
	codes   []string          // the codes as configured, sorted, for messages
	unknown string            // one of the unknown* policies
	def     string            // the value for unknownDefault
}

// Fold is the form in which codes are compared: lower case, single blanks,
// that is strings.ToLower(strings.Join(strings.Fields(s), " ")).
func Fold(s string) string {
	if isFolded(s) {
		return s
	}
	return string(appendFold(make([]byte, 0, len(s)), s))
}

// appendFold appends Fold(s) to dst.
func appendFold(dst []byte, s string) []byte {
	start, blank := len(dst), false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			blank = len(dst) > start
		case r < utf8.RuneSelf:
			if blank {
				dst, blank = append(dst, ' '), false
			}
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
		default:
			if blank {
				dst, blank = append(dst, ' '), false
			}
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// LookupFold returns m[Fold(s)] without allocating for a short s.
func LookupFold[V any](m map[string]V, s string) (V, bool) {
	if isFolded(s) {
		v, ok := m[s]
		return v, ok
	}
	var buf [64]byte
	v, ok := m[string(appendFold(buf[:0], s))]
	return v, ok
}

// appendLower appends strings.ToLower(s) to dst.
func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// isFolded reports whether s is lower-case ASCII with single inner blanks,
// the common case that fold can return as it is.
func isFolded(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c >= 'A' && c <= 'Z', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}

func newValueTable(m map[string]string, unknown, def string) *valueTable {
	t := &valueTable{m: make(map[string]string, len(m)), unknown: unknown, def: def}
	if t.unknown == "" {
		t.unknown = unknownError
	}
	for code, v := range m {
		t.m[Fold(code)] = v
		t.codes = append(t.codes, code)
	}
	sort.Strings(t.codes)
	return t
}

// lookup returns the table's value for v and whether v is in the table.
func (t *valueTable) lookup(v string) (string, bool) {
	return LookupFold(t.m, v)
}

// codeList lists the table's codes for a message, at most ten of them.
func (t *valueTable) codeList() string {
	return shortList(t.codes)
}

// shortList joins at most ten values for a message; an empty code is shown
// as (leeg).
func shortList(vals []string) string {
	out := make([]string, 0, 11)
	for i, v := range vals {
		if i == 10 {
			out = append(out, "…")
			break
		}
		if v == "" {
			v = "(leeg)"
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}
