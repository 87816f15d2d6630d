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
// hub holds, as it sends them with a document (Document.Known), in the order
// of their record keys. A nil *DigestSet is the empty set. A DigestSet is
// safe for concurrent use; a DigestSeeker over it is not.
type DigestSet struct {
	raw  []byte // DigestSize bytes per digest
	once sync.Once
	idx  digestIndex // built on the first lookup
}

// NewDigestSet returns the set of the digests in raw, DigestSize bytes each,
// one after the other; it keeps raw, which the caller must not change. It
// returns an error when the length of raw is not a multiple of DigestSize.
func NewDigestSet(raw []byte) (*DigestSet, error) {
	if len(raw)%DigestSize != 0 {
		return nil, fmt.Errorf("digest set of %d bytes: not a multiple of %d", len(raw), DigestSize)
	}
	return &DigestSet{raw: raw}, nil
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

// Has reports whether d is in the set. The first lookup indexes the set, in
// time linear in its size.
func (s *DigestSet) Has(d []byte) bool { return s.find(d) >= 0 }

// find returns the position of d in the set, or -1.
func (s *DigestSet) find(d []byte) int {
	if s.Len() == 0 || len(d) != DigestSize {
		return -1
	}
	s.once.Do(func() { s.idx = newDigestIndex(s.raw) })
	return s.idx.find(s.raw, d)
}

// at reports whether the digest at position i is d.
func (s *DigestSet) at(i int, d []byte) bool {
	e := s.raw[i*DigestSize : (i+1)*DigestSize]
	return binary.LittleEndian.Uint64(e) == binary.LittleEndian.Uint64(d) &&
		binary.LittleEndian.Uint64(e[8:]) == binary.LittleEndian.Uint64(d[8:])
}

// seekAhead is how far a DigestSeeker looks past the digest after the last
// one it found: past records that changed, are new or are missing.
const seekAhead = 8

// DigestSeeker looks up digests in a DigestSet, one document's records
// after another. The hub sends the digests in the order of their record
// keys, and most exports list their records in that order too: the seeker
// first looks just after the digest it found last, which is where the next
// record's digest is then, and only otherwise in the set's index, which
// costs a few cache misses in a set of millions. A DigestSeeker is not safe
// for concurrent use.
type DigestSeeker struct {
	s    *DigestSet
	next int // the position after the last digest found
}

// Seeker returns a DigestSeeker over s (nil s: the empty set).
func (s *DigestSet) Seeker() *DigestSeeker { return &DigestSeeker{s: s} }

// Has reports whether d is in the set.
func (k *DigestSeeker) Has(d []byte) bool {
	n := k.s.Len()
	if n == 0 || len(d) != DigestSize {
		return false
	}
	for i := k.next; i < min(k.next+seekAhead, n); i++ {
		if k.s.at(i, d) {
			k.next = i + 1
			return true
		}
	}
	i := k.s.find(d)
	if i < 0 {
		return false
	}
	k.next = i + 1
	return true
}

// digestIndex holds the positions of a set's digests grouped by bucket, some
// four per bucket: past their tag, digests are uniformly distributed, so a
// lookup compares a handful.
type digestIndex struct {
	pos []uint32
	// off[b] is where bucket b starts in pos; a digest's bucket is the top
	// 64-shift bits of its last 8 bytes.
	off   []uint32
	shift uint
}

func newDigestIndex(raw []byte) digestIndex {
	n := len(raw) / DigestSize
	nbits := max(bits.Len(uint(n/4)), 1)
	x := digestIndex{shift: uint(64 - nbits), off: make([]uint32, 1<<nbits+1), pos: make([]uint32, n)}
	for i := 0; i < n; i++ {
		x.off[x.bucket(raw[i*DigestSize:])+1]++
	}
	for b := 1; b < len(x.off); b++ {
		x.off[b] += x.off[b-1]
	}
	next := append([]uint32(nil), x.off[:len(x.off)-1]...)
	for i := 0; i < n; i++ {
		b := x.bucket(raw[i*DigestSize:])
		x.pos[next[b]] = uint32(i)
		next[b]++
	}
	return x
}

func (x *digestIndex) bucket(d []byte) uint64 { return binary.BigEndian.Uint64(d[8:]) >> x.shift }

func (x *digestIndex) find(raw, d []byte) int {
	b := x.bucket(d)
	hi, lo := binary.LittleEndian.Uint64(d), binary.LittleEndian.Uint64(d[8:])
	for _, p := range x.pos[x.off[b]:x.off[b+1]] {
		e := raw[int(p)*DigestSize:]
		if binary.LittleEndian.Uint64(e) == hi && binary.LittleEndian.Uint64(e[8:]) == lo {
			return int(p)
		}
	}
	return -1
}
