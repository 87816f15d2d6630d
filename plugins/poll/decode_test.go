package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/polltest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// halting serves data up to half, then blocks until release is closed.
type halting struct {
	data    []byte
	off     int
	half    int
	release chan struct{}
}

func (h *halting) Read(p []byte) (int, error) {
	if h.off == h.half {
		<-h.release
	}
	if h.off == len(h.data) {
		return 0, io.EOF
	}
	end := len(h.data)
	if h.off < h.half {
		end = h.half
	}
	n := copy(p, h.data[h.off:end])
	h.off += n
	return n, nil
}

// chunkSignal is a ChunkWriter that signals its first chunk.
type chunkSignal struct {
	first chan struct{}
	n     int
}

func (c *chunkSignal) WriteChunk(context.Context, sdk.Chunk) error {
	if c.n++; c.n == 1 {
		close(c.first)
	}
	return nil
}

// TestDecodeStreams: both modes write chunks of a large page while the rest
// of it has not arrived.
func TestDecodeStreams(t *testing.T) {
	withSecret(t)
	persons := polltest.People("P", 3*sdk.DefaultChunkRecords, t0, time.Second)
	rest := polltest.NewREST(testToken, persons...)
	defer rest.Close()
	stuf := polltest.NewStUF(persons...)
	defer stuf.Close()
	cases := []struct {
		name string
		a    *adapter
	}{
		{"rest", restAdapter(t, rest.URL, map[string]any{"page_size": len(persons)})},
		{"stuf-bg", stufAdapter(t, stuf.URL, map[string]any{"page_size": len(persons)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, page, err := pollOnce(t, c.a, "")
			if err != nil || res.Items != len(persons) {
				t.Fatalf("poll: %+v, %v", res, err)
			}
			src := &halting{data: page, half: len(page) / 2, release: make(chan struct{})}
			w := &chunkSignal{first: make(chan struct{})}
			done := make(chan error, 1)
			go func() { done <- c.a.Decode(context.Background(), testDoc, src, w) }()
			select {
			case <-w.first:
			case err := <-done:
				t.Fatalf("Decode returns %v before the page is complete", err)
			case <-time.After(30 * time.Second):
				t.Fatal("no chunk while half the page is held back")
			}
			close(src.release)
			if err := <-done; err != nil || w.n != 3 {
				t.Fatalf("Decode: %v after %d chunks", err, w.n)
			}
		})
	}
}

// TestDecodeItemsElsewhere reads items from a page that is itself the list,
// and from a list further into the page than its cursor.
func TestDecodeItemsElsewhere(t *testing.T) {
	withSecret(t)
	item := `{"dossiernummer": "A-1", "naam": {"achternaam": "Smit"}}`
	tests := []struct {
		name, items, page string
	}{
		{"PageIsList", "", "[" + item + "]"},
		{"Nested", "/result/0/clients", `{"meta": {"x": [1, {"y": null}]}, "result": [{"clients": [` + item + `]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAdapter(t, configWith(t, "rest", map[string]any{"rest": map[string]any{"items": tt.items,
				"cursor": map[string]any{"param": "c", "next": "/n"}}}))
			w := decode(t, a, []byte(tt.page))
			if len(w.Records()) != 1 || len(w.Errors()) != 0 {
				js, _ := json.Marshal(w.Chunks())
				t.Fatalf("chunks %s", js)
			}
		})
	}
	t.Run("ErrNoList", func(t *testing.T) {
		a := mustAdapter(t, readFile(t, "config/rest.json"))
		w := decode(t, a, []byte(`{"data": {"dossiernummer": "A-1"}}`))
		if errs := w.Errors(); len(errs) != 1 || errs[0].Code != sdk.CodeDocumentRejected || !bytes.Contains([]byte(errs[0].Message), []byte("/data")) {
			t.Fatalf("errors %+v", errs)
		}
	})
	for name, page := range map[string]string{
		"ErrCutAfterList": `{"data": [` + item + `], "meta": {"next_cur`,
		"ErrTrailing":     `{"data": [` + item + `]} {"data": []}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := decode(t, mustAdapter(t, readFile(t, "config/rest.json")), []byte(page))
			if errs := w.Errors(); len(w.Records()) != 1 || len(errs) != 1 || errs[0].Code != sdk.CodeSyntax || errs[0].Line != 0 {
				t.Fatalf("%d records, errors %+v", len(w.Records()), errs)
			}
		})
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		a := mustAdapter(t, readFile(t, "config/rest.json"))
		if errs := decode(t, a, nil).Errors(); len(errs) != 1 || errs[0].Code != sdk.CodeEmptyDocument {
			t.Fatalf("errors %+v", errs)
		}
	})
}
