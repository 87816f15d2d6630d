package sdk

import (
	"context"
	"fmt"
)

// DefaultChunkRecords is how many records a Batcher puts in one chunk: large
// enough that the hub's per-chunk work (one transaction, one message) is
// small next to the records' own, small enough to keep a chunk near 1 MB.
const DefaultChunkRecords = 2000

// Batcher collects records, unchanged records, record errors and consent
// statements into chunks of a fixed number of records, unchanged records
// and record errors, and hands each full chunk to a ChunkWriter. Chunk
// boundaries depend only on the order of the Add calls, which keeps
// Decode deterministic as the contract requires; an unchanged record takes
// the place of a record, so that they do not depend on which records the
// hub holds either. A Batcher is not safe for concurrent use.
type Batcher struct {
	out  ChunkWriter
	size int
	cur  Chunk
}

// NewBatcher returns a Batcher writing to out with size records per chunk
// (DefaultChunkRecords when size <= 0).
func NewBatcher(out ChunkWriter, size int) *Batcher {
	if size <= 0 {
		size = DefaultChunkRecords
	}
	return &Batcher{out: out, size: size}
}

// Add queues one record and flushes when the chunk is full.
func (b *Batcher) Add(ctx context.Context, r Record) error {
	if b.cur.Records == nil {
		b.cur.Records = make([]Record, 0, b.size)
	}
	b.cur.Records = append(b.cur.Records, r)
	return b.flushWhenFull(ctx)
}

// AddError queues one record error and flushes when the chunk is full.
func (b *Batcher) AddError(ctx context.Context, e RecordError) error {
	b.cur.Errors = append(b.cur.Errors, e)
	return b.flushWhenFull(ctx)
}

// AddUnchanged queues one unchanged record and flushes when the chunk is
// full.
func (b *Batcher) AddUnchanged(ctx context.Context, u Unchanged) error {
	b.cur.Unchanged = append(b.cur.Unchanged, u)
	return b.flushWhenFull(ctx)
}

// MaxChunkConsents is how many consent statements a Batcher holds in one
// chunk at most. Statements do not count towards a chunk's size (so that an
// adapter with the digest capability, which gives statements only with
// the records it maps, cuts the same chunks whichever records are known);
// a chunk that reaches this many statements is flushed all the same.
// Adapters that give a few statements per record never reach it.
const MaxChunkConsents = 8 * DefaultChunkRecords

// AddConsent queues one consent statement. It flushes only when the chunk
// holds MaxChunkConsents statements: see there.
func (b *Batcher) AddConsent(ctx context.Context, c Consent) error {
	b.cur.Consents = append(b.cur.Consents, c)
	if len(b.cur.Consents) >= MaxChunkConsents {
		return b.Flush(ctx)
	}
	return nil
}

func (b *Batcher) flushWhenFull(ctx context.Context) error {
	if len(b.cur.Records)+len(b.cur.Errors)+len(b.cur.Unchanged) >= b.size {
		return b.Flush(ctx)
	}
	return nil
}

// Flush writes the pending chunk, if it holds anything.
func (b *Batcher) Flush(ctx context.Context) error {
	if len(b.cur.Records) == 0 && len(b.cur.Errors) == 0 && len(b.cur.Unchanged) == 0 && len(b.cur.Consents) == 0 {
		return nil
	}
	c := b.cur
	b.cur = Chunk{Seq: c.Seq + 1}
	if err := b.out.WriteChunk(ctx, c); err != nil {
		return fmt.Errorf("write chunk %d: %w", c.Seq, err)
	}
	return nil
}
