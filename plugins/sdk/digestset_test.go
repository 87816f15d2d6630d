package sdk

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestIndexedDigestSet checks the set that the adapter side indexes in
// place, against the one that indexes a copy.
func TestIndexedDigestSet(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var raw []byte
			for i := 0; i < n; i++ {
				sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
				raw = append(raw, sum[:DigestSize]...)
			}
			// A repeat must survive too.
			raw = append(raw, raw[:DigestSize]...)
			orig := bytes.Clone(raw)
			s, err := newIndexedDigestSet(raw)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i <= n; i++ {
				if !s.Has(orig[i*DigestSize : (i+1)*DigestSize]) {
					t.Fatalf("digest %d is missing", i)
				}
			}
			if s.Has(bytes.Repeat([]byte{0xff}, DigestSize)) {
				t.Error("an absent digest is found")
			}
			if s.Len() != n+1 {
				t.Errorf("Len = %d, want %d", s.Len(), n+1)
			}
		})
	}
	if s, err := newIndexedDigestSet(nil); err != nil || s.Len() != 0 || s.Has(make([]byte, DigestSize)) {
		t.Errorf("empty set: %v, %v", s, err)
	}
}
