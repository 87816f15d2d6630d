package main

import (
	"encoding/json"
	"strconv"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
)

// mustParse parses a pointer that the configuration check has accepted.
func mustParse(p string) mapping.JSONPointer {
	t, err := mapping.ParsePointer(p)
	if err != nil {
		panic("unchecked JSON pointer " + strconv.Quote(p))
	}
	return t
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
