package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// mustLog opens a fresh database with the store's migrations and returns
// its audit trail and pool.
func mustLog(t *testing.T, opts Options) (*Log, *pgxpool.Pool) {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t), store.Options{MaxConns: 12,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return New(s.Pool(), opts), s.Pool()
}

// disclosure is a valid disclosure event about client.
func disclosure(client string) Event {
	return Event{Type: TypeDisclosure, Client: client, User: "u-4711", ActingFor: "u-0815", Organisation: "opvang-zuid",
		Role: "casemanager", Purpose: "trajectmonitoring", Categories: []string{"basis", "leefgebied.wonen"},
		Basis: Basis{Kind: BasisConsent, Ref: "consent-81"}, Outcome: OutcomeSuccess, Source: "GET /v1/clients/{id}",
		RequestID: "req-1", Detail: []byte(`{ "fields": ["status", "regievoerder"], "page": 1 }`)}
}

func mustVerify(t *testing.T, l *Log, anchors ...Link) Report {
	t.Helper()
	r, err := l.Verify(context.Background(), anchors...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAppendAndVerify(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})

	r := mustVerify(t, l)
	if !r.OK() || r.Rows != 0 || r.Head.Seq != 0 {
		t.Fatalf("empty log: %+v", r)
	}
	if err := l.Record(ctx, disclosure("kc-1")); err != nil {
		t.Fatal(err)
	}
	page := make([]Event, 500)
	for i := range page {
		page[i] = disclosure(fmt.Sprintf("kc-%d", i))
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return l.Append(ctx, tx, page...) }); err != nil {
		t.Fatal(err)
	}
	login := Event{Type: TypeLogin, User: "u-4711", Organisation: "ggz-oost", Role: "regievoerder", Outcome: OutcomeSuccess, Source: "POST /v1/session"}
	if err := l.Record(ctx, login); err != nil {
		t.Fatal(err)
	}
	r = mustVerify(t, l)
	if !r.OK() {
		t.Fatalf("intact chain reported broken: %s", r.Break.Message())
	}
	if r.Rows != 502 || r.Head.Seq != 502 {
		t.Errorf("rows %d, head %d; want 502", r.Rows, r.Head.Seq)
	}
	head, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq != 502 || !bytes.Equal(head.Hash, r.Head.Hash) {
		t.Errorf("Head %v, Verify's head %v", head, r.Head)
	}
	// The detail is stored compacted, as hashed.
	var detail string
	if err := pool.QueryRow(ctx, `SELECT detail::text FROM audit_log WHERE seq = 1`).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if detail != `{"fields":["status","regievoerder"],"page":1}` {
		t.Errorf("stored detail %s", detail)
	}
}

// TestAppendIsDurable: a transaction that turned synchronous_commit off (a
// derived pipeline transaction) commits its audit rows durably all the same.
func TestAppendIsDurable(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
		if err := l.Append(ctx, tx, disclosure("kc-1")); err != nil {
			return err
		}
		var setting string
		if err := tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&setting); err != nil {
			return err
		}
		if setting != "on" {
			t.Errorf("synchronous_commit after Append: %s", setting)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// countingTracer counts the statements sent on a connection.
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestFeedPageOneStatement: a feed page of 500 disclosures is one statement.
func TestFeedPageOneStatement(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	cfg := pool.Config().ConnConfig.Copy()
	tracer := &countingTracer{}
	cfg.Tracer = tracer
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec // no separate prepare round trip
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	page := make([]Event, 500)
	for i := range page {
		page[i] = disclosure(fmt.Sprintf("kc-%d", i))
	}
	if err := l.Append(ctx, conn, page...); err != nil {
		t.Fatal(err)
	}
	if n := tracer.n.Load(); n != 1 {
		t.Errorf("%d statements for a page of 500; want 1", n)
	}
	if r := mustVerify(t, l); !r.OK() || r.Rows != 500 {
		t.Errorf("after one page: %+v", r)
	}
}

func TestRollbackLeavesNoGap(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	if err := l.Record(ctx, disclosure("kc-1")); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("disclosure failed")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := l.Append(ctx, tx, disclosure("kc-2"), disclosure("kc-3")); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if err := l.Record(ctx, disclosure("kc-4")); err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, l)
	if !r.OK() || r.Rows != 2 {
		t.Fatalf("after a rollback: %+v %v", r, r.Break)
	}
}

