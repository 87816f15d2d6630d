package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestDigestBuilder(t *testing.T) {
	sum := func(seed string, fields ...string) string {
		b := sdk.NewDigestBuilder([]byte(seed))
		b.Reset()
		for _, f := range fields {
			b.Field(f)
		}
		return string(b.Sum(nil))
	}
	a := sum("s", "ab", "c")
	if len(a) != sdk.DigestSize {
		t.Fatalf("digest has %d bytes, want %d", len(a), sdk.DigestSize)
	}
	if a != sum("s", "ab", "c") {
		t.Error("the same fields give another digest")
	}
	for name, other := range map[string]string{
		"OtherBoundary": sum("s", "a", "bc"),
		"OtherSeed":     sum("t", "ab", "c"),
		"ExtraField":    sum("s", "ab", "c", ""),
		"OtherValue":    sum("s", "ab", "d"),
	} {
		if other == a {
			t.Errorf("%s gives the same digest", name)
		}
	}
	// Reset forgets the previous record.
	b := sdk.NewDigestBuilder([]byte("s"))
	b.Field("x")
	b.Reset()
	b.Field("ab")
	b.Field("c")
	if string(b.Sum(nil)) != a {
		t.Error("Reset does not start a new record")
	}
	// A digest starts with the tag of its seed.
	if !bytes.Equal(sdk.DigestTag([]byte(a)), sdk.DigestTag([]byte(sum("s", "x")))) ||
		bytes.Equal(sdk.DigestTag([]byte(a)), sdk.DigestTag([]byte(sum("t", "ab", "c")))) {
		t.Error("the tag does not follow the seed")
	}
	if sdk.DigestTag([]byte("short")) != nil {
		t.Error("DigestTag of no digest")
	}
	// Seed parts are length-prefixed too.
	if string(sdk.NewDigestBuilder([]byte("ab"), []byte("c")).Sum(nil)) == string(sdk.NewDigestBuilder([]byte("a"), []byte("bc")).Sum(nil)) {
		t.Error("seed parts are not delimited")
	}
}

func TestBuildID(t *testing.T) {
	id := sdk.BuildID()
	if len(id) != 32 || !bytes.Equal(id, sdk.BuildID()) {
		t.Errorf("BuildID = %x, want 32 stable bytes", id)
	}
}

// digestsOf returns n distinct digests, concatenated.
func digestsOf(from, n int) []byte {
	var b []byte
	for i := from; i < from+n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "record %d", i))
		b = append(b, sum[:sdk.DigestSize]...)
	}
	return b
}

func TestDigestSet(t *testing.T) {
	var empty *sdk.DigestSet
	if empty.Len() != 0 || empty.Has(make([]byte, sdk.DigestSize)) || empty.Bytes() != nil {
		t.Fatal("nil DigestSet is not empty")
	}
	if _, err := sdk.NewDigestSet(make([]byte, sdk.DigestSize+1)); err == nil {
		t.Fatal("NewDigestSet accepts 17 bytes")
	}
	for _, n := range []int{0, 1, 3, 100, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			raw := digestsOf(0, n)
			s, err := sdk.NewDigestSet(bytes.Clone(raw))
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != n {
				t.Errorf("Len = %d, want %d", s.Len(), n)
			}
			for i := 0; i < n; i++ {
				if !s.Has(raw[i*sdk.DigestSize : (i+1)*sdk.DigestSize]) {
					t.Fatalf("digest %d is missing", i)
				}
			}
			others := digestsOf(n, 1000)
			for i := 0; i < 1000; i++ {
				if s.Has(others[i*sdk.DigestSize : (i+1)*sdk.DigestSize]) {
					t.Fatalf("digest %d of another record is in the set", i)
				}
			}
			if s.Has([]byte("short")) {
				t.Error("Has accepts a short digest")
			}
			if !bytes.Equal(s.Bytes(), raw) {
				t.Error("Bytes changed after the set was indexed")
			}
		})
	}
}

// TestDigestSetOneTag: digests of one builder share their tag; the set
// must not put them all in one bucket's worth of work, nor lose any.
func TestDigestSetOneTag(t *testing.T) {
	b := sdk.NewDigestBuilder([]byte("seed"))
	var raw []byte
	for i := 0; i < 5000; i++ {
		b.Reset()
		b.Field(fmt.Sprint(i))
		raw = b.Sum(raw)
	}
	s, err := sdk.NewDigestSet(bytes.Clone(raw))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		if !s.Has(raw[i*sdk.DigestSize : (i+1)*sdk.DigestSize]) {
			t.Fatalf("digest %d is missing", i)
		}
	}
	b.Reset()
	b.Field("5000")
	if s.Has(b.Sum(nil)) {
		t.Error("a digest of another record is in the set")
	}
}

