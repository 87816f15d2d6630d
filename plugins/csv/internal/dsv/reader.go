// Package dsv reads delimiter-separated text (CSV and its dialects) as a
// stream of records in bounded memory. It never stops at a bad record: every
// problem is reported on the record it belongs to, with the physical line the
// record starts on, and reading goes on with the next line.
package dsv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultMaxRecordBytes is the default bound on the size of one record.
const DefaultMaxRecordBytes = 64 << 10

// bufferSize is the read buffer; it also bounds the document sniff.
const bufferSize = 64 << 10

// sniffSize is how many leading bytes Sniff looks at, and minControl how
// many control bytes they must hold at least before the document as a whole
// counts as binary; below that the lines with control bytes are reported.
const (
	sniffSize  = 8 << 10
	minControl = 16
)

// Options configure a Reader.
type Options struct {
	Delimiter rune     // field separator, for example ',' or ';'
	Quote     rune     // quote character; 0 switches quoting off
	Encoding  Encoding // character encoding of the document
	// Multiline lets a quoted field continue over line breaks. Without it a
	// record never spans physical lines, so that a quote left open costs one
	// line and not the rest of the document.
	Multiline bool
	// MaxRecordBytes bounds one physical line and, with Multiline, one
	// record (DefaultMaxRecordBytes when <= 0).
	MaxRecordBytes int
}

// ProblemKind says what is wrong with a record.
type ProblemKind int

// The record problems, roughly from most to least fundamental.
const (
	NoProblem      ProblemKind = iota
	TooLong                    // the line exceeds MaxRecordBytes
	Binary                     // NUL bytes or other control characters
	InvalidUTF8                // bytes that are not UTF-8 in a UTF-8 document
	Undefined1252              // bytes that Windows-1252 does not define
	UTF8In1252                 // UTF-8 text in a document declared Windows-1252
	QuoteOpen                  // a quoted field is not closed
	TextAfterQuote             // text between a closing quote and the delimiter
)

// String returns the name of the problem kind.
func (k ProblemKind) String() string {
	switch k {
	case NoProblem:
		return "none"
	case TooLong:
		return "too long"
	case Binary:
		return "binary"
	case InvalidUTF8:
		return "invalid UTF-8"
	case Undefined1252:
		return "undefined in Windows-1252"
	case UTF8In1252:
		return "UTF-8 in Windows-1252"
	case QuoteOpen:
		return "quote open"
	case TextAfterQuote:
		return "text after quote"
	}
	return fmt.Sprintf("ProblemKind(%d)", int(k))
}

// Problem is what is wrong with one record. Column is the 1-based column
// where the problem was found, or 0 when it is not known.
type Problem struct {
	Kind   ProblemKind
	Column int
}

// Record is one record of the document.
type Record struct {
	Line int // physical line (1-based) the record starts on
	// Fields are the fields, valid until the next call to Next. For a quote
	// problem they are only the fields before the failing one.
	Fields  []string
	Problem Problem // Kind is NoProblem for a good record
	// Raw is the first physical line as it was read, for a header that
	// needs another look; valid until the next call to Next.
	Raw []byte
}

// DocProblemKind says why a whole document cannot be read.
type DocProblemKind int

// The document problems.
const (
	DocEmpty  DocProblemKind = iota + 1 // no bytes at all
	DocUTF16                            // a UTF-16 byte order mark
	DocBinary                           // not a text file
)

// DocProblem is a problem with the document as a whole. Format names the
// kind of file recognised, such as "xlsx", when known.
type DocProblem struct {
	Kind   DocProblemKind
	Format string
}

// Reader reads records from a document.
type Reader struct {
	opt     Options
	br      *bufio.Reader
	lines   *lineReader
	pending []physLine // lines read ahead for an unclosed quote, to read again
	sp      splitter
	dec     []byte
}

// NewReader returns a Reader for src. Call Sniff before the first Next.
func NewReader(src io.Reader, opt Options) *Reader {
	if opt.MaxRecordBytes <= 0 {
		opt.MaxRecordBytes = DefaultMaxRecordBytes
	}
	br := bufio.NewReaderSize(src, bufferSize)
	return &Reader{
		opt:   opt,
		br:    br,
		lines: newLineReader(br, opt.MaxRecordBytes),
		sp:    splitter{delim: opt.Delimiter, quote: opt.Quote},
	}
}

// magics are the leading bytes of binary formats partners send by mistake.
var magics = []struct {
	prefix string
	format string
}{
	{"PK\x03\x04", "zip/xlsx"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "xls"},
	{"%PDF-", "pdf"},
	{"\x1f\x8b", "gzip"},
	{"\x89PNG", "png"},
	{"\xFF\xD8\xFF", "jpeg"},
}

// Sniff looks at the start of the document. It strips a UTF-8 byte order mark
// and reports a DocProblem when the document is empty, UTF-16 or clearly
// binary (a known binary format, or more than one control byte in ten, and at
// least minControl of them). It
// returns an error only when reading fails.
func (r *Reader) Sniff() (*DocProblem, error) {
	head, err := r.br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read document start: %w", err)
	}
	if len(head) == 0 {
		return &DocProblem{Kind: DocEmpty}, nil
	}
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		if _, err := r.br.Discard(3); err != nil {
			return nil, fmt.Errorf("skip byte order mark: %w", err)
		}
		head = head[3:]
	}
	if bytes.HasPrefix(head, []byte("\xFF\xFE")) || bytes.HasPrefix(head, []byte("\xFE\xFF")) {
		return &DocProblem{Kind: DocUTF16}, nil
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return &DocProblem{Kind: DocBinary, Format: m.format}, nil
		}
	}
	ctrl := 0
	for _, c := range head {
		if isControl(c) && c != '\n' && c != '\r' {
			ctrl++
		}
	}
	if ctrl >= minControl && ctrl*10 > len(head) {
		return &DocProblem{Kind: DocBinary}, nil
	}
	return nil, nil
}

