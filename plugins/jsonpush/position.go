package main

import (
	"encoding/json"
	"errors"
	"io"
)

// errTooLarge ends a JSON document with a record over max_record_bytes.
var errTooLarge = errors.New("record too large")

// position is a place in a document: the 0-based byte offset, and the
// 1-based line and column (in bytes) it is on.
type position struct {
	offset       int64
	line, column int
}

// posReader passes reads to a json.Decoder. It remembers where the lines
// that the decoder has not passed yet end, so that an offset the decoder
// reports can be named by line and column, and it refuses to read more than
// max bytes past the start of the value the decoder is at, so that one
// record never takes more memory than that. The limit depends only on the
// document, never on how its reader cuts it, which keeps Decode
// deterministic.
type posReader struct {
	r     io.Reader
	dec   *json.Decoder
	max   int64
	total int64   // bytes read
	nl    []int64 // offsets of the line ends not yet forgotten
	lines int     // line ends forgotten
	last  int64   // offset of the last line end forgotten; -1 for none
	err   error   // the reader's own error, to tell it from errors in the JSON
}

func newPosReader(r io.Reader, max int) *posReader {
	return &posReader{r: r, max: int64(max), last: -1}
}

func (pr *posReader) Read(p []byte) (int, error) {
	if pr.dec != nil {
		room := pr.dec.InputOffset() + pr.max + 1 - pr.total
		if room <= 0 {
			return 0, errTooLarge
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := pr.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			pr.nl = append(pr.nl, pr.total+int64(i))
		}
	}
	pr.total += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		pr.err = err
	}
	return n, err
}

// forget drops what it keeps of the line ends before offset off. Offsets
// asked about later must not be smaller.
func (pr *posReader) forget(off int64) {
	i := 0
	for i < len(pr.nl) && pr.nl[i] < off {
		i++
	}
	if i > 0 {
		pr.lines += i
		pr.last = pr.nl[i-1]
		pr.nl = pr.nl[:copy(pr.nl, pr.nl[i:])]
	}
}

// at returns the position of offset off, which must not be before the
// offsets forgotten.
func (pr *posReader) at(off int64) position {
	lines, last := pr.lines, pr.last
	for _, o := range pr.nl {
		if o >= off {
			break
		}
		lines, last = lines+1, o
	}
	return position{offset: off, line: lines + 1, column: int(off - last)}
}
