package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/internal/parallel"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// handleDocument is the decode stage: it streams a landed document from the
// store through the partner's adapter and publishes validated chunks. After
// a crash it resumes: chunks published before are skipped, which relies on
// the adapter contract that Decode is deterministic.
func (p *Pipeline) handleDocument(msg *message.Message) error {
	ctx := withMessage(msg.Context(), msg)
	var m documentMessage
	if err := decode(msg.Payload, &m); err != nil {
		return err
	}
	doc, err := p.cfg.Store.Document(ctx, m.DocumentID)
	if err != nil {
		if hub.ErrorCode(err) == hub.ENOTFOUND {
			return permanent(err)
		}
		return err
	}
	if doc.Status == hub.DocDone || doc.Status == hub.DocFailed {
		return nil
	}
	if _, ok := p.partner(doc.Partner); !ok {
		return permanent(fmt.Errorf("document %s: partner %s is not configured", doc.ID, doc.Partner))
	}
	if err := p.waitForEarlierDocuments(ctx, doc); err != nil {
		return err
	}
	doc, err = p.cfg.Store.Document(ctx, m.DocumentID)
	if err != nil {
		return err
	}
	if doc.TotalChunks != nil {
		return nil // decoding finished before a crash; the store stage has the rest
	}
	adapter, err := p.cfg.Adapters.Adapter(ctx, doc.Partner)
	if err != nil {
		return fmt.Errorf("adapter of %s: %w", doc.Partner, err)
	}
	// The settings as they are now, when the adapter is: after a reload both
	// belong to the partner's new revision.
	pt, ok := p.partner(doc.Partner)
	if !ok {
		return permanent(fmt.Errorf("document %s: partner %s is not configured", doc.ID, doc.Partner))
	}
	sdoc := sdk.Document{ID: doc.ID, Partner: doc.Partner, OriginalName: doc.OriginalName,
		ReceivedAt: doc.ReceivedAt.UTC().Format(time.RFC3339), Size: doc.Size}
	started := time.Now()
	known, fill, err := p.knownDigests(ctx, doc, adapter)
	if err != nil {
		return fmt.Errorf("decode document %s of %s: %w", doc.ID, doc.Partner, err)
	}
	sdoc.Known = known
	knownTook := time.Since(started)
	w := &chunkWriter{p: p, doc: doc, partner: pt, skip: doc.DecodedChunks, fill: fill}
	w.start(ctx)
	err = adapter.Decode(ctx, sdoc, p.cfg.Store.OpenDocument(ctx, doc.ID), w)
	if werr := w.finish(); err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("decode document %s of %s: %w", doc.ID, doc.Partner, err)
	}
	last := store.DecodedChunk{DocumentID: doc.ID, Seq: w.next, Last: true}
	err = p.cfg.Store.InDerivedTx(ctx, func(tx pgx.Tx) error {
		ok, err := p.cfg.Store.RecordDecodedChunk(ctx, tx, last)
		if err != nil || !ok {
			return err
		}
		return p.publishTx(ctx, tx, partnerTopic(kindChunks, doc.Partner),
			chunkMessage{DocumentID: doc.ID, Partner: doc.Partner, Seq: w.next, Last: true,
				EndMissing: pt.EndMissing, MaxMissingShare: pt.MaxMissingShare})
	})
	if err != nil {
		return fmt.Errorf("finish decoding %s: %w", doc.ID, err)
	}
	p.log.Info("document decoded", "document", doc.ID, "partner", doc.Partner, "chunks", w.next, "resumed_at_chunk", w.skip,
		"known_digests", known.Len(), "known_digests_read", knownTook.Round(time.Millisecond), "unchanged", w.unchanged,
		"duration", time.Since(started).Round(time.Millisecond))
	p.cfg.Metrics.DecodeSeconds(doc.Partner, time.Since(started).Seconds())
	return nil
}

