package dsv

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encoding is the character encoding of a document.
type Encoding int

// The supported encodings.
const (
	UTF8        Encoding = iota // UTF-8, with or without byte order mark
	Windows1252                 // Windows-1252 (the usual "ANSI" of Dutch Windows systems)
)

// cp1252 holds the UTF-8 form of every Windows-1252 byte; the five bytes the
// code page leaves undefined map to nil.
var cp1252 = func() [256][]byte {
	var t [256][]byte
	for b := 0; b < 256; b++ {
		r := charmap.Windows1252.DecodeByte(byte(b))
		if r == utf8.RuneError {
			continue
		}
		t[b] = utf8.AppendRune(nil, r)
	}
	return t
}()

// decode1252 appends the UTF-8 form of src to dst. Undefined bytes become
// U+FFFD; undefined reports whether there were any.
func decode1252(dst, src []byte) (out []byte, undefined bool) {
	for _, b := range src {
		if b < utf8.RuneSelf {
			dst = append(dst, b)
			continue
		}
		u := cp1252[b]
		if u == nil {
			undefined = true
			dst = utf8.AppendRune(dst, utf8.RuneError)
			continue
		}
		dst = append(dst, u...)
	}
	return dst, undefined
}

// hasHigh reports whether b holds any byte outside ASCII.
func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// isControl reports whether c is a control byte that has no place in a text
// line: everything below 0x20 except tab, and DEL.
func isControl(c byte) bool {
	return (c < 0x20 && c != '\t') || c == 0x7f
}

// hasControl reports whether b holds a control byte.
func hasControl(b []byte) bool {
	for _, c := range b {
		if isControl(c) {
			return true
		}
	}
	return false
}

// hasControlString is hasControl for a field; newlines of multi-line fields
// are allowed.
func hasControlString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; isControl(c) && c != '\n' {
			return true
		}
	}
	return false
}
