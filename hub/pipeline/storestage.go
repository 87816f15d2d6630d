package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// handleChunk is the store stage: it stores one chunk and publishes the
// accepted registrations in the same transaction; the end-of-document
// marker finishes the document and asks for its receipt.
func (p *Pipeline) handleChunk(msg *message.Message) error {
	ctx := withMessage(msg.Context(), msg)
	var m chunkMessage
	if err := decode(msg.Payload, &m); err != nil {
		return err
	}
	recs, links, rejected := p.separateIdentity(m)
	var finished *hub.Receipt
	err := p.cfg.Store.InDerivedTx(ctx, func(tx pgx.Tx) error {
		finished = nil
		res, err := p.cfg.Store.StoreChunk(ctx, tx, m.Partner, m.DocumentID, m.Seq, recs, rejected)
		if err != nil {
			return err
		}
		if !res.Applied {
			return nil // stored before a crash; the message is a redelivery
		}
		if err := p.recordOutcomes(ctx, tx, m, recs, rejected); err != nil {
			return err
		}
		if err := p.fillSourceDigests(ctx, tx, m); err != nil {
			return err
		}
		if p.cfg.Linker != nil && len(links) > 0 {
			if _, err := p.cfg.Linker.LinkChunk(ctx, tx, m.Partner, links); err != nil {
				return err
			}
		}
		if err := p.takeConsents(ctx, tx, m); err != nil {
			return err
		}
		if len(res.FeedSeqs) > 0 {
			keys := make([]string, 0, len(recs))
			for _, r := range recs {
				keys = append(keys, r.RecordKey)
			}
			if err := p.publishTx(ctx, tx, topicAccepted, acceptedMessage{DocumentID: m.DocumentID, Partner: m.Partner,
				Seq: m.Seq, RecordKeys: keys, FeedSeqs: res.FeedSeqs}); err != nil {
				return err
			}
		}
		if !m.Last {
			return nil
		}
		r, ended, err := p.cfg.Store.FinishDocument(ctx, tx, m.DocumentID, m.EndMissing, m.MaxMissingShare)
		if err != nil {
			return err
		}
		if err := p.announceEnded(ctx, tx, m, ended); err != nil {
			return err
		}
		finished = &r
		return p.publishTx(ctx, tx, topicFinished, finishedMessage{DocumentID: m.DocumentID, Partner: m.Partner})
	})
	if err != nil || finished == nil {
		return err
	}
	c := finished.Counts
	p.log.Info("document stored", "document", m.DocumentID, "partner", m.Partner, "records", c.Records,
		"inserted", c.Inserted, "updated", c.Updated, "unchanged", c.Unchanged, "deleted", c.Deleted, "ended", c.Ended, "rejected", c.Rejected)
	mt := p.cfg.Metrics
	mt.Document(m.Partner, hub.DocDone)
	for outcome, n := range map[string]int64{"inserted": c.Inserted, "updated": c.Updated, "unchanged": c.Unchanged,
		"deleted": c.Deleted, "ended": c.Ended, "rejected": c.Rejected} {
		mt.Records(m.Partner, outcome, n)
	}
	return nil
}

// endedBatch is the number of ended records per accepted announcement.
const endedBatch = 1000

