package clients

import "unsafe"

// offheap hands out memory outside the Go heap (anonymous mappings where the
// platform has them, see offheap_unix.go), for the identity index's large,
// pointer-free arrays: the garbage collector neither scans it nor counts it
// towards the next collection, so a heap of a few hundred MiB of index does
// not double the hub's resident memory. Nothing in it may hold a Go pointer.
type offheap struct {
	regions [][]byte
}

// bytes returns n zeroed bytes.
func (o *offheap) bytes(n int) []byte {
	b := allocRegion(n)
	o.regions = append(o.regions, b)
	return b
}

// free releases every region; nothing handed out may be used afterwards.
func (o *offheap) free() {
	for _, b := range o.regions {
		freeRegion(b)
	}
	o.regions = nil
}

// vecChunk is the number of elements in one chunk of a vec.
const vecChunk = 1 << 16

// vec is a growable array of a pointer-free T in offheap chunks of vecChunk
// elements; elements never move.
type vec[T any] struct {
	chunks [][]T
	n      int
}

func (v *vec[T]) len() int { return v.n }

// at returns element i.
func (v *vec[T]) at(i uint32) *T { return &v.chunks[i/vecChunk][i%vecChunk] }

// push appends x and returns its index.
func (v *vec[T]) push(o *offheap, x T) uint32 {
	if v.n == len(v.chunks)*vecChunk {
		var zero T
		b := o.bytes(vecChunk * int(unsafe.Sizeof(zero)))
		v.chunks = append(v.chunks, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), vecChunk))
	}
	i := uint32(v.n)
	*v.at(i) = x
	v.n++
	return i
}
