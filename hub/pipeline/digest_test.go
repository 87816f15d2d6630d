package pipeline_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// digestAdapter is lineAdapter with the digest capability: a line's digest
// is over its text. It records what its Decode calls saw and did, and can
// fail Decode once (a crash).
type digestAdapter struct {
	lineAdapter
	seed        atomic.Value // string: the digests' seed, "" for "build 1"
	volatile    atomic.Bool  // digests change with every document, their tag does not
	noDigests   atomic.Bool  // Decode sets no SourceDigest, as an adapter without the capability
	unsupported atomic.Bool  // Describe lists no digest capability
	decodeFail  atomic.Int32 // Decode fails after this many records, once
	mu          sync.Mutex
	known       []int // per Decode call: the number of known digests
	delivered   []int // per Decode call: records and errors delivered
	unchanged   []int // per Decode call: records reported unchanged
}

// digest is the source digest of a line of doc.
func (a *digestAdapter) digest(doc sdk.Document, line string) []byte {
	seed, _ := a.seed.Load().(string)
	b := sdk.NewDigestBuilder([]byte("build 1" + seed))
	b.Field(line)
	if a.volatile.Load() {
		b.Field(doc.ID)
	}
	return b.Sum(nil)
}

func (a *digestAdapter) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := a.lineAdapter.Describe(ctx)
	if !a.unsupported.Load() {
		d.Capabilities = []string{"decode", sdk.CapabilityDigest}
	}
	return d, err
}

func (a *digestAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	b := sdk.NewBatcher(out, 10)
	sc := bufio.NewScanner(src)
	line, delivered, unchanged := 0, 0, 0
	defer func() {
		a.mu.Lock()
		a.known = append(a.known, doc.Known.Len())
		a.delivered = append(a.delivered, delivered)
		a.unchanged = append(a.unchanged, unchanged)
		a.mu.Unlock()
	}()
	seen := map[string]bool{}
	for sc.Scan() {
		line++
		key, surname, _ := strings.Cut(sc.Text(), ";")
		if !seen[key] && doc.Known.Has(a.digest(doc, sc.Text())) {
			seen[key] = true
			unchanged++
			if err := b.AddUnchanged(ctx, sdk.Unchanged{Line: line, RecordKey: key}); err != nil {
				return err
			}
			continue
		}
		seen[key] = true
		delivered++
		if surname == "" {
			if err := b.AddError(ctx, sdk.RecordError{Line: line, RecordKey: key, Field: "client.surname", Code: sdk.CodeRequired, Message: "achternaam ontbreekt"}); err != nil {
				return err
			}
			continue
		}
		reg := sdk.Registration{SchemaVersion: sdk.SchemaVersion, Source: sdk.Source{Partner: doc.Partner, RecordKey: key},
			Operation: sdk.OpNew, RegisteredAt: doc.ReceivedAt, Client: sdk.Client{Surname: surname}}
		r := sdk.Record{Line: line, RecordKey: key, JSON: reg.AppendJSON(nil)}
		if !a.noDigests.Load() {
			r.SourceDigest = a.digest(doc, sc.Text())
		}
		if err := b.Add(ctx, r); err != nil {
			return err
		}
		if n := a.decodeFail.Load(); n > 0 && int32(delivered) == n {
			a.decodeFail.Store(0)
			return fmt.Errorf("adapter crashed: %w", sdk.ErrUnavailable)
		}
	}
	return b.Flush(ctx)
}

func (a *digestAdapter) calls() (known, delivered, unchanged string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprint(a.known), fmt.Sprint(a.delivered), fmt.Sprint(a.unchanged)
}

func (a *digestAdapter) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.known, a.delivered, a.unchanged = nil, nil, nil
}

// storedDigests counts the partner's active registrations with and without
// a source digest.
func storedDigests(t *testing.T, st *store.Store) (with, without int) {
	t.Helper()
	err := st.Pool().QueryRow(context.Background(), `SELECT count(source_digest), count(*) - count(source_digest) FROM registrations
		WHERE partner = 'p' AND status = 'active'`).Scan(&with, &without)
	if err != nil {
		t.Fatal(err)
	}
	return with, without
}