// announceEnded announces the records that a full export ended as accepted,
// so that routing tells the partners that had them: in batches numbered
// after the document's last chunk, which keeps each announcement's
// (document, seq) unique.
func (p *Pipeline) announceEnded(ctx context.Context, tx pgx.Tx, last chunkMessage, keys []string) error {
	for i := 0; len(keys) > 0; i++ {
		n := min(len(keys), endedBatch)
		if err := p.publishTx(ctx, tx, topicAccepted, acceptedMessage{DocumentID: last.DocumentID, Partner: last.Partner,
			Seq: last.Seq + 1 + i, RecordKeys: keys[:n]}); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// handlePoison fails the document of a message that could not be processed,
// so that the partner gets a receipt that says why. The document's bytes stay
// stored for a replay.
func (p *Pipeline) handlePoison(msg *message.Message) error {
	ctx := msg.Context()
	reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey)
	topic := msg.Metadata.Get(middleware.PoisonedTopicKey)
	var docID, partner string
	switch {
	case strings.HasPrefix(topic, kindDocuments+"."):
		var m documentMessage
		if err := decode(msg.Payload, &m); err != nil {
			p.log.Error("poisoned message cannot be read", "topic", topic, "error", err)
			return nil
		}
		docID, partner = m.DocumentID, m.Partner
	case strings.HasPrefix(topic, kindChunks+"."):
		var m chunkMessage
		if err := decode(msg.Payload, &m); err != nil {
			p.log.Error("poisoned message cannot be read", "topic", topic, "error", err)
			return nil
		}
		docID, partner = m.DocumentID, m.Partner
	default:
		p.log.Error("message could not be processed", "topic", topic, "reason", reason)
		return nil
	}
	p.log.Error("document failed", "document", docID, "partner", partner, "reason", reason)
	p.cfg.Metrics.Document(partner, hub.DocFailed)
	if _, err := p.cfg.Store.FailDocument(ctx, docID,
		"het document kon niet worden verwerkt; de beheerder kan het opnieuw aanbieden (replay). Oorzaak: "+reason); err != nil {
		return err
	}
	return p.cfg.Store.InDerivedTx(ctx, func(tx pgx.Tx) error {
		return p.publishTx(ctx, tx, topicFinished, finishedMessage{DocumentID: docID, Partner: partner})
	})
}

// handleFinished writes a document's receipt next to the partner's drop
// folder (receipts/), atomically, and notes that it did.
func (p *Pipeline) handleFinished(msg *message.Message) error {
	ctx := msg.Context()
	var m finishedMessage
	if err := decode(msg.Payload, &m); err != nil {
		return err
	}
	doc, err := p.cfg.Store.Document(ctx, m.DocumentID)
	if err != nil {
		return err
	}
	if err := p.WriteReceipt(doc); err != nil {
		return err
	}
	return p.cfg.Store.MarkReceiptWritten(ctx, doc.ID)
}

// WriteReceipt writes the receipt file of a finished document. A partner
// without a receipt folder gets none (the API still has the receipt).
func (p *Pipeline) WriteReceipt(doc hub.Document) error {
	pt, ok := p.partner(doc.Partner)
	if !ok || pt.ReceiptDir == "" || doc.Receipt == nil {
		return nil
	}
	if err := os.MkdirAll(pt.ReceiptDir, 0o750); err != nil {
		return fmt.Errorf("create receipt folder of %s: %w", doc.Partner, err)
	}
	b, err := json.MarshalIndent(doc.Receipt, "", "  ")
	if err != nil {
		return fmt.Errorf("encode receipt of %s: %w", doc.ID, err)
	}
	name := ReceiptFileName(doc)
	tmp := filepath.Join(pt.ReceiptDir, "."+name+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err != nil {
		return fmt.Errorf("write receipt of %s: %w", doc.ID, err)
	}
	if err := os.Rename(tmp, filepath.Join(pt.ReceiptDir, name)); err != nil {
		return fmt.Errorf("write receipt of %s: %w", doc.ID, err)
	}
	return nil
}

// ReceiptFileName is the receipt's file name: the dropped file's name, the
// document id and .receipt.json, so that a partner finds it by name.
func ReceiptFileName(doc hub.Document) string {
	return hub.SafeFileName(doc.OriginalName) + "." + doc.ID + ".receipt.json"
}

// separateIdentity prepares a chunk for storing: it takes the BSN out of each
// registration (the hub stores it only encrypted, with the link), collects
// the clients to link, and adds a BSN_INVALID warning for every BSN that
// fails the elfproef: such a record is kept and matched on its other fields.
// Without a linker the registrations are stored as they came.
func (p *Pipeline) separateIdentity(m chunkMessage) ([]store.StoredRecord, []clients.Input, []store.QuarantinedRecord) {
	recs := make([]store.StoredRecord, len(m.Records))
	rejected := m.Rejected
	var links []clients.Input
	for i, r := range m.Records {
		recs[i] = store.StoredRecord{RecordKey: r.RecordKey, Operation: r.Operation, ContentHash: r.ContentHash,
			Data: r.Data, Line: r.Line, RegisteredAt: r.RegisteredAt, SourceDigest: r.SourceDigest}
		if p.cfg.Linker == nil {
			continue
		}
		c, data, err := clients.SplitClient(r.Data)
		if err != nil {
			continue // validated before: cannot happen; stored as it came
		}
		recs[i].Data = data
		if r.Operation == string(sdk.OpDelete) {
			continue
		}
		links = append(links, clients.Input{RecordKey: r.RecordKey, Client: c})
		if c.BSN != "" {
			if _, ok := identity.CheckBSN(c.BSN); !ok {
				rejected = append(rejected, store.QuarantinedRecord{Line: r.Line, Field: "client.bsn", RecordKey: r.RecordKey,
					Code: sdk.CodeBSNInvalid, Severity: "warning",
					Message: "het BSN voldoet niet aan de elfproef; het record is opgenomen en wordt herkend op naam, geboortedatum en geslacht"})
			}
		}
	}
	if p.cfg.Linker != nil {
		for i, q := range rejected {
			if len(q.Record) > 0 {
				if _, data, err := clients.SplitClient(q.Record); err == nil {
					rejected[i].Record = data
				}
			}
		}
	}
	return recs, links, rejected
}

// takeConsents hands the chunk's consent statements to the consent taker,
// after its records are stored and linked, and stores what became of them:
// the counts and the refused statements for the receipt. A registration
// whose statement was refused loses its source digest, so that the
// partner's next export maps the row again and the statement is taken
// again (after the partner or the rules were put right).
func (p *Pipeline) takeConsents(ctx context.Context, tx pgx.Tx, m chunkMessage) error {
	if len(m.Consents) == 0 {
		return nil
	}
	stmts := make([]sdk.Consent, len(m.Consents))
	for i, c := range m.Consents {
		stmts[i] = sdk.Consent{Line: c.Line, RecordKey: c.RecordKey, JSON: c.JSON}
	}
	var res consentflow.Result
	if p.cfg.Consents == nil {
		for _, st := range stmts {
			res.Rejected = append(res.Rejected, sdk.RecordError{Line: st.Line, RecordKey: st.RecordKey, Code: sdk.CodeConsentUnsupported,
				Message: "toestemming: deze hub neemt geen toestemming aan via adapters; de verklaring is niet vastgelegd"})
		}
	} else {
		var err error
		if res, err = p.cfg.Consents.Take(ctx, tx, m.Partner, m.DocumentID, stmts); err != nil {
			return fmt.Errorf("take consent statements of %s: %w", m.DocumentID, err)
		}
	}
	issues := make([]store.QuarantinedRecord, len(res.Rejected))
	var keys []string
	for i, e := range res.Rejected {
		issues[i] = store.QuarantinedRecord{Line: e.Line, Column: e.Column, Field: e.Field, RecordKey: e.RecordKey,
			Code: e.Code, Message: e.Message, Severity: "error"}
		if e.RecordKey != "" {
			keys = append(keys, e.RecordKey)
		}
	}
	return p.cfg.Store.RecordConsents(ctx, tx, m.Partner, m.DocumentID, m.Seq,
		store.ConsentCounts{Recorded: res.Recorded, Unchanged: res.Unchanged, Rejected: len(res.Rejected)}, issues, keys)
}
