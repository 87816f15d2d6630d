package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// emitter maps the items of one page and writes them out in chunks,
// whatever the mode read them from: for each item begin, the values of its
// sources (set, reject), then finish.
type emitter struct {
	p    *plan
	b    *sdk.Batcher
	m    *mapping.Mapper
	seen *mapping.KeyIndex // the record keys so far, with the item each was first seen in
	js   sdk.JSONBlocks
}

func newEmitter(p *plan, doc sdk.Document, out sdk.ChunkWriter) *emitter {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &emitter{p: p, b: sdk.NewBatcher(out, sdk.DefaultChunkRecords), m: mapping.NewMapper(p.mapping, receivedAt),
		seen: mapping.NewKeyIndex()}
}

// begin starts item n.
func (e *emitter) begin(n int) { e.m.Begin(n) }

// set gives source i of the item the value v.
func (e *emitter) set(i int, v string) { e.m.Set(i, v, 0) }

// finish maps the item begun last and writes it, or its problems.
func (e *emitter) finish(ctx context.Context, n int) error {
	reg, key, errs := e.m.Map()
	if key != "" {
		if first, ok := e.seen.First(key); ok {
			dup := e.m.Problem(mapping.RecordKey, sdk.CodeDuplicateKey, "kwam al eerder voor in deze pagina, in item %d; dit item is niet verwerkt", first)
			dup.RecordKey = key
			errs = append(errs, dup)
			reg = nil
		} else {
			e.seen.Add(key, n)
		}
	}
	for _, er := range errs {
		if err := e.b.AddError(ctx, er); err != nil {
			return err
		}
	}
	if reg == nil {
		return nil
	}
	return e.b.Add(ctx, sdk.Record{Line: n, RecordKey: key, JSON: e.js.Marshal(reg)})
}

// refuse reports a problem with the page as a whole (line 0).
func (e *emitter) refuse(ctx context.Context, code, format string, args ...any) error {
	return e.b.AddError(ctx, sdk.RecordError{Code: code, Message: fmt.Sprintf(format, args...)})
}

// sourceReader remembers the error of reading the page itself, so that a
// decoder's error can be told apart: a failing source ends Decode, a page
// the decoder cannot read is a problem of the page.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// failure returns the error that ends Decode for err, a decoder's error:
// the source's own failure or ctx's end; nil when err is the page's
// problem.
func (s *sourceReader) failure(ctx context.Context, err error) error {
	if s.err != nil {
		return s.err
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		return err
	}
	return nil
}

// emitError wraps an error of writing out an item (the hub refuses a
// chunk), which ends Decode, to tell it from a decoder's error.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }
func (e emitError) Unwrap() error { return e.err }
