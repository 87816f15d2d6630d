package clients

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkIndexMemory fills an index with 1,000,000 registrations of five
// blocks each (the bench export's shape) and reports the memory it holds on
// the Go heap and outside it.
func BenchmarkIndexMemory(b *testing.B) {
	for range b.N {
		r := rand.New(rand.NewPCG(1, 2))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ix := newIdentityIndex(DefaultMaxBlock)
		ix.reset()
		features := make([]byte, 60)
		hash := make([]byte, 32)
		for i := range 1_000_000 {
			blocks := []int64{r.Int64(), r.Int64N(2_000_000), r.Int64N(500_000), r.Int64N(1_000_000), r.Int64()}
			ix.put(int64(i), 0, indexRecord{recordKey: fmt.Sprintf("%010d", i), clientID: "kc-abcdefghijklmnopqrstuvwx",
				features: features, bsnHash: hash, blocks: blocks})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		off := 0
		for _, r := range ix.mem.regions {
			off += len(r)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(off)/(1<<20), "offheap-MiB")
		ix.mem.free()
		b.ReportMetric(float64(len(ix.blocks)), "blocks")
		runtime.KeepAlive(ix)
	}
}
