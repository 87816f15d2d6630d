package mapping

import (
	"errors"
	"strconv"
	"strings"
)

// JSONPointer is a parsed JSON pointer (RFC 6901): its reference tokens,
// unescaped. The empty pointer names the whole value. Adapters that read
// JSON name their sources with them.
type JSONPointer []string

// unescape undoes the escapes of a reference token: ~1 first, then ~0.
var unescape = strings.NewReplacer("~1", "/", "~0", "~")

// ParsePointer parses a JSON pointer. It returns an error (in Dutch, for a
// configuration error) for text that is neither empty nor starts with '/',
// and for a '~' that is not ~0 or ~1.
func ParsePointer(s string) (JSONPointer, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] != '/' {
		return nil, errors.New("een JSON-pointer begint met /")
	}
	tokens := strings.Split(s[1:], "/")
	for i, t := range tokens {
		for j := 0; j < len(t); j++ {
			if t[j] != '~' {
				continue
			}
			if j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1') {
				return nil, errors.New("~ staat alleen in ~0 (voor ~) en ~1 (voor /)")
			}
			j++
		}
		tokens[i] = unescape.Replace(t)
	}
	return tokens, nil
}

// Lookup returns the value p names in v, a value as encoding/json decodes
// it into any, and whether there is one.
func (p JSONPointer) Lookup(v any) (any, bool) {
	for _, t := range p {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[t]; !ok {
				return nil, false
			}
		case []any:
			i, ok := arrayIndex(t)
			if !ok || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// arrayIndex reads a reference token as an array index: decimal digits
// without leading zeros.
func arrayIndex(t string) (int, bool) {
	if t == "" || len(t) > 1 && t[0] == '0' || len(t) > 9 {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(t)
	return n, err == nil
}

// String writes the pointer back in its escaped form.
func (p JSONPointer) String() string { return Pointer(p...) }
