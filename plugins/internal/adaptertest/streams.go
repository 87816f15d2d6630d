package adaptertest

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// DecodeHeldBack decodes data as doc with a while the last 20% of data is
// held back, and fails the test unless a writes a chunk before it gets
// that part: the adapter streams. data must hold more than one chunk's
// worth of records in its first 80%. It returns what a wrote and fails the
// test when Decode fails.
func DecodeHeldBack(t *testing.T, a sdk.Adapter, doc sdk.Document, data []byte) *sdktest.Recorder {
	t.Helper()
	pr, pw := io.Pipe()
	w := &notifying{first: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- a.Decode(context.Background(), doc, pr, w) }()
	part := len(data) * 8 / 10
	go func() {
		if _, err := pw.Write(data[:part]); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-w.first:
	case <-time.After(30 * time.Second):
		t.Fatal("no chunk within 30s while the last 20% of the document is held back")
	}
	if _, err := pw.Write(data[part:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return &w.Recorder
}

// notifying is a Recorder that closes first at its first chunk.
type notifying struct {
	sdktest.Recorder
	once  sync.Once
	first chan struct{}
}

func (w *notifying) WriteChunk(ctx context.Context, c sdk.Chunk) error {
	err := w.Recorder.WriteChunk(ctx, c)
	w.once.Do(func() { close(w.first) })
	return err
}
