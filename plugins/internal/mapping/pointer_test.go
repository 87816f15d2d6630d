package mapping

import (
	"strings"
	"testing"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"/a", []string{"a"}, true},
		{"/a/b", []string{"a", "b"}, true},
		{"/", []string{""}, true},
		{"/a~1b/c~0d/~01", []string{"a/b", "c~d", "~1"}, true},
		{"a", nil, false},
		{"/a~", nil, false},
		{"/a~2", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePointer(tt.in)
			if (err == nil) != tt.ok || strings.Join(p, "|") != strings.Join(tt.want, "|") {
				t.Errorf("ParsePointer(%q) = %q, %v; want %q, ok %v", tt.in, p, err, tt.want, tt.ok)
			}
			if err == nil && p.String() != tt.in {
				t.Errorf("String() = %q, want %q", p.String(), tt.in)
			}
		})
	}
}

func TestPointerLookup(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b/c": []any{"x", map[string]any{"d": "y"}}}, "": "leeg"}
	tests := []struct {
		ptr  string
		want any
		ok   bool
	}{
		{"/a/b~1c/0", "x", true},
		{"/a/b~1c/1/d", "y", true},
		{"/", "leeg", true},
		{"/a/b~1c/2", nil, false},
		{"/a/b~1c/01", nil, false},
		{"/a/b~1c/-", nil, false},
		{"/a/x", nil, false},
		{"/a/b~1c/0/z", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			p, err := ParsePointer(tt.ptr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Lookup(doc)
			if ok != tt.ok || ok && got != tt.want {
				t.Errorf("lookup = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
