package poll

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errTooLarge is wrapped by the error of a page over the limit.
var errTooLarge = errors.New("page too large")

// limitedBuffer holds a page in memory, at most max bytes; a page is one
// answer of a webservice, bounded by sdk.MaxPollBytes.
type limitedBuffer struct {
	buf bytes.Buffer
	max int64
}

// Write appends p, or fails when the page would grow over the limit.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len()+len(p)) > b.max {
		return 0, fmt.Errorf("de pagina is groter dan %d bytes en is niet opgeslagen: %w", b.max, errTooLarge)
	}
	return b.buf.Write(p)
}

// Len returns the bytes held.
func (b *limitedBuffer) Len() int { return b.buf.Len() }

// reader reads the page held.
func (b *limitedBuffer) reader() io.Reader { return bytes.NewReader(b.buf.Bytes()) }