// TestConcurrentAppends: writers on several connections, some in
// transactions that do other work first, keep one gap-free chain.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	const writers, rounds = 8, 25
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				n := 1 + (w*7+i*3)%20
				events := make([]Event, n)
				for j := range events {
					events[j] = disclosure(fmt.Sprintf("kc-%d-%d-%d", w, i, j))
				}
				var err error
				if i%2 == 0 {
					err = l.Record(ctx, events...)
				} else {
					err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						if _, err := tx.Exec(ctx, "SELECT pg_sleep(0.001)"); err != nil {
							return err
						}
						return l.Append(ctx, tx, events...)
					})
				}
				if err != nil {
					errs <- err
					return
				}
				total.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := mustVerify(t, l)
	if !r.OK() {
		t.Fatalf("concurrent appends broke the chain: %s", r.Break.Message())
	}
	if r.Rows != total.Load() {
		t.Errorf("%d rows, %d appended", r.Rows, total.Load())
	}
	var lo, hi, count int64
	if err := pool.QueryRow(ctx, `SELECT min(seq), max(seq), count(*) FROM audit_log`).Scan(&lo, &hi, &count); err != nil {
		t.Fatal(err)
	}
	if lo != 1 || hi != count || count != total.Load() {
		t.Errorf("seq %d..%d over %d rows; want 1..%d", lo, hi, count, total.Load())
	}
}

func TestAppendOnly(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	if err := l.Record(ctx, disclosure("kc-1"), disclosure("kc-2")); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET purpose = 'anders' WHERE seq = 1`,
		`UPDATE audit_log SET purpose = 'anders' WHERE false`,
		`DELETE FROM audit_log WHERE seq = 2`,
		`TRUNCATE audit_log`,
		`DELETE FROM audit_head`,
		`TRUNCATE audit_head`,
		`UPDATE audit_head SET seq = 1`,
		`UPDATE audit_head SET hash = sha256('x')`,
	} {
		if _, err := pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s: err = %v; want refused", sql, err)
		}
	}
	if r := mustVerify(t, l); !r.OK() || r.Rows != 2 {
		t.Errorf("after refused changes: %+v", r)
	}
}

// tamper runs sql with the append-only trigger disabled, as an owner or
// superuser could.
func tamper(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`, sql, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`} {
			a := args
			if s != sql {
				a = nil
			}
			if _, err := tx.Exec(context.Background(), s, a...); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rehash recomputes the stored hash of row seq from its (changed) fields,
// as a forger who knows the scheme would.
func rehash(t *testing.T, pool *pgxpool.Pool, seq int64) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT `+entryColumns+` FROM audit_log WHERE seq = $1`, seq)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	e, err := scanEntry(rows)
	rows.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := chainHash(e.PrevHash, e.Seq, digest(e.At, &e.Event, e.Detail))
	tamper(t, pool, `UPDATE audit_log SET hash = $1 WHERE seq = $2`, h[:], seq)
}

