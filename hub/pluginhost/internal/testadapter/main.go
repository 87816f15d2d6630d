// Command testadapter is an adapter plugin for the tests of package
// pluginhost. It decodes every line of a document into a record and
// misbehaves on request, as set in the partner configuration it receives:
//
//	{"tag": "x"}              put "x" in every record, to see the config arrive
//	{"batch": 10}             records per chunk
//	{"slow": "50ms"}          sleep before every chunk
//	{"crash_after_chunks": 2} exit with status 2 after that many chunks
//	{"batch": -1}             is refused with a ConfigError
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func main() { sdk.Serve(&adapter{}) }

type config struct {
	Tag              string `json:"tag"`
	Batch            int    `json:"batch"`
	Slow             string `json:"slow"`
	CrashAfterChunks int    `json:"crash_after_chunks"`
}

type adapter struct {
	mu   sync.Mutex
	cfg  config
	slow time.Duration
}

func (a *adapter) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{
		Name:         "testadapter",
		Version:      "0.0.1",
		Capabilities: []string{"decode"},
		ConfigSchema: []byte(`{"type":"object"}`),
	}, nil
}

func (a *adapter) Configure(_ context.Context, _ string, raw []byte) error {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return &sdk.ConfigError{Message: "geen geldige JSON"}
	}
	if c.Batch < 0 {
		return &sdk.ConfigError{Field: "/batch", Message: "moet positief zijn"}
	}
	var slow time.Duration
	if c.Slow != "" {
		d, err := time.ParseDuration(c.Slow)
		if err != nil {
			return &sdk.ConfigError{Field: "/slow", Message: "geen geldige duur"}
		}
		slow = d
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cfg, a.slow = c, slow
	return nil
}

func (a *adapter) Decode(ctx context.Context, _ sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	a.mu.Lock()
	cfg, slow := a.cfg, a.slow
	a.mu.Unlock()
	w := &behaving{out: out, slow: slow, crashAfter: cfg.CrashAfterChunks}
	b := sdk.NewBatcher(w, cfg.Batch)
	sc := bufio.NewScanner(src)
	line := 0
	for sc.Scan() {
		line++
		key := sc.Text()
		js, err := json.Marshal(map[string]string{"key": key, "tag": cfg.Tag})
		if err != nil {
			return err
		}
		if err := b.Add(ctx, sdk.Record{Line: line, RecordKey: key, JSON: js}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read document: %w", err)
	}
	return b.Flush(ctx)
}

// behaving is a ChunkWriter that is slow or crashes the process on request.
type behaving struct {
	out        sdk.ChunkWriter
	slow       time.Duration
	crashAfter int
	written    int
}

func (w *behaving) WriteChunk(ctx context.Context, c sdk.Chunk) error {
	if w.crashAfter > 0 && w.written >= w.crashAfter {
		os.Exit(2)
	}
	if w.slow > 0 {
		select {
		case <-time.After(w.slow):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.written++
	return w.out.WriteChunk(ctx, c)
}
