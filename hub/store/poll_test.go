package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/store"
)

func TestLandPage(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	landed := 0
	page := func(from, to string) store.Page {
		return store.Page{Partner: "brp", OriginalName: "p.xml", From: from, To: to,
			OnLanded: func(context.Context, pgx.Tx, string) error { landed++; return nil }}
	}
	doc, dup, err := s.LandPage(ctx, page("", "c1"), strings.NewReader("pagina 1"))
	if err != nil || dup || doc.Source != "poll" {
		t.Fatalf("LandPage: %+v, %v, %v", doc, dup, err)
	}
	st, err := s.PollState(ctx, "brp")
	if err != nil || st.Cursor != "c1" || st.Pages != 1 || st.LastDocument != doc.ID || st.CursorAt == nil {
		t.Fatalf("state %+v, %v", st, err)
	}

	t.Run("Duplicate", func(t *testing.T) {
		again, dup, err := s.LandPage(ctx, page("c1", "c2"), strings.NewReader("pagina 1"))
		if err != nil || !dup || again.ID != doc.ID || landed != 1 {
			t.Fatalf("LandPage of the same page: %+v, %v, %v (landed %d)", again, dup, err, landed)
		}
		if st, _ := s.PollState(ctx, "brp"); st.Cursor != "c2" || st.Pages != 1 {
			t.Fatalf("state %+v", st)
		}
	})
	t.Run("ErrCursorMoved", func(t *testing.T) {
		_, _, err := s.LandPage(ctx, page("c1", "c9"), strings.NewReader("pagina 3"))
		if !errors.Is(err, store.ErrCursorMoved) {
			t.Fatalf("err = %v, want ErrCursorMoved", err)
		}
		docs, _ := s.Documents(ctx, "brp", 10)
		if len(docs) != 1 {
			t.Errorf("%d documents; the page of a refused cursor must not be stored", len(docs))
		}
		if err := s.AdvanceCursor(ctx, "brp", "c1", "c9"); !errors.Is(err, store.ErrCursorMoved) {
			t.Fatalf("AdvanceCursor: %v", err)
		}
	})
	t.Run("AdvanceCursor", func(t *testing.T) {
		if err := s.AdvanceCursor(ctx, "brp", "c2", "c3"); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.PollState(ctx, "brp"); st.Cursor != "c3" {
			t.Fatalf("state %+v", st)
		}
	})
}

func TestRecordPoll(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	for i, o := range []store.PollOutcome{
		{At: at, Code: "POLL_HTTP", Message: "HTTP 500"},
		{At: at.Add(time.Minute), Code: "POLL_TIMEOUT", Message: "te laat"},
	} {
		if err := s.RecordPoll(ctx, "ggz-noord", o); err != nil {
			t.Fatal(err)
		}
		st, _ := s.PollState(ctx, "ggz-noord")
		if st.Failures != i+1 || st.LastErrorCode != o.Code || st.LastSuccessAt != nil || !st.LastPollAt.Equal(o.At) {
			t.Fatalf("after failure %d: %+v", i+1, st)
		}
	}
	if err := s.RecordPoll(ctx, "ggz-noord", store.PollOutcome{At: at.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	st, _ := s.PollState(ctx, "ggz-noord")
	if st.Failures != 0 || st.LastErrorCode != "" || st.LastSuccessAt == nil || !st.LastSuccessAt.Equal(at.Add(2*time.Minute)) || st.Cursor != "" {
		t.Fatalf("after a success: %+v", st)
	}
}