func TestTamperDetected(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, pool *pgxpool.Pool)
		anchors func(head Link) []Link
		seq     int64
		code    BreakCode
	}{
		{"ErrAltered", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET purpose = 'iets anders' WHERE seq = 7`)
		}, nil, 7, BreakAltered},
		{"ErrAlteredTime", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET at = at - interval '1 day' WHERE seq = 3`)
		}, nil, 3, BreakAltered},
		{"ErrAlteredDetail", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET detail = '{"fields":["status"],"page":1}' WHERE seq = 11`)
		}, nil, 11, BreakAltered},
		{"ErrAlteredEmergency", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET emergency = true WHERE seq = 1`)
		}, nil, 1, BreakAltered},
		{"ErrDeleted", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 5`)
		}, nil, 5, BreakGap},
		{"ErrDeletedFirst", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq <= 2`)
		}, nil, 1, BreakGap},
		{"ErrDeletedLast", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 12`)
		}, nil, 12, BreakHead},
		{"ErrReordered", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET seq = 1000 WHERE seq = 4`)
			tamper(t, p, `UPDATE audit_log SET seq = 4 WHERE seq = 9`)
			tamper(t, p, `UPDATE audit_log SET seq = 9 WHERE seq = 1000`)
		}, nil, 4, BreakAltered},
		{"ErrRehashed", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `UPDATE audit_log SET basis_kind = 'legal', basis_ref = 'art-10' WHERE seq = 6`)
			rehash(t, p, 6)
		}, nil, 7, BreakLink},
		{"ErrInsertedOutsideAppend", func(t *testing.T, p *pgxpool.Pool) {
			tamper(t, p, `INSERT INTO audit_log (seq, at, event, outcome, source, prev_hash, hash)
				SELECT 13, now(), 'login', 'success', 'x', hash, hash FROM audit_log WHERE seq = 12`)
		}, nil, 13, BreakAltered},
		{"ErrRewrittenAfterAnchor", func(t *testing.T, p *pgxpool.Pool) {
			// Row 12 changed and re-hashed: the chain itself is consistent
			// again, only the anchor written down before shows it.
			tamper(t, p, `UPDATE audit_log SET outcome = 'denied' WHERE seq = 12`)
			rehash(t, p, 12)
			var h []byte
			if err := p.QueryRow(context.Background(), `SELECT hash FROM audit_log WHERE seq = 12`).Scan(&h); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Exec(context.Background(), `ALTER TABLE audit_head DISABLE TRIGGER audit_head_forward_only`); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Exec(context.Background(), `UPDATE audit_head SET hash = $1`, h); err != nil {
				t.Fatal(err)
			}
		}, func(head Link) []Link { return []Link{head} }, 12, BreakAnchor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			l, pool := mustLog(t, Options{})
			for i := range 12 {
				if err := l.Record(ctx, disclosure(fmt.Sprintf("kc-%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			before := mustVerify(t, l)
			if !before.OK() {
				t.Fatalf("before tampering: %s", before.Break.Message())
			}
			tt.tamper(t, pool)
			var anchors []Link
			if tt.anchors != nil {
				anchors = tt.anchors(before.Head)
			}
			r := mustVerify(t, l, anchors...)
			if r.OK() {
				t.Fatal("tampering not detected")
			}
			if r.Break.Seq != tt.seq || r.Break.Code != tt.code {
				t.Errorf("break %s at %d; want %s at %d (%s)", r.Break.Code, r.Break.Seq, tt.code, tt.seq, r.Break.Message())
			}
			if r.Rows != tt.seq-1 && tt.code != BreakHead && tt.code != BreakAnchor {
				t.Errorf("%d rows checked before the break at %d", r.Rows, tt.seq)
			}
		})
	}
}

// TestVerifyPages: the chain is checked across page boundaries.
func TestVerifyPages(t *testing.T) {
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	total := verifyPage + 250
	for done := 0; done < total; {
		n := min(2000, total-done)
		page := make([]Event, n)
		for i := range page {
			page[i] = disclosure(fmt.Sprintf("kc-%d", done+i))
		}
		if err := l.Record(ctx, page...); err != nil {
			t.Fatal(err)
		}
		done += n
	}
	if r := mustVerify(t, l); !r.OK() || r.Rows != int64(total) {
		t.Fatalf("intact: %+v", r)
	}
	tamper(t, pool, `DELETE FROM audit_log WHERE seq = $1`, verifyPage+1)
	r := mustVerify(t, l)
	if r.OK() || r.Break.Code != BreakGap || r.Break.Seq != verifyPage+1 || r.Break.Found != fmt.Sprint(verifyPage+2) {
		t.Fatalf("deleted row after the first page: %+v %v", r, r.Break)
	}
}

func TestInvalidEvents(t *testing.T) {
	ok := disclosure("kc-1")
	tests := []struct {
		name   string
		change func(e *Event)
		want   string
	}{
		{"ErrUnknownType", func(e *Event) { e.Type = "read" }, "type"},
		{"ErrNoOutcome", func(e *Event) { e.Outcome = "" }, "outcome"},
		{"ErrNoSource", func(e *Event) { e.Source = "" }, "source"},
		{"ErrBSNAsClient", func(e *Event) { e.Client = "111222333" }, "client looks like a BSN"},
		{"ErrBSNWithDots", func(e *Event) { e.Client = "1112.22.333" }, "client looks like a BSN"},
		{"ErrNameAsClient", func(e *Event) { e.Client = "Jan de Vries" }, "client is not an opaque identifier"},
		{"ErrBSNAsUser", func(e *Event) { e.User = "111222333" }, "user looks like a BSN"},
		{"ErrBSNInRelated", func(e *Event) { e.Related = []string{"kc-2", "111222333"} }, "related[1] looks like a BSN"},
		{"ErrBSNInSource", func(e *Event) { e.Source = "GET /v1/clients/111222333" }, "source contains what looks like a BSN"},
		{"ErrBSNInDetail", func(e *Event) { e.Detail = []byte(`{"ref":"111222333"}`) }, "detail.ref looks like a BSN"},
		{"ErrBSNNumberInDetail", func(e *Event) { e.Detail = []byte(`{"list":[1,111222333]}`) }, "detail.list[1] looks like a BSN"},
		{"ErrNameInDetail", func(e *Event) { e.Detail = []byte(`{"client":{"Naam":"x"}}`) }, `member "Naam"`},
		{"ErrDetailNotObject", func(e *Event) { e.Detail = []byte(`[1]`) }, "detail is not a JSON object"},
		{"ErrDetailInvalid", func(e *Event) { e.Detail = []byte(`{"a":}`) }, "detail is not valid JSON"},
		{"ErrDetailTooLarge", func(e *Event) { e.Detail = []byte(`{"a":"` + strings.Repeat("x", maxDetail) + `"}`) }, "larger than"},
		{"ErrCategory", func(e *Event) { e.Categories = []string{"Psychiatrie, DSM"} }, "categories[0]"},
		{"ErrNoBasis", func(e *Event) { e.Basis = Basis{} }, "basis is required"},
		{"ErrBasisKind", func(e *Event) { e.Basis.Kind = "gut" }, "basis.kind"},
		{"ErrNoClient", func(e *Event) { e.Client = "" }, "client is required"},
		{"ErrLinkAction", func(e *Event) { e.Type, e.Action = TypeLinkChange, "join" }, "action"},
		{"ErrLinkNoAction", func(e *Event) { e.Type, e.Action = TypeLinkChange, "" }, "action is required"},
		{"ErrEmergencyFlag", func(e *Event) { e.Type = TypeEmergencyAccess }, "emergency must be true"},
		{"ErrControlChar", func(e *Event) { e.Purpose = "a\nb" }, "purpose"},
	}
	ctx := context.Background()
	l, pool := mustLog(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			e.Related = append([]string(nil), ok.Related...)
			tt.change(&e)
			err := l.Record(ctx, ok, e)
			if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want ErrInvalidEvent about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "111222333") || strings.Contains(err.Error(), "Jan de") {
				t.Errorf("the error repeats the value: %v", err)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows written by refused batches: %d (%v)", n, err)
	}
	valid := []Event{
		ok,
		{Type: TypeEmergencyAccess, Client: "kc-9", User: "u-1", Emergency: true, Outcome: OutcomeSuccess, Source: "GET /v1/clients/{id}"},
		{Type: TypeLinkChange, Action: ActionMerge, Client: "kc-1", Related: []string{"kc-2"}, User: "u-1", Outcome: OutcomeSuccess, Source: "identity review"},
		{Type: TypeDisclosure, Client: "kc-1", User: "ggz-oost", Outcome: OutcomeDenied, Source: "GET /v1/registrations"},
		{Type: TypeAuthFailure, Outcome: OutcomeDenied, Source: "GET /v1/registrations", Detail: []byte(`{"code":"AUTH_EXPIRED"}`)},
		{Type: TypeConfigChange, Action: "reload", Outcome: OutcomeSuccess, Source: "ketenhub serve", Detail: []byte(`null`)},
	}
	if err := l.Record(ctx, valid...); err != nil {
		t.Fatal(err)
	}
	if r := mustVerify(t, l); !r.OK() || r.Rows != int64(len(valid)) {
		t.Errorf("valid events: %+v", r)
	}
}

func TestForClient(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l, _ := mustLog(t, Options{Now: func() time.Time { return clock }})
	record := func(e Event) {
		t.Helper()
		if err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(24 * time.Hour)
	}
	record(disclosure("kc-a"))
	record(disclosure("kc-b"))
	record(Event{Type: TypeConsentChange, Action: ActionWithdraw, Client: "kc-a", User: "u-9", Organisation: "ggd", Outcome: OutcomeSuccess, Source: "POST /v1/consents"})
	record(Event{Type: TypeLinkChange, Action: ActionMerge, Client: "kc-c", Related: []string{"kc-a"}, User: "u-9", Outcome: OutcomeSuccess, Source: "identity review"})
	record(Event{Type: TypeEmergencyAccess, Client: "kc-c", User: "u-7", Organisation: "ggz-oost", Role: "psychiater", Emergency: true,
		Categories: []string{"psychiatrie.diagnose"}, Outcome: OutcomeSuccess, Source: "GET /v1/clients/{id}"})

	r, err := l.ForClient(ctx, "kc-a", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, e := range r.Entries {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[1 3 4]" {
		t.Errorf("kc-a: seqs %v; want [1 3 4] (own events and the merge)", seqs)
	}
	r, err = l.ForClient(ctx, "kc-c", time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 1 || r.Entries[0].Seq != 5 || !r.Entries[0].Emergency {
		t.Fatalf("kc-c on 5 March: %+v", r.Entries)
	}
	var out bytes.Buffer
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Logging voor cliënt kc-c, 2025-03-05 tot 2025-03-06: 1 gebeurtenis", "noodtoegang", "psychiater", "JA", "uitgevoerd"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := l.ForClient(ctx, "111222333", time.Time{}, time.Time{}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("BSN as client: err = %v", err)
	}
	r, err = l.ForClient(ctx, "kc-unknown", time.Time{}, time.Time{})
	if err != nil || len(r.Entries) != 0 {
		t.Errorf("unknown client: %v %v", r.Entries, err)
	}
}

func TestLink(t *testing.T) {
	h := bytes.Repeat([]byte{0xab}, 32)
	l := Link{Seq: 42, Hash: h}
	got, err := ParseLink(l.String())
	if err != nil || got.Seq != 42 || !bytes.Equal(got.Hash, h) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "42", "0:" + hex.EncodeToString(h), "42:abc", "x:" + hex.EncodeToString(h)} {
		if _, err := ParseLink(bad); err == nil {
			t.Errorf("ParseLink(%q) accepted", bad)
		}
	}
}
