package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// benchRecords is the number of records of the generated push: ten times
// the 10 MiB push limit's worth would be more than a push may hold, so this
// is about what one push of that limit holds (some 600 bytes a record).
const benchRecords = 16_000

// benchPush returns a push in the example partner's form with n records.
func benchPush(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bericht": {"afzender": "schuldhulp"}, "registraties": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"dossiernummer": "SHV-%07d", "mutatie": "nieuw", "persoon": {"bsn": null, "voornamen": "Jan Pieter", "voorvoegsel": "van der",`+
			` "geslachtsnaam": "Berg", "geboortedatum": "%02d-%02d-19%02d", "geslacht": "M"}, "traject": {"fase": "intake", "doelgroep": "dreigend dakloos",`+
			` "gemeente": "Helmond", "casemanager": "R. de Wit (Kredietbank)", "schuldbedrag": %d}, "leefgebieden": [{"gebied": "Financiën", "score": "instabiel",`+
			` "peildatum": "01-02-2025"}, {"gebied": "Huisvesting", "score": "?"}], "gemeld": "2025-02-21 08:57"}`, i, 1+i%28, 1+i%12, 40+i%50, i*7%60000)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkDecode decodes a push of benchRecords records with the example
// configuration and reports records per second and CPU seconds per push.
func BenchmarkDecode(b *testing.B) {
	a := mustAdapter(b, exampleConfig(b))
	data := benchPush(benchRecords)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		n := 0
		if err := a.Decode(context.Background(), testDoc, bytes.NewReader(data), counter(func(c sdk.Chunk) { n += len(c.Records) })); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if n != benchRecords {
			b.Fatalf("%d records, want %d", n, benchRecords)
		}
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/elapsed.Seconds(), "records/s")
}

// counter is a ChunkWriter that hands every chunk to a function.
type counter func(sdk.Chunk)

func (f counter) WriteChunk(_ context.Context, c sdk.Chunk) error {
	f(c)
	return nil
}
