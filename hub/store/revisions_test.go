package store_test

import (
	"context"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
)

func TestRevisions(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	if _, _, ok, err := s.LatestRevision(ctx, "ggz"); err != nil || ok {
		t.Fatalf("LatestRevision of a new partner: ok %v err %v", ok, err)
	}
	add := func(r store.NewRevision) hub.PartnerRevision {
		t.Helper()
		rev, err := s.AddRevision(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	first := add(store.NewRevision{Partner: "ggz", Hash: "h1", Status: hub.RevisionApplied, Content: []byte("id: ggz\n"), Diff: "+id: ggz\n"})
	problem := hub.ConfigProblem{File: "partners/ggz.yaml", Line: 2, Column: 3, Field: "name", Code: "CONFIG_TYPE", Message: "moet tekst zijn"}
	refused := add(store.NewRevision{Partner: "ggz", Hash: "h2", Status: hub.RevisionRefused, Content: []byte("id: ggz\nname: [\n"),
		Errors: []hub.ConfigProblem{problem}})
	add(store.NewRevision{Partner: "other", Hash: "h9", Status: hub.RevisionApplied, Content: []byte("id: other\n")})
	if first.ID == 0 || first.RecordedAt.IsZero() || first.Errors != nil || refused.Errors[0] != problem {
		t.Fatalf("stored %+v and %+v", first, refused)
	}

	t.Run("LatestApplied", func(t *testing.T) {
		rev, content, ok, err := s.LatestRevision(ctx, "ggz", hub.RevisionApplied)
		if err != nil || !ok || rev.Hash != "h1" || string(content) != "id: ggz\n" {
			t.Fatalf("got %+v %q ok %v err %v", rev, content, ok, err)
		}
	})
	t.Run("LatestOfStatuses", func(t *testing.T) {
		rev, _, ok, err := s.LatestRevision(ctx, "ggz", hub.RevisionApplied, hub.RevisionRemoved)
		if err != nil || !ok || rev.Hash != "h1" {
			t.Fatalf("got %+v ok %v err %v", rev, ok, err)
		}
	})
	t.Run("LatestAny", func(t *testing.T) {
		rev, _, ok, err := s.LatestRevision(ctx, "ggz")
		if err != nil || !ok || rev.Hash != "h2" || rev.Status != hub.RevisionRefused {
			t.Fatalf("got %+v ok %v err %v", rev, ok, err)
		}
	})
	t.Run("NewestFirst", func(t *testing.T) {
		revs, err := s.Revisions(ctx, "ggz", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 2 || revs[0].Hash != "h2" || revs[1].Hash != "h1" || revs[1].Diff != "+id: ggz\n" {
			t.Fatalf("got %+v", revs)
		}
		if one, _ := s.Revisions(ctx, "ggz", 1); len(one) != 1 || one[0].Hash != "h2" {
			t.Fatalf("limit 1: %+v", one)
		}
	})
	t.Run("ErrStatus", func(t *testing.T) {
		if _, err := s.AddRevision(ctx, store.NewRevision{Partner: "ggz", Hash: "h3", Status: "maybe"}); err == nil {
			t.Fatal("unknown status accepted")
		}
	})
}
