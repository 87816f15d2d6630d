package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Push is a document that a partner system pushes over HTTP (POST
// /v1/partners/{partner}/registrations).
type Push struct {
	Partner string
	// Name is the document's name, which tells the adapter its form:
	// registraties.json or registraties.ndjson.
	Name string
	Body []byte
	// IdempotencyKey is the Idempotency-Key the partner system sent, or "".
	IdempotencyKey string
}

// Pushed is what landing a push did.
type Pushed struct {
	// Document is the landed document, or for a duplicate the earlier one.
	Document hub.Document
	// Duplicate is set when the partner pushed the same content, or used
	// the same Idempotency-Key for it, before: nothing was landed.
	Duplicate bool
	// Syntax is set when the body is no well-formed JSON (or NDJSON): the
	// document is landed and at once refused, not processed.
	Syntax *SyntaxError
}

// SyntaxError says where a pushed body stops being well-formed JSON.
type SyntaxError struct {
	Offset int64 // the 0-based byte offset of the first byte that does not fit
	Line   int   // its 1-based line
	Column int   // its 1-based column, in bytes
}

// Message says in Dutch where the body is ill-formed.
func (e *SyntaxError) Message() string {
	return fmt.Sprintf("de inhoud is geen goed gevormde JSON (of NDJSON): fout op regel %d, kolom %d (byte %d); er is niets verwerkt", e.Line, e.Column, e.Offset)
}

// PushConfig configures a Pusher.
type PushConfig struct {
	Store     *store.Store
	Submitter Submitter
	Logger    *slog.Logger
	// Metrics counts landed, duplicate and refused pushes; nil counts nothing.
	Metrics *metrics.Metrics
}

// Pusher lands pushed documents the way Watcher lands dropped files: the
// bytes stored before anything else, the same content recognised, the
// document handed to the pipeline in the landing transaction.
type Pusher struct {
	cfg PushConfig
}

// NewPusher returns a Pusher.
func NewPusher(cfg PushConfig) *Pusher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Pusher{cfg: cfg}
}

// errKeyReused is the cause of the error of a push whose Idempotency-Key
// the partner used before for other content.
var errKeyReused = errors.New("idempotency key reused")

// Push lands p. A body that is no well-formed JSON is landed too, and
// refused at once with a receipt that says where (Pushed.Syntax). It
// returns an *hub.Error with ECONFLICT when the partner used the
// Idempotency-Key before for other content.
func (ps *Pusher) Push(ctx context.Context, p Push) (Pushed, error) {
	out := Pushed{Syntax: CheckJSON(p.Body)}
	sum := sha256.Sum256(p.Body)
	log := ps.cfg.Logger.With("partner", p.Partner)
	for attempt := 0; ; attempt++ {
		if p.IdempotencyKey != "" {
			doc, ok, err := ps.cfg.Store.DocumentByKey(ctx, p.Partner, p.IdempotencyKey)
			if err != nil {
				return out, err
			}
			if ok {
				if doc.SHA256 != hex.EncodeToString(sum[:]) {
					return out, &hub.Error{Code: hub.ECONFLICT, Err: errKeyReused, Message: fmt.Sprintf(
						"Deze Idempotency-Key is eerder gebruikt voor een andere inhoud (document %s); gebruik voor nieuwe inhoud een nieuwe sleutel.", doc.ID)}
				}
				out.Document, out.Duplicate = doc, true
				ps.cfg.Metrics.Document(p.Partner, "duplicate")
				log.Info("pushed document was delivered before; not ingested again", "document", doc.ID)
				return out, nil
			}
		}
		doc, dup, err := ps.cfg.Store.Land(ctx, store.Landing{Partner: p.Partner, OriginalName: p.Name, Source: hub.SourceAPI,
			IdempotencyKey: p.IdempotencyKey,
			OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error {
				if out.Syntax != nil {
					_, err := ps.cfg.Store.RefuseDocument(ctx, tx, id, hub.ReceiptIssue{Code: sdk.CodeSyntax, Message: out.Syntax.Message()})
					return err
				}
				return ps.cfg.Submitter.Submit(ctx, tx, p.Partner, id)
			}}, bytes.NewReader(p.Body))
		if errors.Is(err, store.ErrIdempotencyKeyTaken) && attempt == 0 {
			continue // pushed with the same key at the same moment: answer as the other
		}
		if err != nil {
			return out, err
		}
		out.Document, out.Duplicate = doc, dup
		switch {
		case dup:
			ps.cfg.Metrics.Document(p.Partner, "duplicate")
			log.Info("pushed document was delivered before; not ingested again", "document", doc.ID)
		case out.Syntax != nil:
			ps.cfg.Metrics.Document(p.Partner, "rejected")
			log.Warn("pushed document is no JSON; landed and refused", "document", doc.ID, "bytes", doc.Size, "offset", out.Syntax.Offset)
		default:
			ps.cfg.Metrics.Document(p.Partner, "landed")
			log.Info("pushed document landed", "document", doc.ID, "bytes", doc.Size)
		}
		return out, nil
	}
}

// CheckJSON returns where body stops being a sequence of well-formed JSON
// values (one JSON document, or NDJSON), or nil when it is one. A UTF-8
// byte order mark at the start is allowed.
func CheckJSON(body []byte) *SyntaxError {
	rest := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	base := int64(len(body) - len(rest))
	for {
		trimmed := bytes.TrimLeft(rest, " \t\r\n")
		base += int64(len(rest) - len(trimmed))
		rest = trimmed
		if len(rest) == 0 {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(rest))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			// Unmarshal finds the same fault in the first value, and counts
			// its offset right.
			off := int64(len(rest)) // cut short: the fault is the end
			var se *json.SyntaxError
			if errors.As(json.Unmarshal(rest, &v), &se) && !strings.Contains(se.Error(), "unexpected end") {
				off = se.Offset - 1
			}
			return syntaxAt(body, base+min(max(off, 0), int64(len(rest))))
		}
		n := dec.InputOffset()
		base += n
		rest = rest[n:]
	}
}

// syntaxAt is the SyntaxError at offset off of body.
func syntaxAt(body []byte, off int64) *SyntaxError {
	before := body[:min(off, int64(len(body)))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return &SyntaxError{Offset: off, Line: line, Column: col}
}
