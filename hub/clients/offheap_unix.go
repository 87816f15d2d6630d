//go:build unix

package clients

import "syscall"

// allocRegion maps n bytes of anonymous memory, or takes them from the Go
// heap when the mapping fails.
func allocRegion(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

// freeRegion unmaps a region from allocRegion (a heap fallback is left to
// the garbage collector: Munmap refuses it).
func freeRegion(b []byte) {
	_ = syscall.Munmap(b)
}
