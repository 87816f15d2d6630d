//go:build !unix

package clients

// allocRegion takes n bytes from the Go heap where anonymous mappings are
// not available.
func allocRegion(n int) []byte { return make([]byte, n) }

func freeRegion([]byte) {}