// SkipLines reads and drops n physical lines (a title above the header).
func (r *Reader) SkipLines(n int) error {
	for range n {
		if _, err := r.nextLine(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (r *Reader) nextLine() (physLine, error) {
	if len(r.pending) > 0 {
		l := r.pending[0]
		r.pending = r.pending[1:]
		return l, nil
	}
	return r.lines.next()
}

// Next returns the next record. Blank lines are skipped, as is a lone
// Ctrl-Z (the end-of-file mark of old DOS programs). It returns io.EOF after
// the last record and an error only when reading fails.
func (r *Reader) Next() (Record, error) {
	for {
		l, err := r.nextLine()
		if err != nil {
			return Record{}, err
		}
		if l.tooLong {
			return Record{Line: l.no, Problem: Problem{Kind: TooLong}}, nil
		}
		if isBlank(l.raw) {
			continue
		}
		return r.record(l)
	}
}

func isBlank(b []byte) bool {
	if len(b) == 1 && b[0] == 0x1a {
		return true
	}
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// record reads the record that starts on physical line first.
func (r *Reader) record(first physLine) (Record, error) {
	r.sp.reset()
	rec := Record{Line: first.no, Raw: first.raw}
	kind := r.lineProblem(first.raw)
	r.sp.feed(r.decode(first.raw))
	size := len(first.raw)
	var cont []physLine
	if r.sp.open() && r.opt.Multiline {
		rec.Raw = bytes.Clone(first.raw) // the line buffer is about to be reused
	}
	for r.sp.open() {
		if !r.opt.Multiline {
			return r.failed(rec, kind, Problem{Kind: QuoteOpen, Column: r.sp.quoteCol}), nil
		}
		l, err := r.nextLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return Record{}, err
		}
		if err != nil || l.tooLong || size+1+len(l.raw) > r.opt.MaxRecordBytes {
			if err == nil {
				cont = append(cont, clone(l))
			}
			// Read the lines after the first again as records of their own.
			r.pending = append(cont, r.pending...)
			return r.failed(rec, kind, Problem{Kind: QuoteOpen, Column: r.sp.quoteCol}), nil
		}
		cont = append(cont, clone(l))
		size += 1 + len(l.raw)
		if kind == NoProblem {
			kind = r.lineProblem(l.raw)
		}
		r.sp.newline()
		r.sp.feed(r.decode(l.raw))
	}
	if r.sp.failed() {
		// The quote that seemed to span lines was not a multi-line field
		// after all: read the following lines again as records of their own.
		r.pending = append(cont, r.pending...)
		return r.failed(rec, kind, Problem{Kind: TextAfterQuote, Column: r.sp.errCol}), nil
	}
	rec.Fields = r.sp.finish()
	if kind != NoProblem {
		rec.Problem = Problem{Kind: kind, Column: problemColumn(kind, rec.Fields)}
	}
	return rec, nil
}

// failed returns rec with a quote problem, unless the line has a more
// fundamental problem (binary or encoding), which then wins. The fields
// before the failing one come along, so that the record key can be named.
func (r *Reader) failed(rec Record, kind ProblemKind, quote Problem) Record {
	rec.Fields = r.sp.completed()
	if kind != NoProblem {
		rec.Problem = Problem{Kind: kind}
		return rec
	}
	rec.Problem = quote
	return rec
}

func clone(l physLine) physLine {
	l.raw = bytes.Clone(l.raw)
	return l
}

// lineProblem finds binary or encoding trouble in one physical line.
func (r *Reader) lineProblem(raw []byte) ProblemKind {
	if hasControl(raw) {
		return Binary
	}
	if !hasHigh(raw) {
		return NoProblem
	}
	switch r.opt.Encoding {
	case Windows1252:
		if utf8.Valid(raw) {
			return UTF8In1252
		}
		for _, c := range raw {
			if c >= utf8.RuneSelf && cp1252[c] == nil {
				return Undefined1252
			}
		}
	default:
		if !utf8.Valid(raw) {
			return InvalidUTF8
		}
	}
	return NoProblem
}

// decode returns the line as UTF-8 text; for a UTF-8 document that is the
// line itself. The result is valid until the next call.
func (r *Reader) decode(raw []byte) []byte {
	if r.opt.Encoding != Windows1252 || !hasHigh(raw) {
		return raw
	}
	r.dec, _ = decode1252(r.dec[:0], raw)
	return r.dec
}

// problemColumn finds the first field that shows the problem.
func problemColumn(kind ProblemKind, fields []string) int {
	for i, f := range fields {
		var bad bool
		switch kind {
		case Binary:
			bad = hasControlString(f)
		case InvalidUTF8:
			bad = !utf8.ValidString(f)
		case Undefined1252:
			bad = strings.ContainsRune(f, utf8.RuneError)
		case UTF8In1252:
			bad = hasHigh([]byte(f))
		}
		if bad {
			return i + 1
		}
	}
	return 0
}

// Split cuts one line into fields with another delimiter, for guessing the
// delimiter of a header that does not match. Quotes are honoured; a quote
// left open ends at the end of the line.
func Split(line []byte, delim, quote rune) []string {
	s := splitter{delim: delim, quote: quote}
	s.reset()
	s.feed(line)
	return append([]string(nil), s.finish()...)
}
