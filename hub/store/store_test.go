package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func mustOpen(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func land(t *testing.T, s *store.Store, partner, name string, data []byte) (hub.Document, bool) {
	t.Helper()
	doc, dup, err := s.Land(context.Background(), store.Landing{Partner: partner, OriginalName: name}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc, dup
}

func TestLand(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), store.PartSize/16*2+100) // three parts
	doc, dup := land(t, s, "p", "a.csv", data)
	if dup || doc.Size != int64(len(data)) || doc.Status != hub.DocLanded {
		t.Fatalf("landed %+v dup %v", doc, dup)
	}
	sum := sha256.Sum256(data)
	if doc.SHA256 != string(hexOf(sum[:])) {
		t.Fatalf("sha256 %s", doc.SHA256)
	}
	back, err := io.ReadAll(s.OpenDocument(ctx, doc.ID))
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("read back %d bytes, err %v", len(back), err)
	}
	t.Run("DuplicateContent", func(t *testing.T) {
		again, dup := land(t, s, "p", "b.csv", data)
		if !dup || again.ID != doc.ID {
			t.Fatalf("duplicate not recognised: %+v %v", again, dup)
		}
	})
	t.Run("SameContentOtherPartner", func(t *testing.T) {
		if _, dup := land(t, s, "q", "a.csv", data); dup {
			t.Fatal("another partner's identical file counted as duplicate")
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		_, _, err := s.Land(ctx, store.Landing{Partner: "p", OriginalName: "big", MaxBytes: 10}, strings.NewReader("01234567890"))
		if hub.ErrorCode(err) != hub.ETOOLARGE {
			t.Fatalf("err %v", err)
		}
		if docs, _ := s.Documents(ctx, "p", 10); len(docs) != 1 {
			t.Fatalf("a refused document was kept: %d documents", len(docs))
		}
	})
	t.Run("OnLandedFailureLandsNothing", func(t *testing.T) {
		_, _, err := s.Land(ctx, store.Landing{Partner: "r", OriginalName: "x",
			OnLanded: func(context.Context, pgx.Tx, string) error { return io.ErrClosedPipe }}, strings.NewReader("x"))
		if err == nil {
			t.Fatal("no error")
		}
		if docs, _ := s.Documents(ctx, "r", 10); len(docs) != 0 {
			t.Fatal("document kept although its hand-over failed")
		}
	})
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

func rec(key, status string) store.StoredRecord {
	return store.StoredRecord{RecordKey: key, Operation: "new", ContentHash: []byte(key + status),
		Data: []byte(`{"source":{"record_key":"` + key + `"},"s":"` + status + `"}`), Line: 2}
}

func storeChunk(t *testing.T, s *store.Store, doc string, seq int, recs []store.StoredRecord) store.StoreChunkResult {
	t.Helper()
	var res store.StoreChunkResult
	err := s.InTx(context.Background(), func(tx pgx.Tx) error {
		var err error
		res, err = s.StoreChunk(context.Background(), tx, "p", doc, seq, recs, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestStoreChunk(t *testing.T) {
	s := mustOpen(t)
	doc, _ := land(t, s, "p", "a.csv", []byte("a"))
	res := storeChunk(t, s, doc.ID, 0, []store.StoredRecord{rec("k1", "a"), rec("k2", "a")})
	if !res.Applied || res.Inserted != 2 {
		t.Fatalf("first store: %+v", res)
	}
	t.Run("RedeliveryIsNoOp", func(t *testing.T) {
		if res := storeChunk(t, s, doc.ID, 0, []store.StoredRecord{rec("k1", "b")}); res.Applied {
			t.Fatalf("chunk stored twice: %+v", res)
		}
	})
	t.Run("UpdateAndUnchanged", func(t *testing.T) {
		res := storeChunk(t, s, doc.ID, 1, []store.StoredRecord{rec("k1", "b"), rec("k2", "a")})
		if res.Updated != 1 || res.Inserted != 0 || len(res.FeedSeqs) != 1 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("DeleteKnownAndUnknown", func(t *testing.T) {
		del := func(k string) store.StoredRecord { r := rec(k, "d"); r.Operation = "delete"; return r }
		res := storeChunk(t, s, doc.ID, 2, []store.StoredRecord{del("k2"), del("nope")})
		if res.Deleted != 1 || len(res.UnknownDeletes) != 1 || res.UnknownDeletes[0] != "nope" {
			t.Fatalf("%+v", res)
		}
		st, err := s.KnownStates(context.Background(), "p", []string{"k1", "k2", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		if st["k1"].Status != store.StatusActive || st["k2"].Status != store.StatusDeleted || len(st) != 2 {
			t.Fatalf("states %+v", st)
		}
	})
}

// stageAndFinish stores keys as active records with one document, then
// finishes a second document that saw only seen, as a full export.
func TestFinishDocumentEndsMissing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		seen      int
		share     float64
		wantEnded int64
		wantWarn  string
	}{
		{"EndsTheMissing", 18, 0.25, 2, ""},
		{"RefusesExportCutShort", 5, 0.25, 0, "EXPORT_SUSPICIOUS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustOpen(t)
			first, _ := land(t, s, "p", "n1.csv", []byte("n1"))
			var recs []store.StoredRecord
			var keys []string
			for i := 0; i < 20; i++ {
				k := string(rune('a'+i)) + "-key"
				recs = append(recs, rec(k, "a"))
				keys = append(keys, k)
			}
			storeChunk(t, s, first.ID, 0, recs)
			second, _ := land(t, s, "p", "n2.csv", []byte("n2"))
			var rc hub.Receipt
			var endedKeys []string
			err := s.InTx(ctx, func(tx pgx.Tx) error {
				if _, err := s.RecordDecodedChunk(ctx, tx, store.DecodedChunk{DocumentID: second.ID, Seq: 0, Records: int64(tt.seen),
					Unchanged: int64(tt.seen), SeenKeys: keys[:tt.seen]}); err != nil {
					return err
				}
				var err error
				rc, endedKeys, err = s.FinishDocument(ctx, tx, second.ID, true, tt.share)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if rc.Counts.Ended != tt.wantEnded {
				t.Fatalf("ended %d, want %d (%+v)", rc.Counts.Ended, tt.wantEnded, rc)
			}
			slices.Sort(endedKeys)
			if want := keys[tt.seen:]; tt.wantEnded > 0 && !slices.Equal(endedKeys, want) || tt.wantEnded == 0 && len(endedKeys) != 0 {
				t.Fatalf("ended keys %v, want %d of them", endedKeys, tt.wantEnded)
			}
			if tt.wantWarn != "" && (len(rc.Warnings) == 0 || rc.Warnings[0].Code != tt.wantWarn) {
				t.Fatalf("warnings %+v", rc.Warnings)
			}
			st, _ := s.KnownStates(ctx, "p", keys)
			ended := 0
			for _, v := range st {
				if v.Status == store.StatusEnded {
					ended++
				}
			}
			if int64(ended) != tt.wantEnded {
				t.Fatalf("%d records ended in the table, receipt says %d", ended, tt.wantEnded)
			}
		})
	}
}

func TestChangedKeys(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	doc, _ := land(t, s, "p", "a.csv", []byte("a"))
	var recs []store.StoredRecord
	for i := 0; i < 100; i++ {
		recs = append(recs, rec(fmt.Sprintf("k%03d", i), "a"))
	}
	storeChunk(t, s, doc.ID, 0, recs)
	tests := []struct {
		name string
		keys []int // indexes into recs; 1000+ are unknown keys
	}{
		{"NarrowRange", []int{10, 11, 12, 13}},
		{"ScatteredFallsBackToProbes", []int{0, 99}},
		{"WithUnknownKeys", []int{20, 1001, 21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			var hashes [][]byte
			want := map[string]bool{}
			for j, i := range tt.keys {
				var k string
				var h []byte
				switch {
				case i >= 1000:
					k, h = fmt.Sprintf("new%d", i), []byte("x")
					want[k] = true
				case j == 0:
					k, h = recs[i].RecordKey, []byte("changed")
					want[k] = true
				default:
					k, h = recs[i].RecordKey, recs[i].ContentHash
				}
				keys, hashes = append(keys, k), append(hashes, h)
			}
			got, err := s.ChangedKeys(ctx, "p", keys, hashes)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("changed %v, want %v", got, want)
			}
		})
	}
}

// TestLargeValuesCompressedWithLZ4 checks that the hub's connections store
// large values with lz4 when the server supports it.
func TestLargeValuesCompressedWithLZ4(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var supported bool
	if err := s.Pool().QueryRow(ctx, `SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&supported); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.Pool().QueryRow(ctx, `SHOW default_toast_compression`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := map[bool]string{true: "lz4", false: "pglz"}[supported]; got != want {
		t.Fatalf("default_toast_compression = %s, want %s", got, want)
	}
}
