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
// whatever the mode read them from.
type emitter struct {
	p    *plan
	b    *sdk.Batcher
	m    *mapping.Mapper
	seen map[string]int // record key -> the item it was first seen in
	row  []string       // the values of the item being mapped, by source
}

func newEmitter(p *plan, doc sdk.Document, out sdk.ChunkWriter) *emitter {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &emitter{p: p, b: sdk.NewBatcher(out, sdk.DefaultChunkRecords), m: mapping.NewMapper(p.mapping, receivedAt),
		seen: map[string]int{}, row: make([]string, len(p.mapping.Sources))}
}

// item maps item n, whose source values are in e.row, and writes it with
// its problems; probs are problems found while reading the values, which
// keep the item from being taken.
func (e *emitter) item(ctx context.Context, n int, probs []sdk.RecordError) error {
	reg, key, errs := e.m.MapRow(n, e.row)
	if len(probs) > 0 {
		for i := range probs {
			probs[i].RecordKey = key
		}
		errs, reg = append(probs, errs...), nil
	}
	if key != "" {
		if first, ok := e.seen[key]; ok {
			errs = append(errs, sdk.RecordError{Line: n, Field: "source.record_key", RecordKey: key, Code: sdk.CodeDuplicateKey,
				Message: fmt.Sprintf("de recordsleutel kwam al eerder voor in deze pagina, in item %d; dit item is niet verwerkt", first)})
			reg = nil
		} else {
			e.seen[key] = n
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
	return e.b.Add(ctx, sdk.Record{Line: n, RecordKey: key, JSON: reg.AppendJSON(nil)})
}

// fieldOf names the target field of source i, for a problem with its value.
func (e *emitter) fieldOf(i int) string {
	src := e.p.mapping.Sources[i]
	id := src.Target
	if src.Re != nil {
		id = src.Groups[0].Target
	}
	return e.p.mapping.Fields[id].Spec.Path
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
