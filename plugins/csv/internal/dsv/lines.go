package dsv

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// physLine is one physical line of the document without its terminator.
type physLine struct {
	no      int    // 1-based physical line number
	raw     []byte // the bytes; nil when tooLong
	tooLong bool   // the line exceeded the maximum and was discarded
}

// lineReader splits a byte stream into physical lines ended by "\n", "\r\n"
// or a lone "\r" (classic Mac exports). It never holds more than max bytes of
// one line: the rest of an over-long line is read and thrown away.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	no  int
}

func newLineReader(br *bufio.Reader, max int) *lineReader {
	return &lineReader{br: br, max: max}
}

// next returns the next physical line. The raw bytes are valid until the next
// call. It returns io.EOF after the last line and other errors as they come
// from the underlying reader.
func (lr *lineReader) next() (physLine, error) {
	lr.buf = lr.buf[:0]
	total := 0
	started := false
	for {
		if lr.br.Buffered() == 0 {
			if _, err := lr.br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					if !started {
						return physLine{}, io.EOF
					}
					return lr.finish(total), nil
				}
				return physLine{}, err
			}
		}
		started = true
		chunk, _ := lr.br.Peek(lr.br.Buffered())
		i := indexEOL(chunk)
		if i < 0 {
			total += len(chunk)
			lr.keep(chunk, total)
			if _, err := lr.br.Discard(len(chunk)); err != nil {
				return physLine{}, err
			}
			continue
		}
		total += i
		lr.keep(chunk[:i], total)
		term := chunk[i]
		if _, err := lr.br.Discard(i + 1); err != nil {
			return physLine{}, err
		}
		if term == '\r' {
			b, err := lr.br.Peek(1)
			switch {
			case err == nil && b[0] == '\n':
				if _, err := lr.br.Discard(1); err != nil {
					return physLine{}, err
				}
			case err != nil && !errors.Is(err, io.EOF):
				return physLine{}, err
			}
		}
		return lr.finish(total), nil
	}
}

// keep appends b to the line buffer while the line stays within max bytes.
func (lr *lineReader) keep(b []byte, total int) {
	if total <= lr.max {
		lr.buf = append(lr.buf, b...)
	}
}

func (lr *lineReader) finish(total int) physLine {
	lr.no++
	if total > lr.max {
		return physLine{no: lr.no, tooLong: true}
	}
	return physLine{no: lr.no, raw: lr.buf}
}

// indexEOL returns the index of the first '\n' or '\r' in b, or -1.
func indexEOL(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	limit := b
	if i >= 0 {
		limit = b[:i]
	}
	if j := bytes.IndexByte(limit, '\r'); j >= 0 {
		return j
	}
	return i
}
