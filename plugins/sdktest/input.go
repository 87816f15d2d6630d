package sdktest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// largeSize is the least size of the large input. The suite's own tests
// make it smaller.
var largeSize = 5 << 20

// repeatLimit is how much the repeating input serves before it ends after
// all, so that an adapter that reads everything first cannot eat all memory.
const repeatLimit = 64 << 20

// errStopped is what the suite's readers return once the check they serve
// is over.
var errStopped = errors.New("sdktest: the check is over")

// randomBytes returns n bytes from a fixed seed: the same bytes every run.
func randomBytes(n int) []byte {
	r := rand.NewChaCha8([32]byte([]byte("ketenhub sdktest random input 01")))
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// truncated returns sample cut in the middle of the line around its middle,
// so that the last record is incomplete.
func truncated(sample []byte) []byte {
	mid := len(sample) / 2
	start := bytes.LastIndexByte(sample[:mid], '\n') + 1
	end := len(sample)
	if i := bytes.IndexByte(sample[mid:], '\n'); i >= 0 {
		end = mid + i
	}
	cut := (start + end) / 2
	if cut == start && cut < end {
		cut++
	}
	return sample[:cut]
}

// splitHeader splits sample into its first line, taken as a header, and the
// rest, its body, which ends in a line end when the sample has lines. A
// sample of one line is all body.
func splitHeader(sample []byte) (head, body []byte) {
	i := bytes.IndexByte(sample, '\n')
	if i < 0 || i == len(sample)-1 {
		return nil, sample
	}
	head, body = sample[:i+1], sample[i+1:]
	if body[len(body)-1] != '\n' {
		body = append(bytes.Clone(body), '\n')
	}
	return head, body
}

// largeInput returns the header of sample followed by its body repeated,
// largeSize bytes or a little more.
func largeInput(sample []byte) []byte {
	head, body := splitHeader(sample)
	b := make([]byte, 0, largeSize+len(body))
	b = append(b, head...)
	for len(b) < largeSize {
		b = append(b, body...)
	}
	return b
}

// repeating reads as the header of a sample followed by its body repeated,
// repeatLimit bytes, then ends; after stop it fails. It is safe for one
// reader and any number of callers of stop and read.
type repeating struct {
	head, body []byte
	off        int // offset in head, then in body
	inBody     bool
	served     atomic.Int64
	stopped    chan struct{}
	once       sync.Once
}

func newRepeating(sample []byte) *repeating {
	head, body := splitHeader(sample)
	return &repeating{head: head, body: body, stopped: make(chan struct{})}
}

func (e *repeating) Read(p []byte) (int, error) {
	select {
	case <-e.stopped:
		return 0, errStopped
	default:
	}
	served := int(e.served.Load())
	if served >= repeatLimit {
		return 0, io.EOF
	}
	if !e.inBody && e.off == len(e.head) {
		e.inBody, e.off = true, 0
	}
	src := e.head
	if e.inBody {
		src = e.body
	}
	n := copy(p[:min(len(p), repeatLimit-served)], src[e.off:])
	e.off += n
	if e.inBody && e.off == len(e.body) {
		e.off = 0
	}
	e.served.Add(int64(n))
	return n, nil
}

// read returns how many bytes have been read so far.
func (e *repeating) read() int64 { return e.served.Load() }

// stop ends the input: every later Read fails.
func (e *repeating) stop() { e.once.Do(func() { close(e.stopped) }) }

// halting reads as data, but blocks at offset half until release.
type halting struct {
	data     []byte
	half     int
	off      int
	released chan struct{}
	once     sync.Once
}

func newHalting(data []byte, half int) *halting {
	return &halting{data: data, half: half, released: make(chan struct{})}
}

func (h *halting) Read(p []byte) (int, error) {
	if h.off == h.half {
		<-h.released
	}
	end := len(h.data)
	if h.off < h.half {
		end = h.half
	}
	if h.off == end {
		return 0, io.EOF
	}
	n := copy(p, h.data[h.off:end])
	h.off += n
	return n, nil
}

// release lets Read go on past the half.
func (h *halting) release() { h.once.Do(func() { close(h.released) }) }
