package sdk

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"sync"
)

// CapabilityDigest is the capability of an adapter that gives its records
// source digests and leaves out the records the hub holds unchanged (see the
// package documentation).
const CapabilityDigest = "digest"

// DigestSize is the length in bytes of a source digest.
const DigestSize = 16

// DigestTagSize is the length of the tag a source digest starts with: it
// identifies the seed (see DigestBuilder), so that the hub can tell a
// digest made by another build or configuration from one of a record whose
// source changed.
const DigestTagSize = 4

// DigestBuilder computes source digests: a tag of the seed (DigestTagSize
// bytes of its SHA-256) followed by the first 12 bytes of SHA-256 over the
// seed and a record's source fields, each field prefixed with its length.
// Make one per Decode with a seed that covers everything besides the record
// that the mapping depends on, and reuse it for every record:
//
//	b := sdk.NewDigestBuilder(sdk.BuildID(), []byte(partner), config)
//	b.Reset()
//	for _, f := range usedFields {
//		b.Field(f)
//	}
//	digest := b.Sum(nil)
//
// A DigestBuilder is not safe for concurrent use.
type DigestBuilder struct {
	seed [sha256.Size]byte
	buf  []byte
}

// NewDigestBuilder returns a DigestBuilder whose digests depend on every
// part of seed.
func NewDigestBuilder(seed ...[]byte) *DigestBuilder {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, s := range seed {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write(s)
	}
	b := &DigestBuilder{}
	h.Sum(b.seed[:0])
	b.Reset()
	return b
}

// Reset starts the digest of the next record.
func (b *DigestBuilder) Reset() { b.buf = append(b.buf[:0], b.seed[:]...) }

// Field adds one source field of the record.
func (b *DigestBuilder) Field(f string) {
	b.buf = binary.AppendUvarint(b.buf, uint64(len(f)))
	b.buf = append(b.buf, f...)
}

// Sum appends the record's digest to dst and returns the result.
func (b *DigestBuilder) Sum(dst []byte) []byte {
	sum := sha256.Sum256(b.buf)
	dst = append(dst, b.seed[:DigestTagSize]...)
	return append(dst, sum[:DigestSize-DigestTagSize]...)
}

// DigestTag returns the tag a source digest starts with, nil when d is no
// digest.
func DigestTag(d []byte) []byte {
	if len(d) != DigestSize {
		return nil
	}
	return d[:DigestTagSize]
}

var buildID = sync.OnceValue(func() []byte {
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				return h.Sum(nil)
			}
		}
	}
	b := make([]byte, sha256.Size)
	_, _ = rand.Read(b)
	return b
})

// BuildID identifies the running adapter's executable: the SHA-256 of its
// file, computed on the first call. Put it in the seed of the digests, so
// that a rebuilt adapter (with a mapping fixed, perhaps under the same
// version) maps every record again instead of trusting the digests of the
// old build. When the file cannot be read, BuildID is random: digests then
// match only within the life of the process, which is slow but safe.
func BuildID() []byte { return buildID() }

// DigestSet is a set of source digests: the digests of the registrations the
// hub holds, as it sends them with a document (Document.Known). A nil
// *DigestSet is the empty set. A DigestSet is safe for concurrent use.
type DigestSet struct {
	raw  []byte // DigestSize bytes per digest
	once sync.Once
	idx  digestIndex // built on the first Has
}

// NewDigestSet returns the set of the digests in raw, DigestSize bytes each,
// one after the other, in any order; it keeps raw, which the caller must
// not change. It returns an error when the length of raw is not a multiple
// of DigestSize.
func NewDigestSet(raw []byte) (*DigestSet, error) {
	if len(raw)%DigestSize != 0 {
		return nil, fmt.Errorf("digest set of %d bytes: not a multiple of %d", len(raw), DigestSize)
	}
	return &DigestSet{raw: raw}, nil
}

// newIndexedDigestSet is NewDigestSet for a raw that the set may reorder:
// it indexes at once, without a copy.
func newIndexedDigestSet(raw []byte) (*DigestSet, error) {
	s, err := NewDigestSet(raw)
	if err != nil {
		return nil, err
	}
	if len(raw) > 0 {
		s.once.Do(func() { s.idx = newDigestIndex(raw, raw) })
	}
	return s, nil
}

// Len returns the number of digests in the set (counting repeats).
func (s *DigestSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.raw) / DigestSize
}

// Bytes returns the digests, DigestSize bytes each, one after the other. The
// caller must not change them.
func (s *DigestSet) Bytes() []byte {
	if s == nil {
		return nil
	}
	return s.raw
}

// Has reports whether d is in the set. The first call indexes the set, in
// time linear in its size.
func (s *DigestSet) Has(d []byte) bool {
	if s.Len() == 0 || len(d) != DigestSize {
		return false
	}
	s.once.Do(func() { s.idx = newDigestIndex(s.raw, make([]byte, len(s.raw))) })
	return s.idx.has(d)
}

// digestIndex holds digests grouped by bucket, some four digests per
// bucket: past their tag digests are uniformly distributed, so a lookup
// compares a handful.
type digestIndex struct {
	grouped []byte
	// off[b] is where bucket b starts in grouped, in digests; a digest's
	// bucket is the top 64-shift bits of its last 8 bytes.
	off   []uint32
	shift uint
}

// newDigestIndex groups the digests of raw into dst, which has raw's length
// and may be raw itself.
func newDigestIndex(raw, dst []byte) digestIndex {
	n := len(raw) / DigestSize
	nbits := max(bits.Len(uint(n/4)), 1)
	x := digestIndex{shift: uint(64 - nbits), off: make([]uint32, 1<<nbits+1)}
	for i := 0; i < n; i++ {
		x.off[x.bucket(raw[i*DigestSize:])+1]++
	}
	for b := 1; b < len(x.off); b++ {
		x.off[b] += x.off[b-1]
	}
	// A counting sort by bucket; in place (dst is raw) it follows the
	// cycles of the permutation.
	next := append([]uint32(nil), x.off[:len(x.off)-1]...)
	if &dst[0] != &raw[0] {
		for i := 0; i < n; i++ {
			d := raw[i*DigestSize : (i+1)*DigestSize]
			b := x.bucket(d)
			copy(dst[int(next[b])*DigestSize:], d)
			next[b]++
		}
	} else {
		var tmp [DigestSize]byte
		for b := range next {
			for next[b] < x.off[b+1] {
				i := int(next[b])
				copy(tmp[:], raw[i*DigestSize:])
				// Move tmp to its bucket until one lands in bucket b.
				for {
					t := x.bucket(tmp[:])
					j := int(next[t])
					next[t]++
					if t == uint64(b) {
						copy(raw[j*DigestSize:], tmp[:])
						break
					}
					var out [DigestSize]byte
					copy(out[:], raw[j*DigestSize:])
					copy(raw[j*DigestSize:], tmp[:])
					tmp = out
				}
			}
		}
	}
	x.grouped = dst
	return x
}

func (x *digestIndex) bucket(d []byte) uint64 { return binary.BigEndian.Uint64(d[8:]) >> x.shift }

func (x *digestIndex) has(d []byte) bool {
	hi, lo := binary.BigEndian.Uint64(d), binary.BigEndian.Uint64(d[8:])
	for i := int(x.off[lo>>x.shift]); i < int(x.off[lo>>x.shift+1]); i++ {
		e := x.grouped[i*DigestSize : (i+1)*DigestSize]
		if binary.BigEndian.Uint64(e) == hi && binary.BigEndian.Uint64(e[8:]) == lo {
			return true
		}
	}
	return false
}
