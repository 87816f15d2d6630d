package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errStop ends a document that no row of can be mapped (a wrong header).
var errStop = errors.New("stop document")

// delimiters are the separators tried when a header does not fit.
var delimiters = []rune{';', ',', '\t', '|'}

// decoder decodes one document.
type decoder struct {
	p       *plan
	r       *dsv.Reader
	b       *sdk.Batcher
	m       *mapper
	header  []string          // the header names, for messages
	width   int               // the number of columns of every row; 0 while unknown
	highest int               // without header: the highest configured position
	rows    int               // records seen, good or bad
	bound   bool              // the columns have their positions
	js      sdk.JSONBlocks    // where the records' JSON goes
	seen    *mapping.KeyIndex // the record keys so far, to find duplicates
	// Source digests (see digest.go).
	known *sdk.DigestSeeker  // over the hub's, sdk.Document.Known
	db    *sdk.DigestBuilder // seeded for this plan
	sums  []byte             // the block the next record's digest goes into
	// hasKnown: the hub sent digests.
	hasKnown bool
}

func newDecoder(p *plan, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) *decoder {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &decoder{
		p:        p,
		r:        dsv.NewReader(src, p.read),
		b:        sdk.NewBatcher(out, sdk.DefaultChunkRecords),
		m:        newMapper(p, receivedAt),
		seen:     mapping.NewKeyIndex(),
		known:    doc.Known.Seeker(),
		hasKnown: doc.Known.Len() > 0,
		db:       sdk.NewDigestBuilder(p.digestSeed...),
	}
}

// run decodes the document; it returns an error only when it cannot go on.
func (d *decoder) run(ctx context.Context) error {
	if err := d.decode(ctx); err != nil && !errors.Is(err, errStop) {
		return err
	}
	return d.b.Flush(ctx)
}

func (d *decoder) decode(ctx context.Context) error {
	prob, err := d.r.Sniff()
	if err != nil {
		return err
	}
	if prob != nil {
		return d.docProblem(ctx, prob)
	}
	if err := d.r.SkipLines(d.p.skipLines); err != nil {
		return fmt.Errorf("skip lines: %w", err)
	}
	if d.p.header {
		if err := d.readHeader(ctx); err != nil {
			return err
		}
	} else {
		d.highest = d.m.bindPositions()
		d.bound = true
	}
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := d.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read line: %w", err)
		}
		d.rows++
		if err := d.row(ctx, rec); err != nil {
			return err
		}
	}
	if d.rows == 0 {
		msg := "het document bevat geen regels met gegevens"
		if d.p.header {
			msg = "het document bevat alleen een kopregel en geen regels met gegevens"
		}
		return d.b.AddError(ctx, sdk.RecordError{Code: sdk.CodeEmptyDocument, Message: msg})
	}
	return nil
}

// docProblem reports a document that cannot be read at all.
func (d *decoder) docProblem(ctx context.Context, prob *dsv.DocProblem) error {
	e := sdk.RecordError{}
	switch prob.Kind {
	case dsv.DocEmpty:
		e.Code, e.Message = sdk.CodeEmptyDocument, "het document is leeg (0 bytes)"
	case dsv.DocUTF16:
		e.Code, e.Message = sdk.CodeEncoding, "het document is in UTF-16 opgeslagen; lever het aan in UTF-8 of Windows-1252"
	default:
		e.Code, e.Message = sdk.CodeBinary, "het document is geen tekstbestand (het bevat veel NUL-bytes of andere stuurtekens); lever een CSV-bestand aan"
		if prob.Format != "" {
			e.Message = "het document is geen tekstbestand maar een " + prob.Format + "-bestand; lever een CSV-bestand aan"
		}
	}
	if err := d.b.AddError(ctx, e); err != nil {
		return err
	}
	return errStop
}

// readHeader reads the header and finds the configured columns in it. A
// header that does not fit ends the document with errStop.
func (d *decoder) readHeader(ctx context.Context) error {
	rec, err := d.r.Next()
	if errors.Is(err, io.EOF) {
		if err := d.b.AddError(ctx, sdk.RecordError{Code: sdk.CodeEmptyDocument, Message: "het document bevat geen regels met gegevens"}); err != nil {
			return err
		}
		return errStop
	}
	if err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	if rec.Problem.Kind != dsv.NoProblem {
		e := d.problem(rec)
		e.Message = "kopregel: " + e.Message + "; het document is niet verwerkt"
		e.Column, e.Field, e.RecordKey = 0, "", ""
		if err := d.b.AddError(ctx, e); err != nil {
			return err
		}
		return errStop
	}
	d.header = append([]string(nil), rec.Fields...)
	for i, h := range d.header {
		d.header[i] = strings.TrimSpace(h)
	}
	missing, doubled := d.m.bindHeader(d.header)
	var e sdk.RecordError
	switch {
	case len(missing) > 0:
		e = d.headerMismatch(rec, missing)
	case len(doubled) > 0:
		e = sdk.RecordError{Line: rec.Line, Code: sdk.CodeHeaderMissing,
			Message: "de kopregel bevat de kolommen " + quoteList(doubled) + " meer dan eens, zodat niet vaststaat welke bedoeld is; het document is niet verwerkt"}
	default:
		d.width = len(rec.Fields)
		d.bound = true
		return nil
	}
	if err := d.b.AddError(ctx, e); err != nil {
		return err
	}
	return errStop
}