// waitForEarlierDocuments holds a document until the partner's earlier
// documents are done, so that records are applied in delivery order.
func (p *Pipeline) waitForEarlierDocuments(ctx context.Context, doc hub.Document) error {
	for {
		var earlier int
		err := p.cfg.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM documents WHERE partner = $1 AND id < $2 AND status NOT IN ('done', 'failed')`,
			doc.Partner, doc.ID).Scan(&earlier)
		if err != nil {
			return fmt.Errorf("check earlier documents of %s: %w", doc.Partner, err)
		}
		if earlier == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.cfg.PollInterval):
		}
	}
}

// chunkWriter receives the adapter's chunks and hands them to workers that
// check them (hashing, the changed-key lookup, validation) two at a time,
// and to a publisher that stores them for the store stage in order. The
// adapter decodes the next chunks meanwhile. Chunks that leave little to
// store (a night of mostly unchanged records) are published together, up to
// mergeChunks of them with up to mergeRecords records and rejected records
// in all: one transaction and one message for the store stage instead of
// one per chunk. Full chunks go one by one, as before.
type chunkWriter struct {
	p       *Pipeline
	doc     hub.Document
	partner Partner
	skip    int // chunks published before a crash
	next    int // the next expected chunk seq
	// fill says which unchanged records give their registration their
	// source digest (see refresh).
	fill      refresh
	unchanged int // records the adapter reported unchanged; read after finish

	in   chan sdk.Chunk  // from WriteChunk to the dispatcher
	work chan *preparing // from the dispatcher to the publisher, in chunk order
	done chan struct{}   // closed when the publisher stopped
	err  error           // the publisher's first error; read only after done is closed
}

// preparing is one chunk being checked; ready is closed when it is.
type preparing struct {
	ready chan struct{}
	msg   chunkMessage
	dc    store.DecodedChunk
	err   error
}

// pipelineDepth is how many chunks may be in hand at once.
const pipelineDepth = 3

// Limits of the chunks published together: see chunkWriter.
const (
	mergeChunks  = 16
	mergeRecords = sdk.DefaultChunkRecords
)

func (w *chunkWriter) start(ctx context.Context) {
	w.in = make(chan sdk.Chunk)
	w.work = make(chan *preparing, pipelineDepth)
	w.done = make(chan struct{})
	// The dispatcher starts checking each chunk at once, on the handler's
	// context (the adapter stream's context ends when Decode returns).
	go func() {
		defer close(w.work)
		for c := range w.in {
			pr := &preparing{ready: make(chan struct{})}
			go func(c sdk.Chunk) {
				defer close(pr.ready)
				pr.msg, pr.dc, pr.err = w.p.prepareChunk(ctx, w.doc, w.partner, c, w.fill)
			}(c)
			w.work <- pr
		}
	}()
	go func() {
		defer close(w.done)
		var group []*preparing
		size := 0 // records and rejected records in group
		for pr := range w.work {
			<-pr.ready
			err := pr.err
			if err == nil {
				n := len(pr.msg.Records) + len(pr.msg.Rejected) + len(pr.msg.Fills)
				if len(group) > 0 && size+n > mergeRecords {
					err = w.publish(ctx, group)
					group, size = group[:0], 0
				}
				group, size = append(group, pr), size+n
				if err == nil && (size >= mergeRecords || len(group) == mergeChunks) {
					err = w.publish(ctx, group)
					group, size = group[:0], 0
				}
			}
			if err != nil {
				w.err = err
				for pr := range w.work { // drain, so that WriteChunk never blocks on a dead publisher
					<-pr.ready
				}
				return
			}
		}
		if len(group) > 0 {
			w.err = w.publish(ctx, group)
		}
	}()
}

// finish waits for the publisher and returns its error.
func (w *chunkWriter) finish() error {
	close(w.in)
	<-w.done
	return w.err
}

// WriteChunk implements sdk.ChunkWriter.
func (w *chunkWriter) WriteChunk(ctx context.Context, c sdk.Chunk) error {
	if c.Seq != w.next {
		return permanent(fmt.Errorf("adapter sent chunk %d, expected %d", c.Seq, w.next))
	}
	w.next++
	w.unchanged += len(c.Unchanged)
	if c.Seq < w.skip {
		return nil
	}
	select {
	case <-w.done:
		return w.err
	default:
	}
	select {
	case w.in <- c:
		return nil
	case <-w.done:
		return w.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// publish records the decoding of a group of consecutive chunks and
// publishes them for the store stage as one message, numbered as the
// group's first chunk, in one transaction. A chunk recorded before is left
// out.
func (w *chunkWriter) publish(ctx context.Context, group []*preparing) error {
	return w.p.cfg.Store.InDerivedTx(ctx, func(tx pgx.Tx) error {
		var msg *chunkMessage
		for _, pr := range group {
			ok, err := w.p.cfg.Store.RecordDecodedChunk(ctx, tx, pr.dc)
			if err != nil {
				return err
			}
			switch {
			case !ok:
			case msg == nil:
				m := pr.msg
				msg = &m
			default:
				msg.Records = append(slices.Clip(msg.Records), pr.msg.Records...)
				msg.Rejected = append(slices.Clip(msg.Rejected), pr.msg.Rejected...)
				msg.Fills = append(slices.Clip(msg.Fills), pr.msg.Fills...)
				msg.Consents = append(slices.Clip(msg.Consents), pr.msg.Consents...)
				msg.Unchanged = append(slices.Clip(msg.Unchanged), pr.msg.Unchanged...)
			}
		}
		if msg == nil {
			return nil
		}
		return w.p.publishTx(ctx, tx, partnerTopic(kindChunks, w.doc.Partner), *msg)
	})
}

// checked is one record after hashing and, where needed, validation.
type checked struct {
	rec      chunkRecord
	rejected *store.QuarantinedRecord
	// validated is false for a record left unvalidated because its content
	// hash matched the stored, validated record.
	validated bool
	// suspect marks a record whose time or operation is malformed; it is
	// always validated.
	suspect bool
}

// prepareChunk hashes every record of an adapter chunk, leaves out the
// records that equal what the hub already holds, and validates the rest
// against the shared schema; CPU work runs on all cores. The records the
// adapter reported unchanged count as delivered and unchanged, and as seen.
// A record left out for its content hash that fill wants goes to the store
// stage for its source digest.
func (p *Pipeline) prepareChunk(ctx context.Context, doc hub.Document, pt Partner, c sdk.Chunk, fill refresh) (chunkMessage, store.DecodedChunk, error) {
	out := chunkMessage{DocumentID: doc.ID, Partner: doc.Partner, Seq: c.Seq, Results: keepsResults(doc)}
	out.keepUnchanged(c.Unchanged)
	for _, st := range c.Consents {
		out.Consents = append(out.Consents, chunkConsent{Line: st.Line, RecordKey: st.RecordKey, JSON: st.JSON})
	}
	dc := store.DecodedChunk{DocumentID: doc.ID, Seq: c.Seq, Records: int64(len(c.Records) + len(c.Unchanged) + countRecordsInErrors(c.Errors)),
		Unchanged: int64(len(c.Unchanged))}
	if pt.EndMissing {
		for _, u := range c.Unchanged {
			dc.SeenKeys = append(dc.SeenKeys, u.RecordKey)
		}
	}
	for _, e := range c.Errors {
		out.Rejected = append(out.Rejected, store.QuarantinedRecord{Line: e.Line, Column: e.Column, Field: e.Field,
			RecordKey: e.RecordKey, Code: e.Code, Message: e.Message, Severity: "error"})
		if pt.EndMissing && e.RecordKey != "" {
			dc.SeenKeys = append(dc.SeenKeys, e.RecordKey)
		}
	}
	results := make([]checked, len(c.Records))
	parallel.Each(len(c.Records), func(i int) { results[i] = p.identify(doc, c.Records[i]) })
	keepSourceDigests(results, c.Errors)

	// Which records change anything? Deletes are compared by state, the rest
	// by content hash; both in one query each per chunk.
	var keys, delKeys []string
	var hashes [][]byte
	for _, r := range results {
		switch {
		case r.rejected != nil || r.suspect:
		case r.rec.Operation == string(sdk.OpDelete):
			delKeys = append(delKeys, r.rec.RecordKey)
		default:
			keys = append(keys, r.rec.RecordKey)
			hashes = append(hashes, r.rec.ContentHash)
		}
	}
	changed, err := p.cfg.Store.ChangedKeys(ctx, doc.Partner, keys, hashes)
	if err != nil {
		return out, dc, err
	}
	deleted, err := p.cfg.Store.KnownStates(ctx, doc.Partner, delKeys)
	if err != nil {
		return out, dc, err
	}
	var toValidate []int
	for i := range results {
		r := &results[i]
		if r.rejected != nil {
			continue
		}
		if !r.suspect {
			if r.rec.Operation == string(sdk.OpDelete) {
				if k, ok := deleted[r.rec.RecordKey]; ok && k.Status != store.StatusActive {
					continue // deleted or ended before: nothing to do
				}
			} else if !changed[r.rec.RecordKey] {
				continue
			}
		}
		toValidate = append(toValidate, i)
	}
	parallel.Each(len(toValidate), func(j int) {
		i := toValidate[j]
		results[i] = p.validate(doc, c.Records[i], results[i])
	})
	for _, r := range results {
		if r.rejected != nil {
			out.Rejected = append(out.Rejected, *r.rejected)
			if pt.EndMissing && r.rejected.RecordKey != "" {
				dc.SeenKeys = append(dc.SeenKeys, r.rejected.RecordKey)
			}
			continue
		}
		if pt.EndMissing {
			dc.SeenKeys = append(dc.SeenKeys, r.rec.RecordKey)
		}
		if !r.validated {
			dc.Unchanged++
			out.keepUnchangedRecord(r.rec)
			if fill.wants(r.rec.SourceDigest) {
				out.Fills = append(out.Fills, digestFill{RecordKey: r.rec.RecordKey, ContentHash: r.rec.ContentHash, SourceDigest: r.rec.SourceDigest})
			}
			continue
		}
		out.Records = append(out.Records, r.rec)
	}
	return out, dc, nil
}

// keepSourceDigests drops the source digest of records that have record
// errors on their line (warnings, for adapters that give them): a record
// skipped for its digest would lose them.
func keepSourceDigests(results []checked, errs []sdk.RecordError) {
	if len(errs) == 0 {
		return
	}
	lines := make(map[int]bool, len(errs))
	for _, e := range errs {
		lines[e.Line] = true
	}
	for i := range results {
		if lines[results[i].rec.Line] {
			results[i].rec.SourceDigest = nil
		}
	}
}

// countRecordsInErrors counts the distinct lines of record errors; a
// document-level error (line 0) is no record.
func countRecordsInErrors(errs []sdk.RecordError) int {
	lines := make(map[int]bool, len(errs))
	for _, e := range errs {
		if e.Line > 0 {
			lines[e.Line] = true
		}
	}
	return len(lines)
}

// identify reads a record's operation and time and computes its content
// hash (see scanRecord), without parsing the record into values. A record
// that cannot be scanned is validated at once; validation says what is
// wrong with it.
func (p *Pipeline) identify(doc hub.Document, r sdk.Record) checked {
	f, err := scanRecord(r.JSON)
	if err != nil {
		return p.validate(doc, r, checked{})
	}
	c := checked{rec: chunkRecord{RecordKey: r.RecordKey, Operation: string(f.operation), ContentHash: f.hash, Data: r.JSON, Line: r.Line,
		SourceDigest: r.SourceDigest}}
	if f.registeredAt != nil {
		if t, err := time.Parse(time.RFC3339, string(f.registeredAt)); err == nil {
			c.rec.RegisteredAt = &t
		} else {
			c.suspect = true
		}
	}
	switch sdk.Operation(c.rec.Operation) {
	case sdk.OpNew, sdk.OpChange, sdk.OpDelete:
	default:
		c.suspect = true
	}
	if r.RecordKey == "" {
		c.suspect = true // validate reads the key from the record itself
	}
	return c
}

// validate checks a record against the shared schema and that it belongs to
// the document's partner (CheckRecord); c is the record as identify saw it.
func (p *Pipeline) validate(doc hub.Document, r sdk.Record, c checked) checked {
	key, problem := CheckRecord(p.cfg.Validator, doc.Partner, r)
	if problem == nil && c.rec.ContentHash == nil {
		problem = &sdk.RecordError{Code: sdk.CodeSchema, Message: "record kon niet worden gelezen"}
	}
	if problem != nil {
		return checked{rejected: &store.QuarantinedRecord{Line: r.Line, Field: problem.Field, RecordKey: r.RecordKey,
			Code: problem.Code, Message: problem.Message, Severity: "error", Record: validJSONOrNil(r.JSON)}}
	}
	c.rec.RecordKey = key
	c.validated = true
	return c
}

func validJSONOrNil(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	return nil
}
