package dsv

import (
	"bytes"
	"unicode/utf8"
)

// Splitter states.
const (
	stFieldStart = iota // at the start of a field (possibly after leading blanks)
	stUnquoted          // inside an unquoted field
	stQuoted            // inside a quoted field
	stAfterQuote        // just after a quote inside a quoted field
	stError             // text after a closing quote; the rest is ignored
)

// splitter cuts the decoded text of one record into fields. It is fed line by
// line so that a quoted field can continue on the next physical line when
// multi-line fields are allowed. Quoting follows RFC 4180 ("" is a literal
// quote inside a quoted field) with two tolerances: blanks before an opening
// or after a closing quote are ignored, and a quote inside an unquoted field
// is taken literally.
type splitter struct {
	delim rune
	quote rune // 0: no quoting

	buf      []byte // the content of all fields of the record
	ends     []int  // end offset in buf of each completed field
	start    int    // offset in buf where the current field starts
	state    int
	quoteCol int // 1-based column of the quoted field being read
	errCol   int // 1-based column of the text after a closing quote
	fields   []string
}

func (s *splitter) reset() {
	s.buf = s.buf[:0]
	s.ends = s.ends[:0]
	s.start = 0
	s.state = stFieldStart
	s.quoteCol = 0
	s.errCol = 0
}

// open reports whether a quoted field is still open at the end of the text
// fed so far.
func (s *splitter) open() bool { return s.state == stQuoted }

// failed reports whether the record has text after a closing quote.
func (s *splitter) failed() bool { return s.state == stError }

func (s *splitter) endField() {
	s.ends = append(s.ends, len(s.buf))
	s.start = len(s.buf)
	s.state = stFieldStart
}

// feed splits one line of decoded text.
func (s *splitter) feed(text []byte) {
	for i := 0; i < len(text); {
		if s.state == stError {
			return
		}
		if n := s.plainRun(text[i:]); n > 0 {
			s.buf = append(s.buf, text[i:i+n]...)
			i += n
			continue
		}
		c := text[i]
		ch, size := rune(c), 1
		if c >= utf8.RuneSelf {
			ch, size = utf8.DecodeRune(text[i:])
		}
		raw := text[i : i+size]
		i += size
		switch s.state {
		case stFieldStart:
			switch {
			case ch == s.delim:
				s.endField()
			case s.quote != 0 && ch == s.quote:
				s.buf = s.buf[:s.start] // drop blanks before the opening quote
				s.state = stQuoted
				s.quoteCol = len(s.ends) + 1
			case ch == ' ' || ch == '\t':
				s.buf = append(s.buf, raw...)
			default:
				s.buf = append(s.buf, raw...)
				s.state = stUnquoted
			}
		case stUnquoted:
			if ch == s.delim {
				s.endField()
			} else {
				s.buf = append(s.buf, raw...)
			}
		case stQuoted:
			if ch == s.quote {
				s.state = stAfterQuote
			} else {
				s.buf = append(s.buf, raw...)
			}
		case stAfterQuote:
			switch {
			case ch == s.quote:
				s.buf = append(s.buf, raw...)
				s.state = stQuoted
			case ch == s.delim:
				s.endField()
			case ch == ' ' || ch == '\t':
			default:
				s.errCol = len(s.ends) + 1
				s.state = stError
			}
		}
	}
}

// plainRun returns how many leading bytes of text go into the field as they
// are: inside a field, those before the next delimiter (unquoted) or quote
// (quoted). It returns 0 when the state or a delimiter or quote outside
// ASCII asks for the rune-wise loop; an ASCII byte never occurs inside the
// encoding of another character, so it can be looked for byte-wise.
func (s *splitter) plainRun(text []byte) int {
	var stop rune
	switch s.state {
	case stUnquoted:
		stop = s.delim
	case stQuoted:
		stop = s.quote
	default:
		return 0
	}
	if stop >= utf8.RuneSelf {
		return 0
	}
	if n := bytes.IndexByte(text, byte(stop)); n >= 0 {
		return n
	}
	return len(text)
}

// newline continues an open quoted field on the next physical line.
func (s *splitter) newline() {
	if s.state == stQuoted {
		s.buf = append(s.buf, '\n')
	}
}

// finish closes the last field and returns all fields of the record. The
// slice is reused by the next record.
func (s *splitter) finish() []string {
	switch s.state {
	case stFieldStart, stUnquoted, stAfterQuote:
		s.endField()
	}
	return s.completed()
}

// completed returns the fields completed so far: all of them after finish,
// those before the failing one for a record with a quote problem. The slice
// is reused by the next record.
func (s *splitter) completed() []string {
	all := string(s.buf)
	s.fields = s.fields[:0]
	prev := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, all[prev:end])
		prev = end
	}
	return s.fields
}