// TestDecodeKnown sends a set of known digests with a document over gRPC:
// the adapter gets the set, indexed in place, and reports unchanged records
// in the chunks.
func TestDecodeKnown(t *testing.T) {
	impl := &knownAdapter{}
	a := sdk.TestClient(t, impl)
	known := digestsOf(0, 20000) // more than one frame
	known = append(known, lineDigest("b", "2")...)
	set, err := sdk.NewDigestSet(known)
	if err != nil {
		t.Fatal(err)
	}
	src := "a,1\nb,2\nc,3\n"
	var out collector
	if err := a.Decode(context.Background(), sdk.Document{ID: "doc1", Known: set}, strings.NewReader(src), &out); err != nil {
		t.Fatal(err)
	}
	if got := impl.knownLen(); got != 20001 {
		t.Errorf("adapter got %d known digests, want 20001", got)
	}
	want := []sdk.Chunk{{
		Records: []sdk.Record{
			{Line: 1, RecordKey: "a", JSON: []byte(`{}`), SourceDigest: lineDigest("a", "1")},
			{Line: 3, RecordKey: "c", JSON: []byte(`{}`), SourceDigest: lineDigest("c", "3")},
		},
		Unchanged: []sdk.Unchanged{{Line: 2, RecordKey: "b"}},
	}}
	if !reflect.DeepEqual(out.chunks, want) {
		t.Errorf("chunks =\n%+v\nwant\n%+v", out.chunks, want)
	}

	t.Run("WithoutKnown", func(t *testing.T) {
		var out collector
		if err := a.Decode(context.Background(), sdk.Document{ID: "doc2"}, strings.NewReader(src), &out); err != nil {
			t.Fatal(err)
		}
		if impl.knownLen() != 0 || len(out.chunks) != 1 || len(out.chunks[0].Records) != 3 {
			t.Errorf("without Known: %d known, chunks %+v", impl.knownLen(), out.chunks)
		}
	})
	t.Run("EmptyDocument", func(t *testing.T) {
		var out collector
		if err := a.Decode(context.Background(), sdk.Document{ID: "doc3", Known: set}, strings.NewReader(""), &out); err != nil {
			t.Fatal(err)
		}
		if impl.knownLen() != 20001 || len(out.chunks) != 0 {
			t.Errorf("empty document: %d known, chunks %+v", impl.knownLen(), out.chunks)
		}
	})
}

func lineDigest(key, value string) []byte {
	b := sdk.NewDigestBuilder([]byte("test"))
	b.Field(key)
	b.Field(value)
	return b.Sum(nil)
}

// knownAdapter decodes "key,value" lines with the digest capability.
type knownAdapter struct {
	lineAdapter
	mu    sync.Mutex
	known int
}

func (a *knownAdapter) knownLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.known
}

func (a *knownAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	a.mu.Lock()
	a.known = doc.Known.Len()
	a.mu.Unlock()
	b := sdk.NewBatcher(out, 10)
	sc := bufio.NewScanner(src)
	line := 0
	for sc.Scan() {
		line++
		key, value, _ := strings.Cut(sc.Text(), ",")
		d := lineDigest(key, value)
		var err error
		if doc.Known.Has(d) {
			err = b.AddUnchanged(ctx, sdk.Unchanged{Line: line, RecordKey: key})
		} else {
			err = b.Add(ctx, sdk.Record{Line: line, RecordKey: key, JSON: []byte(`{}`), SourceDigest: d})
		}
		if err != nil {
			return err
		}
	}
	return b.Flush(ctx)
}

func TestBatcherUnchanged(t *testing.T) {
	var out collector
	b := sdk.NewBatcher(&out, 2)
	ctx := context.Background()
	// An unchanged record takes a record's place.
	for i := 1; i <= 3; i++ {
		if err := b.AddUnchanged(ctx, sdk.Unchanged{Line: i, RecordKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Add(ctx, sdk.Record{Line: 4}); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var sizes []string
	for _, c := range out.chunks {
		sizes = append(sizes, fmt.Sprintf("%d:%d+%d", c.Seq, len(c.Records), len(c.Unchanged)))
	}
	if fmt.Sprint(sizes) != "[0:0+2 1:1+1]" {
		t.Errorf("chunks %v, want [0:0+2 1:1+1]", sizes)
	}
}

func TestBatcherConsents(t *testing.T) {
	var out collector
	b := sdk.NewBatcher(&out, 2)
	ctx := context.Background()
	// Statements do not take a record's place: the chunk still holds two records.
	for i := 1; i <= 3; i++ {
		if err := b.AddConsent(ctx, sdk.Consent{Line: i}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 4; i <= 5; i++ {
		if err := b.Add(ctx, sdk.Record{Line: i}); err != nil {
			t.Fatal(err)
		}
	}
	// A chunk of statements alone is flushed at MaxChunkConsents, and at the end.
	for i := 0; i < sdk.MaxChunkConsents+1; i++ {
		if err := b.AddConsent(ctx, sdk.Consent{Line: 6 + i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var sizes []string
	for _, c := range out.chunks {
		sizes = append(sizes, fmt.Sprintf("%d:%d+%d", c.Seq, len(c.Records), len(c.Consents)))
	}
	want := fmt.Sprintf("[0:2+3 1:0+%d 2:0+1]", sdk.MaxChunkConsents)
	if fmt.Sprint(sizes) != want {
		t.Errorf("chunks %v, want %s", sizes, want)
	}
}
