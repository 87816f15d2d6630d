package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// lineAdapter maps each line "key;surname" to a registration, in chunks of
// 10; "key;surname;+" adds the client's consent after it. failAt makes
// Decode fail once after that many chunks (a crash).
type lineAdapter struct {
	failAt   int
	failures atomic.Int32
	maxFails int32
}

func (a *lineAdapter) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{Name: "lines"}, nil
}

func (a *lineAdapter) Configure(context.Context, string, []byte) error { return nil }

func (a *lineAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	b := sdk.NewBatcher(out, 10)
	sc := bufio.NewScanner(src)
	line, chunks := 0, 0
	for sc.Scan() {
		line++
		key, surname, _ := strings.Cut(sc.Text(), ";")
		surname, mark, _ := strings.Cut(surname, ";")
		if surname == "" {
			if err := b.AddError(ctx, sdk.RecordError{Line: line, RecordKey: key, Field: "client.surname", Code: sdk.CodeRequired, Message: "achternaam ontbreekt"}); err != nil {
				return err
			}
			continue
		}
		reg := sdk.Registration{SchemaVersion: sdk.SchemaVersion, Source: sdk.Source{Partner: doc.Partner, RecordKey: key},
			Operation: sdk.OpNew, RegisteredAt: doc.ReceivedAt, Client: sdk.Client{Surname: surname}}
		rec := sdk.Record{Line: line, RecordKey: key, JSON: reg.AppendJSON(nil)}
		if mark != "" {
			rec.SourceDigest = make([]byte, sdk.DigestSize) // for the statement's record only
		}
		if err := b.Add(ctx, rec); err != nil {
			return err
		}
		if mark == "+" {
			st := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: doc.Partner}, Client: sdk.ConsentClient{RecordKey: key},
				Recipient: "q", Purpose: "zorgcoordinatie", State: sdk.ConsentGiven, LegalBasis: sdk.BasisToestemming, EvidenceRef: "formulier"}
			if err := b.AddConsent(ctx, st.Consent(line)); err != nil {
				return err
			}
		}
		if line%10 == 0 {
			chunks++
			if a.failAt > 0 && chunks == a.failAt && a.failures.Load() < a.maxFails {
				a.failures.Add(1)
				return fmt.Errorf("adapter crashed: %w", sdk.ErrUnavailable)
			}
		}
	}
	return b.Flush(ctx)
}

type oneAdapter struct {
	a   sdk.Adapter
	err error
}

func (o oneAdapter) Adapter(context.Context, string) (sdk.Adapter, error) { return o.a, o.err }

func run(t *testing.T, adapters pipeline.Adapters) (*store.Store, *pipeline.Pipeline) {
	t.Helper()
	return runWith(t, adapters, nil)
}

// runWith is run with a configuration that set may change.
func runWith(t *testing.T, adapters pipeline.Adapters, set func(*pipeline.Config)) (*store.Store, *pipeline.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{Store: st, Adapters: adapters, Validator: v,
		Partners: []pipeline.Partner{{ID: "p", EndMissing: true, MaxMissingShare: 1}}, RetryMax: 3, RetryInitialInterval: 10 * time.Millisecond,
		PollInterval: 20 * time.Millisecond}
	if set != nil {
		set(&cfg)
	}
	p, err := pipeline.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = p.Run(ctx) }()
	<-p.Running()
	t.Cleanup(func() { cancel(); wg.Wait(); st.Close() })
	return st, p
}

func landAndWait(t *testing.T, st *store.Store, p *pipeline.Pipeline, name, data string) hub.Document {
	t.Helper()
	return landFromAndWait(t, st, p, hub.SourceDrop, name, data)
}

// landFromAndWait lands a document that came from source and waits until
// the pipeline finished it.
func landFromAndWait(t *testing.T, st *store.Store, p *pipeline.Pipeline, source, name, data string) hub.Document {
	t.Helper()
	ctx := context.Background()
	doc, _, err := st.Land(ctx, store.Landing{Partner: "p", OriginalName: name, Source: source,
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error { return p.Submit(ctx, tx, "p", id) }}, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		d, err := st.Document(ctx, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == hub.DocDone || d.Status == hub.DocFailed {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("document %s not finished", name)
	return hub.Document{}
}

func lines(n int, change map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		surname := "Jansen"
		if s, ok := change[i]; ok {
			surname = s
		}
		fmt.Fprintf(&b, "k%03d;%s\n", i, surname)
	}
	return b.String()
}

func TestPipeline(t *testing.T) {
	a := &lineAdapter{failAt: 3, maxFails: 1}
	st, p := run(t, oneAdapter{a: a})

	d := landAndWait(t, st, p, "night1.txt", lines(95, map[int]string{7: ""}))
	rc := d.Receipt
	if d.Status != hub.DocDone || rc.Counts.Records != 95 || rc.Counts.Inserted != 94 || rc.Counts.Rejected != 1 {
		t.Fatalf("night 1 (with one adapter crash after 3 chunks): %s %+v", d.Status, rc.Counts)
	}
	if a.failures.Load() != 1 {
		t.Fatalf("the scripted crash did not happen: %d", a.failures.Load())
	}
	if len(rc.Errors) != 1 || rc.Errors[0].Line != 7 || rc.Errors[0].Code != sdk.CodeRequired {
		t.Fatalf("errors %+v", rc.Errors)
	}
	// The 10 small chunks go to the store stage in a few messages (see
	// chunkWriter), each stored once, and the end marker comes last.
	var stored, distinct, endSeq int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT seq), max(seq) FROM document_chunks WHERE document_id = $1`,
		d.ID).Scan(&stored, &distinct, &endSeq); err != nil {
		t.Fatal(err)
	}
	if stored != distinct || endSeq != 10 {
		t.Fatalf("%d chunk messages stored for %d seqs, the last %d; want each once and the end marker at 10", stored, distinct, endSeq)
	}

	d = landAndWait(t, st, p, "night2.txt", lines(90, map[int]string{7: "", 8: "Visser"}))
	c := d.Receipt.Counts
	if c.Unchanged != 88 || c.Updated != 1 || c.Ended != 5 || c.Inserted != 0 || c.Rejected != 1 {
		t.Fatalf("night 2: %+v", c)
	}

	feed, err := st.Feed(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var last store.FeedItem
	for _, it := range feed {
		if it.RecordKey == "k008" {
			last = it
		}
	}
	var reg sdk.Registration
	if err := json.Unmarshal(last.Registration, &reg); err != nil || reg.Client.Surname != "Visser" {
		t.Fatalf("changed record: %+v %v", reg, err)
	}
}

func TestAdapterUnavailableFailsDocument(t *testing.T) {
	st, p := run(t, oneAdapter{err: errors.New("adapter disabled: binary checksum mismatch")})
	d := landAndWait(t, st, p, "x.txt", lines(3, nil))
	if d.Status != hub.DocFailed || d.Receipt == nil || d.Receipt.Status != hub.DocFailed || !strings.Contains(d.Failure, "checksum") {
		t.Fatalf("document %s, failure %q, receipt %+v", d.Status, d.Failure, d.Receipt)
	}
	// The bytes stay stored for a replay.
	b, err := io.ReadAll(st.OpenDocument(context.Background(), d.ID))
	if err != nil || string(b) != lines(3, nil) {
		t.Fatalf("stored bytes %q %v", b, err)
	}
}
