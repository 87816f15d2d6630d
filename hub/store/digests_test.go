package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/store"
)

// digestOf makes a 16-byte source digest: a 4-byte tag and a name.
func digestOf(tag, name string) []byte { return []byte(fmt.Sprintf("%-4s%-12s", tag, name)) }

// digested is rec with the source digest of tag and name.
func digested(key, status, tag, name string) store.StoredRecord {
	r := rec(key, status)
	r.SourceDigest = digestOf(tag, name)
	return r
}

// digestNames returns the names of concatenated digests, sorted.
func digestNames(raw []byte) []string {
	var out []string
	for len(raw) >= 16 {
		out = append(out, string(bytes.TrimRight(raw[4:16], " ")))
		raw = raw[16:]
	}
	slices.Sort(out)
	return out
}

func TestKnownDigests(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	doc, _ := land(t, s, "p", "a.csv", []byte("a"))
	storeChunk(t, s, doc.ID, 0, []store.StoredRecord{digested("k1", "a", "tagA", "d1"), digested("k2", "a", "tagA", "d2"),
		digested("k3", "a", "tagA", "d3")})
	del := rec("k3", "d")
	del.Operation = "delete"
	storeChunk(t, s, doc.ID, 1, []store.StoredRecord{del})

	k, err := s.KnownDigests(ctx, "p", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := digestNames(k.Digests); fmt.Sprint(got) != "[d1 d2]" || k.Missing || string(k.Tag) != "tagA" {
		t.Fatalf("KnownDigests = %v, missing %v, tag %q; want [d1 d2] (k3 is deleted), none missing, tagA", got, k.Missing, k.Tag)
	}
	t.Run("OverLimit", func(t *testing.T) {
		if k, err := s.KnownDigests(ctx, "p", 1); err != nil || k.Digests != nil || k.Tag != nil {
			t.Fatalf("KnownDigests over the limit = %+v, %v; want nothing", k, err)
		}
	})
	t.Run("OtherPartner", func(t *testing.T) {
		if k, err := s.KnownDigests(ctx, "q", 10); err != nil || k.Digests != nil || k.Missing {
			t.Fatalf("KnownDigests(q) = %+v, %v", k, err)
		}
	})
	t.Run("ChangeReplacesDigest", func(t *testing.T) {
		storeChunk(t, s, doc.ID, 2, []store.StoredRecord{digested("k1", "b", "tagA", "d1b")})
		k, err := s.KnownDigests(ctx, "p", 10)
		if got := digestNames(k.Digests); err != nil || fmt.Sprint(got) != "[d1b d2]" {
			t.Fatalf("KnownDigests = %v, %v; want [d1b d2]", got, err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		storeChunk(t, s, doc.ID, 3, []store.StoredRecord{rec("k4", "a")})
		k, err := s.KnownDigests(ctx, "p", 10)
		if err != nil || len(k.Digests) != 32 || !k.Missing {
			t.Fatalf("KnownDigests = %v, missing %v, %v; want 2 and missing", digestNames(k.Digests), k.Missing, err)
		}
	})
	t.Run("SeveralTags", func(t *testing.T) {
		storeChunk(t, s, doc.ID, 4, []store.StoredRecord{digested("k5", "a", "tagB", "d5")})
		k, err := s.KnownDigests(ctx, "p", 10)
		if err != nil || len(k.Digests) != 48 || k.Tag != nil {
			t.Fatalf("KnownDigests = %v, tag %q, %v; want 3 and no single tag", digestNames(k.Digests), k.Tag, err)
		}
	})
}

func TestFillSourceDigests(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	doc, _ := land(t, s, "p", "a.csv", []byte("a"))
	storeChunk(t, s, doc.ID, 0, []store.StoredRecord{rec("k1", "a"), rec("k2", "a"), digested("k3", "a", "tagA", "old3"),
		digested("k4", "a", "tagA", "old4")})
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		return s.FillSourceDigests(ctx, tx, "p", []string{"k1", "k2", "k3", "k4"},
			[][]byte{rec("k1", "a").ContentHash, []byte("other content"), rec("k3", "a").ContentHash, rec("k4", "a").ContentHash},
			[][]byte{digestOf("tagB", "f1"), digestOf("tagB", "f2"), digestOf("tagA", "f3"), digestOf("tagB", "f4")})
	})
	if err != nil {
		t.Fatal(err)
	}
	// k1 filled; k2 not (other content); k3 kept its digest (same tag: the
	// source changed, not the adapter); k4 refreshed (another tag).
	k, err := s.KnownDigests(ctx, "p", 10)
	if got := digestNames(k.Digests); err != nil || fmt.Sprint(got) != "[f1 f4 old3]" || !k.Missing {
		t.Fatalf("after fill: %v, missing %v, %v; want [f1 f4 old3] and k2 missing", got, k.Missing, err)
	}
	var touched int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM registrations WHERE updated_at > created_at`).Scan(&touched); err != nil || touched != 0 {
		t.Fatalf("filling touched %d registrations' update time (%v)", touched, err)
	}
}