// TestDigestNights runs the nights of TestPipeline through an adapter with
// the digest capability: the receipts are the same, but the second night's
// Decode maps only what changed.
func TestDigestNights(t *testing.T) {
	a := &digestAdapter{}
	st, p := run(t, oneAdapter{a: a})

	d := landAndWait(t, st, p, "night1.txt", lines(95, map[int]string{7: ""}))
	if c := d.Receipt.Counts; d.Status != hub.DocDone || c.Records != 95 || c.Inserted != 94 || c.Rejected != 1 {
		t.Fatalf("night 1: %s %+v", d.Status, c)
	}
	if known, _, _ := a.calls(); known != "[0]" {
		t.Fatalf("night 1 (nothing stored yet) sent known digests: %s", known)
	}
	if with, without := storedDigests(t, st); with != 94 || without != 0 {
		t.Fatalf("after night 1: %d registrations with a source digest, %d without", with, without)
	}

	a.reset()
	d = landAndWait(t, st, p, "night2.txt", lines(90, map[int]string{7: "", 8: "Visser"}))
	c := d.Receipt.Counts
	if c.Records != 90 || c.Unchanged != 88 || c.Updated != 1 || c.Ended != 5 || c.Inserted != 0 || c.Rejected != 1 {
		t.Fatalf("night 2: %+v", c)
	}
	if len(d.Receipt.Errors) != 1 || d.Receipt.Errors[0].Line != 7 {
		t.Fatalf("night 2 errors: %+v", d.Receipt.Errors)
	}
	if known, delivered, unchanged := a.calls(); known != "[94]" || delivered != "[2]" || unchanged != "[88]" {
		t.Fatalf("night 2: Decode got %s known digests, delivered %s and reported %s unchanged; want 94, 2, 88", known, delivered, unchanged)
	}

	t.Run("UnchangedAgain", func(t *testing.T) {
		a.reset()
		d := landAndWait(t, st, p, "night3.txt", lines(90, map[int]string{7: "", 8: "Visser", 90: "Bakker"}))
		if c := d.Receipt.Counts; c.Records != 90 || c.Unchanged != 88 || c.Updated != 1 || c.Ended != 0 || c.Rejected != 1 {
			t.Fatalf("night 3: %+v", c)
		}
		if _, _, unchanged := a.calls(); unchanged != "[88]" {
			t.Fatalf("night 3 reported %s unchanged, want 88", unchanged)
		}
	})
}

