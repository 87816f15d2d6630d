// Package xmlscan reads an XML document as a stream of tokens for the
// adapters that read XML (plugins/fhir, plugins/iwmo), with the guards and
// the diagnosis they share: a bound on a run of text between two tags,
// which encoding/xml would otherwise gather in memory whole; a refusal of a
// declared character set other than UTF-8; and, when reading stops, what
// stopped it, so that the adapter can tell a broken document from a
// failing reader and say so in its own words.
package xmlscan

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

var (
	// ErrCharset is the error of a document that declares a character set
	// other than UTF-8.
	ErrCharset = errors.New("character set is not UTF-8")
	// ErrRun is the error of a run of text longer than the Scanner's bound.
	ErrRun = errors.New("text run too long")
)

// Scanner is an xml.Decoder over a document, with its guards.
type Scanner struct {
	*xml.Decoder
	guard   *runGuard
	charset string // the declared character set, when it is not UTF-8
}

// New returns a Scanner of r that fails with ErrRun once more than maxRun
// bytes pass without a '<' or '>', and with ErrCharset at a declaration of
// another character set than UTF-8.
func New(r io.Reader, maxRun int) *Scanner {
	s := &Scanner{guard: &runGuard{r: r, max: maxRun}}
	s.Decoder = xml.NewDecoder(s.guard)
	s.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		s.charset = label
		return nil, ErrCharset
	}
	return s
}

// Line is the line the decoder stands on.
func (s *Scanner) Line() int {
	l, _ := s.InputPos()
	return l
}

// Root returns the root element, skipping the prolog (declarations,
// comments, blanks). Text before it is an *xml.SyntaxError.
func (s *Scanner) Root() (xml.StartElement, error) { return NextStart(s.Decoder, true) }

// NextStart returns the next start element that d reads, passing over the
// tokens before it. With strict, text other than white space among them is
// an *xml.SyntaxError at the line d stands on. Other errors are d's.
func NextStart(d *xml.Decoder, strict bool) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if strict && len(strings.TrimSpace(string(t))) > 0 {
				line, _ := d.InputPos()
				return xml.StartElement{}, &xml.SyntaxError{Msg: "text before the root element", Line: line}
			}
		}
	}
}

// Trailer is what follows the root element of a document.
type Trailer int

// The trailers.
const (
	// Nothing but white space, comments and processing instructions.
	Nothing Trailer = iota
	// Element: another element, as in two documents one after the other.
	Element
	// Text other than white space.
	Text
)

// AfterRoot reads what follows the root element, whose end was just read,
// up to the end of the document or the first element or text, where the
// decoder then stands (Line). It returns the error of the decoder other
// than io.EOF.
func (s *Scanner) AfterRoot() (Trailer, error) {
	for {
		tok, err := s.Token()
		if errors.Is(err, io.EOF) {
			return Nothing, nil
		}
		if err != nil {
			return Nothing, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return Element, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return Text, nil
			}
		}
	}
}

// Problem is what stopped the reading of a document.
type Problem int

// The problems, in the order Diagnose tells them apart.
const (
	// ReadFailed: the underlying reader failed (or the context ended); the
	// document itself may be fine.
	ReadFailed Problem = iota
	// Charset: the document declares a character set other than UTF-8.
	Charset
	// LongRun: a run of text is longer than the bound (ErrRun).
	LongRun
	// Truncated: the document ends in the middle of the XML.
	Truncated
	// Malformed: the XML is not well-formed.
	Malformed
	// Unreadable: any other error of the decoder, such as an XML version
	// other than 1.0, or an error of the adapter's own.
	Unreadable
)

// Diagnose tells what err, an error of reading the document, is about, and
// the line to report it at: the line of the syntax error for Malformed,
// else the line the decoder stands on.
func (s *Scanner) Diagnose(err error) (Problem, int) {
	if rerr := s.guard.err; rerr != nil && errors.Is(err, rerr) {
		return ReadFailed, s.Line()
	}
	var se *xml.SyntaxError
	errors.As(err, &se)
	switch {
	case errors.Is(err, ErrCharset) || s.charset != "":
		return Charset, s.Line()
	case errors.Is(err, ErrRun):
		return LongRun, s.Line()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), se != nil && se.Msg == "unexpected EOF":
		return Truncated, s.Line()
	case se != nil:
		return Malformed, se.Line
	}
	return Unreadable, s.Line()
}

// runGuard passes reads through and fails once more than max bytes pass
// without a '<' or '>': text that encoding/xml would gather in memory. It
// remembers the error of the reader, to tell it from errors in the XML.
type runGuard struct {
	r   io.Reader
	max int
	run int
	err error
}

func (g *runGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		g.err = err
	}
	for _, c := range p[:n] {
		if c == '<' || c == '>' {
			g.run = 0
			continue
		}
		if g.run++; g.run > g.max {
			return 0, ErrRun
		}
	}
	return n, err
}