// headerMismatch explains a header without some configured columns: when the
// header fits with another delimiter, the delimiter is wrong.
func (d *decoder) headerMismatch(rec dsv.Record, missing []string) sdk.RecordError {
	for _, delim := range delimiters {
		if delim == d.p.read.Delimiter {
			continue
		}
		fields := dsv.Split(rec.Raw, delim, d.p.read.Quote)
		if len(fields) < 2 {
			continue
		}
		probe := newMapper(d.p, "")
		if m, _ := probe.bindHeader(fields); len(m) == 0 || len(rec.Fields) == 1 {
			return sdk.RecordError{Line: rec.Line, Code: sdk.CodeDelimiter,
				Message: fmt.Sprintf("de kopregel lijkt %s als scheidingsteken te gebruiken in plaats van het ingestelde %s; de kolommen %s zijn daardoor niet gevonden en het document is niet verwerkt",
					runeName(delim), runeName(d.p.read.Delimiter), quoteList(missing))}
		}
	}
	return sdk.RecordError{Line: rec.Line, Code: sdk.CodeHeaderMissing,
		Message: "de kopregel mist de kolommen " + quoteList(missing) + "; geen enkele regel kan worden verwerkt en het document is niet verwerkt"}
}

// row handles one data record.
func (d *decoder) row(ctx context.Context, rec dsv.Record) error {
	if rec.Problem.Kind != dsv.NoProblem {
		return d.b.AddError(ctx, d.problem(rec))
	}
	if d.width == 0 {
		if len(rec.Fields) < d.highest {
			if delim, ok := d.guessDelimiter(rec); ok && d.rows == 1 {
				if err := d.b.AddError(ctx, sdk.RecordError{Line: rec.Line, Code: sdk.CodeDelimiter,
					Message: fmt.Sprintf("de eerste regel lijkt %s als scheidingsteken te gebruiken in plaats van het ingestelde %s; het document is niet verwerkt",
						runeName(delim), runeName(d.p.read.Delimiter))}); err != nil {
					return err
				}
				return errStop
			}
			return d.b.AddError(ctx, sdk.RecordError{Line: rec.Line, Code: sdk.CodeRowRagged, RecordKey: d.keyOf(rec.Fields),
				Message: fmt.Sprintf("regel heeft %d kolommen, maar de configuratie gebruikt kolom %d", len(rec.Fields), d.highest)})
		}
		d.width = len(rec.Fields)
	}
	if len(rec.Fields) != d.width {
		what := "de kopregel heeft er"
		if !d.p.header {
			what = "de eerste regel had er"
		}
		return d.b.AddError(ctx, sdk.RecordError{Line: rec.Line, Code: sdk.CodeRowRagged, RecordKey: d.keyOf(rec.Fields),
			Message: fmt.Sprintf("regel heeft %d kolommen, %s %d; controleer scheidingstekens en aanhalingstekens in deze regel", len(rec.Fields), what, d.width)})
	}
	if d.hasKnown {
		if key, ok := d.unchanged(rec); ok {
			return d.b.AddUnchanged(ctx, sdk.Unchanged{Line: rec.Line, RecordKey: key})
		}
	}
	reg, key, errs := d.m.mapRow(rec.Line, rec.Fields)
	if key != "" {
		if first, ok := d.seen.First(key); ok {
			e := d.m.m.Problem(mapping.RecordKey, sdk.CodeDuplicateKey, "kwam al eerder voor in dit document, op regel %d; deze regel is niet verwerkt", first)
			e.RecordKey = key
			errs = append(errs, e)
			reg = nil
		} else {
			d.seen.Add(key, rec.Line)
		}
	}
	var stmts []sdk.Consent
	if len(d.p.consents) > 0 && key != "" && (reg != nil || len(errs) > 0) {
		var cerrs []sdk.RecordError
		if stmts, cerrs = d.m.mapConsents(rec.Line, rec.Fields, key); len(cerrs) > 0 {
			errs, reg = append(errs, cerrs...), nil
		}
	}
	for _, e := range errs {
		if err := d.b.AddError(ctx, e); err != nil {
			return err
		}
	}
	if reg == nil {
		return nil
	}
	if err := d.b.Add(ctx, sdk.Record{Line: rec.Line, RecordKey: key, JSON: d.js.Marshal(reg), SourceDigest: d.digest(rec.Fields)}); err != nil {
		return err
	}
	for _, st := range stmts {
		if err := d.b.AddConsent(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// guessDelimiter finds another delimiter that gives a headerless row enough
// columns.
func (d *decoder) guessDelimiter(rec dsv.Record) (rune, bool) {
	for _, delim := range delimiters {
		if delim != d.p.read.Delimiter && len(dsv.Split(rec.Raw, delim, d.p.read.Quote)) >= d.highest {
			return delim, true
		}
	}
	return 0, false
}

// keyOf returns the record key of a row that cannot be mapped, when the row
// has a clean one.
func (d *decoder) keyOf(fields []string) string {
	f := d.p.Fields[mapping.RecordKey]
	for i, c := range d.p.columns {
		if c.in != f.Input || c.in.Re != nil || d.m.pos[i] >= len(fields) {
			continue
		}
		k := strings.TrimSpace(fields[d.m.pos[i]])
		if utf8.RuneCountInString(k) <= f.MaxLen() && utf8.ValidString(k) && !strings.ContainsFunc(k, isControlRune) {
			return k
		}
	}
	return ""
}

func isControlRune(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }

// problem turns a reader problem into a record error.
func (d *decoder) problem(rec dsv.Record) sdk.RecordError {
	e := sdk.RecordError{Line: rec.Line, Column: rec.Problem.Column}
	where := ""
	if e.Column > 0 {
		where = " in " + d.columnName(e.Column)
		e.Field = d.fieldAt(e.Column)
	}
	switch rec.Problem.Kind {
	case dsv.TooLong:
		e.Code = sdk.CodeRowTooLong
		e.Message = fmt.Sprintf("regel is langer dan %d bytes en is overgeslagen (zie max_record_bytes)", d.p.read.MaxRecordBytes)
	case dsv.Binary:
		e.Code = sdk.CodeBinary
		e.Message = "regel bevat NUL-bytes of andere stuurtekens (binaire gegevens)" + where
	case dsv.InvalidUTF8:
		e.Code = sdk.CodeEncoding
		e.Message = "regel bevat bytes die geen geldige UTF-8 zijn" + where + "; is het bestand misschien in Windows-1252 opgeslagen?"
	case dsv.Undefined1252:
		e.Code = sdk.CodeEncoding
		e.Message = "regel bevat bytes die in Windows-1252 niet bestaan" + where
	case dsv.UTF8In1252:
		e.Code = sdk.CodeEncoding
		e.Message = "regel bevat UTF-8-tekens terwijl Windows-1252 is ingesteld" + where + "; is het bestand misschien in UTF-8 opgeslagen?"
	case dsv.QuoteOpen:
		e.Code = sdk.CodeQuote
		e.Message = "het aanhalingsteken aan het begin van het veld" + where + " wordt niet gesloten op deze regel; de regel is overgeslagen"
		if d.p.read.Multiline {
			e.Message = fmt.Sprintf("het aanhalingsteken aan het begin van het veld%s wordt niet gesloten binnen %d bytes of voor het einde van het document; de regel is overgeslagen", where, d.p.read.MaxRecordBytes)
		}
	case dsv.TextAfterQuote:
		e.Code = sdk.CodeQuote
		e.Message = "na het afsluitende aanhalingsteken van het veld" + where + " staat nog tekst vóór het volgende scheidingsteken; de regel is overgeslagen"
	}
	if rec.Fields != nil {
		e.RecordKey = d.keyOf(rec.Fields)
	}
	return e
}

// columnName names the column at 1-based position n for a message.
func (d *decoder) columnName(n int) string {
	if n <= len(d.header) && d.header[n-1] != "" && utf8.ValidString(d.header[n-1]) {
		return fmt.Sprintf("kolom %d ('%s')", n, d.header[n-1])
	}
	return fmt.Sprintf("kolom %d", n)
}

// fieldAt returns the target field of the column at 1-based position n, or
// "" when the column is not mapped to a single field.
func (d *decoder) fieldAt(n int) string {
	for i, c := range d.p.columns {
		if d.bound && d.m.pos[i] == n-1 && c.in.Re == nil {
			return d.p.Fields[c.in.Target].Path()
		}
	}
	return ""
}

// runeName writes a delimiter for a message.
func runeName(r rune) string {
	switch r {
	case '\t':
		return "de tab"
	case ' ':
		return "de spatie"
	}
	return "'" + string(r) + "'"
}

// quoteList writes column names for a message: 'a', 'b'.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}