// TestDigestResume crashes the adapter during a decode that reports
// unchanged records: the resumed decode skips the chunks published before,
// and the receipt is exact.
func TestDigestResume(t *testing.T) {
	a := &digestAdapter{}
	st, p := run(t, oneAdapter{a: a})
	landAndWait(t, st, p, "night1.txt", lines(195, nil))

	a.reset()
	a.decodeFail.Store(60)
	changed := map[int]string{}
	for i := 1; i <= 195; i += 2 {
		changed[i] = "Visser"
	}
	d := landAndWait(t, st, p, "night2.txt", lines(195, changed))
	if c := d.Receipt.Counts; d.Status != hub.DocDone || c.Records != 195 || c.Updated != 98 || c.Unchanged != 97 || c.Ended != 0 {
		t.Fatalf("night 2 with a crash: %s %+v", d.Status, c)
	}
	// The resumed Decode gets the digests of the records stored before the
	// crash too, and reports them unchanged, in chunks it skips.
	if _, delivered, _ := a.calls(); !strings.HasPrefix(delivered, "[60 ") {
		t.Fatalf("Decode delivered %s, want a crash after 60 and a second call", delivered)
	}
	var stored, distinct int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT seq) FROM document_chunks WHERE document_id = $1`,
		d.ID).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if stored != distinct {
		t.Fatalf("%d chunk messages stored for %d seqs", stored, distinct)
	}
}

// TestDigestFill: registrations stored without a source digest (before
// digests, or by an adapter without them) get one the first night their
// content turns out unchanged, and are left unmapped the night after.
func TestDigestFill(t *testing.T) {
	a := &digestAdapter{}
	a.noDigests.Store(true)
	st, p := run(t, oneAdapter{a: a})
	landAndWait(t, st, p, "night1.txt", lines(30, nil))
	if with, _ := storedDigests(t, st); with != 0 {
		t.Fatalf("%d registrations have a digest after a night without", with)
	}

	a.noDigests.Store(false)
	a.reset()
	d := landAndWait(t, st, p, "night2.txt", lines(30, map[int]string{3: "Visser"}))
	if c := d.Receipt.Counts; c.Unchanged != 29 || c.Updated != 1 {
		t.Fatalf("night 2: %+v", c)
	}
	if with, without := storedDigests(t, st); with != 30 || without != 0 {
		t.Fatalf("after night 2: %d registrations with a source digest, %d without", with, without)
	}

	a.reset()
	d = landAndWait(t, st, p, "night3.txt", lines(30, map[int]string{3: "Visser", 30: "Bakker"}))
	if c := d.Receipt.Counts; c.Unchanged != 29 || c.Updated != 1 {
		t.Fatalf("night 3: %+v", c)
	}
	if _, delivered, unchanged := a.calls(); unchanged != "[29]" || delivered != "[1]" {
		t.Fatalf("night 3 reported %s unchanged and delivered %s, want 29 and 1", unchanged, delivered)
	}
}

// TestDigestRefresh: a new adapter build (another seed) makes every digest
// unknown once; the unchanged records then give their registrations the new
// digests, and the night after they are known again. Digests that change
// with the same tag (a source field that changes without changing the
// registration) are not stored: that would cost every night.
func TestDigestRefresh(t *testing.T) {
	a := &digestAdapter{}
	st, p := run(t, oneAdapter{a: a})
	landAndWait(t, st, p, "night1.txt", lines(30, nil))
	digests := func() string {
		var d []byte
		if err := st.Pool().QueryRow(context.Background(), `SELECT string_agg(source_digest, '' ORDER BY record_key) FROM registrations`).Scan(&d); err != nil {
			t.Fatal(err)
		}
		return string(d)
	}
	before := digests()

	a.seed.Store(" rebuilt")
	a.reset()
	landAndWait(t, st, p, "night2.txt", lines(30, map[int]string{3: "Visser"}))
	if _, delivered, unchanged := a.calls(); unchanged != "[0]" || delivered != "[30]" {
		t.Fatalf("night 2 (new build) reported %s unchanged and delivered %s, want 0 and 30", unchanged, delivered)
	}
	a.reset()
	landAndWait(t, st, p, "night3.txt", lines(30, map[int]string{3: "Visser", 30: "Bakker"}))
	if _, delivered, unchanged := a.calls(); unchanged != "[29]" || delivered != "[1]" {
		t.Fatalf("night 3 reported %s unchanged and delivered %s, want 29 and 1", unchanged, delivered)
	}

	t.Run("SameTagIsNotStored", func(t *testing.T) {
		a.volatile.Store(true)
		stored := digests()
		if stored == before {
			t.Fatal("the new build's digests were not stored")
		}
		d := landAndWait(t, st, p, "night4.txt", lines(30, map[int]string{3: "Visser", 30: "Bakker", 29: "Smit"}))
		if c := d.Receipt.Counts; c.Unchanged != 29 || c.Updated != 1 {
			t.Fatalf("night 4: %+v", c)
		}
		after := digests()
		// Only record 29 (updated) got another digest.
		if after[:28*sdk.DigestSize] != stored[:28*sdk.DigestSize] || after[29*sdk.DigestSize:] != stored[29*sdk.DigestSize:] {
			t.Fatal("digests of unchanged records with the same tag were stored")
		}
	})
}

// TestDigestUnsupported: an adapter without the digest capability gets no
// known digests and is decoded in full.
func TestDigestUnsupported(t *testing.T) {
	a := &digestAdapter{}
	a.unsupported.Store(true)
	st, p := run(t, oneAdapter{a: a})
	landAndWait(t, st, p, "night1.txt", lines(20, nil))
	a.reset()
	d := landAndWait(t, st, p, "night2.txt", lines(20, map[int]string{4: "Visser"}))
	if c := d.Receipt.Counts; d.Status != hub.DocDone || c.Unchanged != 19 || c.Updated != 1 {
		t.Fatalf("night 2: %s %+v", d.Status, c)
	}
	if known, delivered, _ := a.calls(); known != "[0]" || delivered != "[20]" {
		t.Fatalf("Decode got %s known digests and delivered %s", known, delivered)
	}
}
