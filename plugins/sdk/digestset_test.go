package sdk

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestDigestSeeker looks digests up in order, out of order, past gaps and
// for absent ones, and checks the cursor follows.
func TestDigestSeeker(t *testing.T) {
	const n = 3000
	var raw []byte
	for i := 0; i < n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		raw = append(raw, sum[:DigestSize]...)
	}
	s, err := NewDigestSet(bytes.Clone(raw))
	if err != nil {
		t.Fatal(err)
	}
	at := func(i int) []byte { return raw[i*DigestSize : (i+1)*DigestSize] }
	k := s.Seeker()
	absent := bytes.Repeat([]byte{0xee}, DigestSize)
	for _, step := range []struct {
		d    []byte
		want bool
		next int
	}{
		{at(0), true, 1}, {at(1), true, 2}, {absent, false, 2}, {at(3), true, 4}, // a changed record
		{at(4 + seekAhead + 5), true, 4 + seekAhead + 6}, // a gap: found in the index
		{at(100), true, 101}, {at(7), true, 8},           // out of order
		{at(n - 1), true, n}, {at(n - 1), true, n}, {absent, false, n},
	} {
		if got := k.Has(step.d); got != step.want || k.next != step.next {
			t.Fatalf("Has = %v with next %d, want %v and %d", got, k.next, step.want, step.next)
		}
	}
	for i := 0; i < n; i++ {
		if !s.Has(at(i)) {
			t.Fatalf("digest %d is missing", i)
		}
	}
	var empty *DigestSet
	if empty.Seeker().Has(at(0)) {
		t.Error("the empty set has a digest")
	}
}
