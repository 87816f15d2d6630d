package pipeline

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// A pushed document (POST /v1/partners/{partner}/registrations) is answered
// per record, also when it is pushed again later: the store stage keeps
// what became of each of its records (store.RecordOutcomes) in the
// transaction that stores them. The decode stage sends along the records it
// found unchanged, which the store stage otherwise never sees. Documents
// from drop folders keep no outcomes: their receipts count.

// keepsResults tells whether the outcome of every record of doc is kept.
func keepsResults(doc hub.Document) bool { return doc.Source == hub.SourceAPI }

// keepUnchanged notes the records the adapter reported unchanged, for a
// message that keeps results.
func (m *chunkMessage) keepUnchanged(us []sdk.Unchanged) {
	if !m.Results {
		return
	}
	for _, u := range us {
		m.Unchanged = append(m.Unchanged, store.RecordRef{Line: u.Line, RecordKey: u.RecordKey})
	}
}

// keepUnchangedRecord notes a record that equals what the hub holds, for a
// message that keeps results.
func (m *chunkMessage) keepUnchangedRecord(r chunkRecord) {
	if m.Results {
		m.Unchanged = append(m.Unchanged, store.RecordRef{Line: r.Line, RecordKey: r.RecordKey})
	}
}

// recordOutcomes records in tx what became of the records of a chunk that
// keeps results: stored, found unchanged, or quarantined.
func (p *Pipeline) recordOutcomes(ctx context.Context, tx pgx.Tx, m chunkMessage, stored []store.StoredRecord, quarantined []store.QuarantinedRecord) error {
	if !m.Results {
		return nil
	}
	return p.cfg.Store.RecordOutcomes(ctx, tx, m.Partner, m.DocumentID, stored, m.Unchanged, quarantined)
}
