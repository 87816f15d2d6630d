package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// generator writes a gemeente-szw export of n rows on the fly, so that a
// large document never sits in memory. Row i is its dossier number, its BSN
// and the tail genTails[i%genPeriod], so that writing a row costs little
// next to decoding it.
type generator struct {
	n, i int
	buf  []byte
}

func newGenerator(n int) *generator {
	g := &generator{n: n}
	g.buf = append(g.buf, "dossiernr,bsn,achternaam,tussenvoegsel,voorletters,voornaam,geboortedatum,geslacht,doelgroep,gemeente,processtap,regievoerder,wonen,inkomen,zorg\n"...)
	return g
}

var (
	genSurnames = []string{"Jansen", "de Vries", "Berg", "Bakker", "van Dijk", "Visser", "Smit"}
	genPrefixes = []string{"", "", "van den", "", "", "de", ""}
	genInitials = []string{"A.H", "CS.", "M", ""}
	genGenders  = []string{"man", "vrouw", ""}
	genGroups   = []string{"feitelijk dakloos", "dreigend dakloos", "zwerfjongere", "veelpleger"}
	genSteps    = []string{"aanmelding", "triage", "trajectmonitoring", "uitstroom"}
	genStatus   = []string{"stabiel", "instabiel", "onbekend"}
)

// genPeriod is the period of the generated columns after the BSN: the least
// common multiple of the lengths of the lists above and of the birth date's
// 60 years, 12 months and 28 days.
const genPeriod = 420

// genTails are the columns after the BSN of row i%genPeriod, with the comma
// before them and the line end after them.
var genTails = func() []string {
	tails := make([]string, genPeriod)
	for i := range tails {
		tails[i] = fmt.Sprintf(",%s,%s,%s,,%04d%02d%02d,%s,%s,Eindhoven,%s,M. Yilmaz (SZW),%s,%s,%s\n",
			genSurnames[i%7], genPrefixes[i%7], genInitials[i%4], 1940+i%60, 1+i%12, 1+i%28,
			genGenders[i%3], genGroups[i%4], genSteps[i%4], genStatus[i%3], genStatus[(i+1)%3], genStatus[(i+2)%3])
	}
	return tails
}()

func (g *generator) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		i := g.i
		g.buf = append(g.buf, "gem-"...)
		g.buf = appendDigits9(g.buf, i)
		g.buf = append(g.buf, ',')
		g.buf = appendDigits9(g.buf, 100000000+i)
		g.buf = append(g.buf, genTails[i%genPeriod]...)
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// appendDigits9 appends n as fmt's %09d does for 0 <= n < 1e9.
func appendDigits9(dst []byte, n int) []byte {
	var d [9]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, d[:]...)
}

// TestGenerator checks the generator against the format it replaces.
func TestGenerator(t *testing.T) {
	const rows = 2 * genPeriod
	got, err := io.ReadAll(newGenerator(rows))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("dossiernr,bsn,achternaam,tussenvoegsel,voorletters,voornaam,geboortedatum,geslacht,doelgroep,gemeente,processtap,regievoerder,wonen,inkomen,zorg\n")
	for i := range rows {
		want = fmt.Appendf(want, "gem-%09d,%09d,%s,%s,%s,,%04d%02d%02d,%s,%s,Eindhoven,%s,M. Yilmaz (SZW),%s,%s,%s\n",
			i, 100000000+i, genSurnames[i%7], genPrefixes[i%7], genInitials[i%4],
			1940+i%60, 1+i%12, 1+i%28, genGenders[i%3], genGroups[i%4], genSteps[i%4],
			genStatus[i%3], genStatus[(i+1)%3], genStatus[(i+2)%3])
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("generator output differs from the reference format")
	}
}

// counter is a ChunkWriter that counts, and every sampleEvery chunks samples
// the heap: the heap in use, and with liveGC the live heap after a
// collection.
type counter struct {
	records, errors, chunks int
	firstErr                string
	liveGC                  bool
	peakHeap, peakLive      uint64
}

const sampleEvery = 100

func (c *counter) WriteChunk(_ context.Context, ch sdk.Chunk) error {
	c.records += len(ch.Records)
	c.errors += len(ch.Errors)
	if c.firstErr == "" && len(ch.Errors) > 0 {
		c.firstErr = ch.Errors[0].Message
	}
	c.chunks++
	if c.chunks%sampleEvery == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		c.peakHeap = max(c.peakHeap, ms.HeapInuse)
		if c.liveGC {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			c.peakLive = max(c.peakLive, ms.HeapAlloc)
		}
	}
	return nil
}

// TestDecodeConstantMemory decodes a generated export of 1,000,000 rows,
// about 150 MB (a tenth of it under the race detector), and checks that the
// live heap stays far below the document size: only the duplicate-key index
// grows with the row count, by some 30 bytes per row.
func TestDecodeConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large document")
	}
	rows := 1_000_000
	if raceEnabled {
		rows = 100_000
	}
	a := mustAdapter(t, "gemeente-szw", string(partnerConfig(t, "gemeente-szw")))
	c := &counter{liveGC: true}
	start := time.Now()
	if err := a.Decode(context.Background(), testDoc, newGenerator(rows), c); err != nil {
		t.Fatal(err)
	}
	if c.records != rows || c.errors != 0 {
		t.Fatalf("records %d errors %d (first: %s), want %d records", c.records, c.errors, c.firstErr, rows)
	}
	limit := uint64(16<<20 + 48*rows)
	t.Logf("%d rows in %v; peak live heap %d MB, peak heap in use %d MB", rows, time.Since(start).Round(time.Millisecond), c.peakLive>>20, c.peakHeap>>20)
	if c.peakLive > limit {
		t.Errorf("peak live heap %d MB, want below %d MB", c.peakLive>>20, limit>>20)
	}
}

// cpuTime is the CPU time the process has used: on a shared machine a
// steadier measure than the time that passed.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecode decodes a generated 1,000,000-row export and reports rows
// per second.
func BenchmarkDecode(b *testing.B) {
	const rows = 1_000_000
	a := mustAdapter(b, "gemeente-szw", string(partnerConfig(b, "gemeente-szw")))
	b.ReportAllocs()
	var elapsed time.Duration
	cpu := cpuTime()
	for b.Loop() {
		c := &counter{}
		start := time.Now()
		if err := a.Decode(context.Background(), testDoc, newGenerator(rows), c); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if c.records != rows {
			b.Fatalf("records %d, want %d", c.records, rows)
		}
		b.ReportMetric(float64(c.peakHeap>>20), "peak-heap-MB")
	}
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}
