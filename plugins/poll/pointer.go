package main

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// splitPointer splits a JSON pointer (RFC 6901) into its unescaped
// reference tokens; "" is the whole document.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New("a JSON pointer starts with /")
	}
	parts := strings.Split(p[1:], "/")
	for i, t := range parts {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || t[j+1] != '0' && t[j+1] != '1') {
				return nil, errors.New("~ must be followed by 0 or 1")
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// mustSplit splits a pointer that the configuration check has accepted.
func mustSplit(p string) []string {
	t, err := splitPointer(p)
	if err != nil {
		panic("unchecked JSON pointer " + strconv.Quote(p))
	}
	return t
}

// lookup returns the value at tokens in v, a value parsed with UseNumber,
// and whether it exists.
func lookup(v any, tokens []string) (any, bool) {
	for _, t := range tokens {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) || t != strconv.Itoa(i) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// scalar returns the text of a JSON string, number or boolean; null is "".
// It reports false for an object or a list.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
