package pipeline_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// stallingAdapter stalls its first Decode after one chunk until the call's
// context ends, as a decode that is interrupted; later calls decode.
type stallingAdapter struct {
	lineAdapter
	calls   atomic.Int32
	stalled chan struct{}
}

func (a *stallingAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	if a.calls.Add(1) > 1 {
		return a.lineAdapter.Decode(ctx, doc, src, out)
	}
	if err := out.WriteChunk(ctx, sdk.Chunk{Seq: 0}); err != nil {
		return err
	}
	close(a.stalled)
	<-ctx.Done()
	return ctx.Err()
}

// TestRemovePartner stops a partner's handlers, in the middle of a
// document: the document is not failed but waits, and completes once the
// partner is added again.
func TestRemovePartner(t *testing.T) {
	a := &stallingAdapter{stalled: make(chan struct{})}
	st, p := run(t, oneAdapter{a: a})
	ctx := context.Background()
	doc, _, err := st.Land(ctx, store.Landing{Partner: "p", OriginalName: "a.txt",
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error { return p.Submit(ctx, tx, "p", id) }}, stringsReader(lines(25, nil)))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.stalled:
	case <-time.After(30 * time.Second):
		t.Fatal("decoding did not start")
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.RemovePartner(rctx, "p"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a poisoned message would fail the document meanwhile
	if d, err := st.Document(ctx, doc.ID); err != nil || d.Status == hub.DocFailed || d.Status == hub.DocDone {
		t.Fatalf("document of a removed partner: %+v %v", d, err)
	}
	if err := p.AddPartner(ctx, pipeline.Partner{ID: "p"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := st.Document(ctx, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == hub.DocDone {
			if d.Receipt.Counts.Inserted != 25 {
				t.Fatalf("after the partner came back: %+v", d.Receipt.Counts)
			}
			break
		}
		if d.Status == hub.DocFailed || time.Now().After(deadline) {
			t.Fatalf("document after the partner came back: %s %s", d.Status, d.Failure)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
