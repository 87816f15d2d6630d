package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errStop ends a document after a document-level problem was reported.
var errStop = errors.New("stop document")

// peekSize is how much of the start of a document the decoder looks at to
// tell its form.
const peekSize = 64 << 10

// decoder decodes one document: it finds the records (the elements of a
// JSON list, the lines of NDJSON, or one object) and maps each onto a
// registration. Records are numbered from 1 in the order they come; that
// number is the Line of everything reported about a record
// (sdk.CapabilityPush).
type decoder struct {
	p    *plan
	name string
	b    *sdk.Batcher
	m    *mapping.Mapper
	n    int               // records so far
	seen *mapping.KeyIndex // the record keys so far, with the record each was first seen in
	js   sdk.JSONBlocks    // where the records' JSON goes
	errs []sdk.RecordError // problems the decoder found in the current record itself
}

func newDecoder(p *plan, doc sdk.Document, out sdk.ChunkWriter) *decoder {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &decoder{p: p, name: doc.OriginalName, b: sdk.NewBatcher(out, sdk.DefaultChunkRecords),
		m: mapping.NewMapper(p.Plan, receivedAt), seen: mapping.NewKeyIndex()}
}

// run decodes the document; it returns an error only when it cannot go on.
func (d *decoder) run(ctx context.Context, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(src, peekSize)
	err := d.decode(ctx, r)
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return d.b.Flush(ctx)
}

func (d *decoder) decode(ctx context.Context, r *bufio.Reader) error {
	head, err := r.Peek(peekSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read document start: %w", err)
	}
	switch {
	case len(head) == 0:
		return d.refuse(ctx, sdk.CodeEmptyDocument, "het document is leeg (0 bytes)")
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = r.Discard(3)
		head = head[3:]
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		return d.refuse(ctx, sdk.CodeEncoding, "het document is in UTF-16 opgeslagen; JSON hoort in UTF-8")
	}
	if what := binaryKind(head); what != "" {
		return d.refuse(ctx, sdk.CodeBinary, "het document is geen JSON maar "+what)
	}
	start := bytes.TrimLeft(head, " \t\r\n")
	if len(start) == 0 {
		return d.refuse(ctx, sdk.CodeEmptyDocument, "het document bevat alleen witruimte")
	}
	if start[0] != '[' && start[0] != '{' {
		return d.refuse(ctx, sdk.CodeSyntax, "het document is geen JSON-lijst of JSON-object: het eerste teken is geen [ of {")
	}
	if d.form(start) == formatNDJSON {
		return d.ndjson(ctx, r)
	}
	return d.json(ctx, r, start[0])
}

// form tells how to read a document that starts with start (its first
// non-blank bytes): as one JSON document or as NDJSON. With format auto a
// document named *.ndjson or *.jsonl is NDJSON, one that starts with [ is
// JSON, and one whose first line is a complete JSON value with more after
// it is NDJSON; any other is one JSON document.
func (d *decoder) form(start []byte) string {
	switch {
	case d.p.format != formatAuto:
		return d.p.format
	case strings.HasSuffix(d.name, ".ndjson") || strings.HasSuffix(d.name, ".jsonl"):
		return formatNDJSON
	case start[0] == '[':
		return formatJSON
	}
	first, rest, found := bytes.Cut(start, []byte("\n"))
	if found && json.Valid(bytes.TrimSpace(first)) && len(bytes.TrimSpace(rest)) > 0 {
		return formatNDJSON
	}
	return formatJSON
}

// binaryKind names the kind of a document that is no text at all (a known
// binary format, or NUL bytes at its start), or gives "".
func binaryKind(head []byte) string {
	for prefix, name := range map[string]string{"PK\x03\x04": "een ZIP-bestand (of Excel/Word)", "%PDF": "een PDF-bestand",
		"\x1f\x8b": "een gzip-bestand", "\xd0\xcf\x11\xe0": "een Office 97-2003-bestand"} {
		if bytes.HasPrefix(head, []byte(prefix)) {
			return name
		}
	}
	if bytes.IndexByte(head[:min(len(head), 512)], 0) >= 0 {
		return "binaire gegevens (NUL-bytes)"
	}
	return ""
}

// refuse reports a problem with the document as a whole (Line 0) and
// returns errStop, or the error of the batcher.
func (d *decoder) refuse(ctx context.Context, code, msg string) error {
	if err := d.b.AddError(ctx, sdk.RecordError{Code: code, Message: msg}); err != nil {
		return err
	}
	return errStop
}

// json reads one JSON document, which starts with first ('[' or '{'), as
// a stream: the list of records (the document itself, or under records),
// or one object that is the only record.
func (d *decoder) json(ctx context.Context, r io.Reader, first byte) error {
	pr := newPosReader(r, d.p.maxRecord)
	dec := json.NewDecoder(pr)
	dec.UseNumber()
	pr.dec = dec
	jr := &jsonReader{d: d, pr: pr, dec: dec}
	if err := jr.document(ctx, first); err != nil {
		return err
	}
	dec.More() // moves the decoder past blanks, to what follows the document
	after := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if rerr := pr.err; rerr != nil && errors.Is(err, rerr) {
			return fmt.Errorf("read json: %w", err)
		}
		return d.refuse(ctx, sdk.CodeSyntax, fmt.Sprintf("na het JSON-document staat %s nog meer; een JSON-document bevat één lijst of object (gebruik NDJSON voor één record per regel); wat daarvóór stond is verwerkt",
			jr.where(after)))
	}
	return nil
}

// jsonReader reads one JSON document.
type jsonReader struct {
	d   *decoder
	pr  *posReader
	dec *json.Decoder
}

// document reads the top-level value, which starts with first.
func (jr *jsonReader) document(ctx context.Context, first byte) error {
	switch {
	case jr.d.p.records != nil:
		return jr.find(ctx, jr.d.p.records, 0)
	case first == '{':
		return jr.record(ctx)
	}
	return jr.list(ctx, "")
}

// find walks the members of nested objects along ptr (from token i on) to
// the list of records, reads it, and reads the rest of the document.
func (jr *jsonReader) find(ctx context.Context, ptr mapping.JSONPointer, i int) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.syntax(ctx, err)
	}
	if tok != json.Delim('{') {
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het document heeft geen object waar records %s zoekt (%s); er is niets verwerkt",
			jr.d.p.records, ptr[:i].String()+"/…"))
	}
	found := false
	for jr.dec.More() {
		tok, err := jr.dec.Token()
		if err != nil {
			return jr.syntax(ctx, err)
		}
		if key, _ := tok.(string); key == ptr[i] && !found {
			found = true
			if i+1 < len(ptr) {
				err = jr.find(ctx, ptr, i+1)
			} else {
				err = jr.list(ctx, ptr.String())
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := jr.skip(ctx); err != nil {
			return err
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.syntax(ctx, err)
	}
	if !found {
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het document heeft geen lijst met records onder %s (records); er is niets verwerkt", jr.d.p.records))
	}
	return nil
}

// skip reads over one value without keeping it.
func (jr *jsonReader) skip(ctx context.Context) error {
	depth := 0
	for {
		tok, err := jr.dec.Token()
		if err != nil {
			return jr.syntax(ctx, err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		jr.pr.forget(jr.dec.InputOffset())
		if depth == 0 {
			return nil
		}
	}
}

// list reads the list of records, found at ptr ("" for the document), one
// record at a time.
func (jr *jsonReader) list(ctx context.Context, ptr string) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.syntax(ctx, err)
	}
	if tok != json.Delim('[') {
		where := "het document"
		if ptr != "" {
			where = ptr + " (records)"
		}
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, where+" is geen lijst met records; er is niets verwerkt")
	}
	n := 0
	for jr.dec.More() {
		var raw json.RawMessage
		if err := jr.dec.Decode(&raw); err != nil {
			return jr.syntax(ctx, err)
		}
		jr.pr.forget(jr.dec.InputOffset())
		n++
		if err := jr.d.record(ctx, raw); err != nil {
			return err
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.syntax(ctx, err)
	}
	if n == 0 {
		return jr.d.refuse(ctx, sdk.CodeEmptyDocument, "de lijst met records is leeg")
	}
	return nil
}

// record reads a document that is one object: its only record.
func (jr *jsonReader) record(ctx context.Context) error {
	var raw json.RawMessage
	if err := jr.dec.Decode(&raw); err != nil {
		return jr.syntax(ctx, err)
	}
	return jr.d.record(ctx, raw)
}

// where names the place of byte offset off for a message.
func (jr *jsonReader) where(off int64) string {
	p := jr.pr.at(max(off, 0))
	return fmt.Sprintf("op regel %d, kolom %d (byte %d)", p.line, p.column, p.offset)
}

// syntax reports a document that cannot be read on and returns errStop, or
// returns err itself when it is about reading, not about the document.
func (jr *jsonReader) syntax(ctx context.Context, err error) error {
	if rerr := jr.pr.err; rerr != nil && errors.Is(err, rerr) {
		return fmt.Errorf("read json: %w", err)
	}
	done := "; wat daarvóór stond is verwerkt, de rest niet"
	if jr.d.n == 0 {
		done = "; er is niets verwerkt"
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		return jr.d.refuse(ctx, sdk.CodeRowTooLong, fmt.Sprintf("het record dat %s begint is groter dan %d bytes (max_record_bytes)%s",
			jr.where(jr.dec.InputOffset()), jr.d.p.maxRecord, done))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return jr.d.refuse(ctx, sdk.CodeSyntax, fmt.Sprintf("het document houdt %s midden in de JSON op (afgebroken?)%s", jr.where(jr.pr.total), done))
	case errors.As(err, &se):
		off, se := jr.locate(se)
		return jr.d.refuse(ctx, sdk.CodeSyntax, fmt.Sprintf("de JSON is niet goed gevormd %s: %s%s", jr.where(off), syntaxReason(se), done))
	}
	return jr.d.refuse(ctx, sdk.CodeSyntax, fmt.Sprintf("de JSON is %s niet te lezen%s", jr.where(jr.dec.InputOffset()), done))
}

// locate finds the offset of the byte that makes the JSON ill-formed, and
// the error that describes it. encoding/json's Decoder counts the offsets of
// its syntax errors wrongly once Token has been used, but it stops at the
// start of the value it fails on (or, between values, at the byte where a
// comma or bracket should be) with that value in its buffer: reading the
// buffer on its own finds the byte.
func (jr *jsonReader) locate(se *json.SyntaxError) (int64, *json.SyntaxError) {
	base := jr.dec.InputOffset()
	rest, _ := io.ReadAll(jr.dec.Buffered())
	var v any
	var inValue *json.SyntaxError
	if err := json.Unmarshal(rest, &v); errors.As(err, &inValue) && !strings.Contains(inValue.Error(), "after top-level value") {
		return base + inValue.Offset - 1, inValue
	}
	return base, se
}

// syntaxReason says in Dutch what encoding/json found, without the
// character itself.
func syntaxReason(se *json.SyntaxError) string {
	msg := se.Error()
	switch {
	case strings.Contains(msg, "after object key:value pair"), strings.Contains(msg, "after array element"):
		return "er ontbreekt een komma of sluithaak"
	case strings.Contains(msg, "after object key"):
		return "er ontbreekt een dubbele punt na de naam"
	case strings.Contains(msg, "looking for beginning of object key string"):
		return "een naam in een object moet tussen dubbele aanhalingstekens staan"
	case strings.Contains(msg, "in string literal"), strings.Contains(msg, "in string escape code"):
		return "ongeldig teken in een tekst (stuurteken of verkeerde \\-code)"
	case strings.Contains(msg, "looking for beginning of value"):
		return "hier hoort een waarde te beginnen"
	}
	return "onverwacht teken"
}

// ndjson reads a document with one record per line. A line that is not a
// JSON object costs that record only.
func (d *decoder) ndjson(ctx context.Context, r *bufio.Reader) error {
	var buf []byte
	for line := 1; ; line++ {
		text, tooLong, err := readLine(r, d.p.maxRecord, &buf)
		if errors.Is(err, io.EOF) && len(text) == 0 && !tooLong {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read line %d: %w", line, err)
		}
		switch {
		case tooLong:
			d.n++
			if err := d.b.AddError(ctx, sdk.RecordError{Line: d.n, Code: sdk.CodeRowTooLong,
				Message: fmt.Sprintf("record %d (regel %d) is langer dan %d bytes (max_record_bytes) en is overgeslagen", d.n, line, d.p.maxRecord)}); err != nil {
				return err
			}
		case len(bytes.TrimSpace(text)) == 0:
		case !json.Valid(text):
			d.n++
			if err := d.b.AddError(ctx, sdk.RecordError{Line: d.n, Code: sdk.CodeSyntax,
				Message: fmt.Sprintf("record %d (regel %d) is geen geldige JSON; in NDJSON staat op elke regel één volledig JSON-object", d.n, line)}); err != nil {
				return err
			}
		default:
			if err := d.record(ctx, text); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if d.n == 0 {
		return d.refuse(ctx, sdk.CodeEmptyDocument, "het document bevat geen records")
	}
	return nil
}

// readLine reads the next line into *buf and returns it without its line
// end. A line over max bytes is read to its end but not kept: tooLong.
func readLine(r *bufio.Reader, max int, buf *[]byte) (text []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > max+2 { // room for \r\n
				tooLong, *buf = true, (*buf)[:0]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(*buf, "\r\n"), tooLong, err
	}
}

// record maps one record, the (d.n+1)th.
func (d *decoder) record(ctx context.Context, raw []byte) error {
	d.n++
	if d.n%256 == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	n := d.n
	if !utf8.Valid(raw) {
		return d.b.AddError(ctx, sdk.RecordError{Line: n, Code: sdk.CodeEncoding,
			Message: fmt.Sprintf("record %d bevat bytes die geen geldige UTF-8 zijn; JSON hoort in UTF-8", n)})
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return d.b.AddError(ctx, sdk.RecordError{Line: n, Code: sdk.CodeSyntax, Message: fmt.Sprintf("record %d is geen geldige JSON", n)})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return d.b.AddError(ctx, sdk.RecordError{Line: n, Code: sdk.CodeFieldFormat,
			Message: fmt.Sprintf("record %d is geen JSON-object maar %s", n, kindOf(v))})
	}
	reg, key, errs := d.mapRecord(n, obj)
	if key != "" {
		if first, dup := d.seen.First(key); dup {
			e := d.m.Problem(mapping.RecordKey, sdk.CodeDuplicateKey, "kwam al eerder voor in dit document, in record %d; dit record is niet verwerkt", first)
			e.RecordKey = key
			errs = append(errs, e)
			reg = nil
		} else {
			d.seen.Add(key, n)
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
	return d.b.Add(ctx, sdk.Record{Line: n, RecordKey: key, JSON: d.js.Marshal(reg)})
}

// mapRecord hands the values of the configured fields (and life domains)
// of record n to the mapper and maps it.
func (d *decoder) mapRecord(n int, obj map[string]any) (*sdk.Registration, string, []sdk.RecordError) {
	m := d.m
	m.Begin(n)
	d.errs = d.errs[:0]
	for i, ptr := range d.p.fields {
		v, _ := ptr.Lookup(obj)
		s, kind := scalar(v)
		if kind != "" {
			m.Reject(i, sdk.CodeFieldFormat, "is %s; verwacht tekst, een getal of true/false", kind)
			continue
		}
		m.Set(i, s, 0)
	}
	if d.p.domains != nil {
		d.lifeDomains(obj)
	}
	reg, key, errs := m.Map()
	if len(d.errs) == 0 {
		return reg, key, errs
	}
	for i := range d.errs {
		d.errs[i].RecordKey = key
	}
	return nil, key, append(errs, d.errs...)
}

// lifeDomains hands the life domains in the record's list to the mapper.
func (d *decoder) lifeDomains(obj map[string]any) {
	dp := d.p.domains
	v, ok := dp.array.Lookup(obj)
	if !ok || v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		d.fail(dp.arrayAt, "leefgebieden (veld life_domains, %s) is %s; verwacht een lijst", dp.arrayAt, kindOf(v))
		return
	}
	for j, el := range list {
		at := dp.arrayAt + "/" + strconv.Itoa(j)
		if _, ok := el.(map[string]any); !ok {
			d.fail(at, "leefgebied (veld life_domains, %s) is %s; verwacht een object", at, kindOf(el))
			continue
		}
		in := mapping.DomainInput{NameAt: at + dp.nameAt, StatusAt: at + dp.statusAt}
		if dp.date != nil {
			in.DateAt = at + dp.dateAt
		}
		var bad bool
		for _, f := range []struct {
			ptr mapping.JSONPointer
			at  string
			dst *string
		}{{dp.name, in.NameAt, &in.Name}, {dp.status, in.StatusAt, &in.Status}, {dp.date, in.DateAt, &in.Date}} {
			if f.ptr == nil {
				continue
			}
			v, _ := f.ptr.Lookup(el)
			s, kind := scalar(v)
			if kind != "" {
				d.fail(f.at, "leefgebied (veld life_domains, %s) is %s; verwacht tekst", f.at, kind)
				bad = true
			}
			*f.dst = s
		}
		if bad {
			continue
		}
		if name, ok := dp.names[mapping.Fold(in.Name)]; ok {
			in.Name = name
		}
		d.m.AddDomain(in)
	}
}

// fail records a problem the decoder found in the current record, at the
// pointer field within it.
func (d *decoder) fail(field, format string, args ...any) {
	d.errs = append(d.errs, sdk.RecordError{Line: d.n, Field: field, Code: sdk.CodeFieldFormat, Message: fmt.Sprintf(format, args...)})
}

// scalar returns a JSON value as the text a field gets: a string as it is,
// a number as written, true or false; "" for null or no value. For an
// object or a list it returns what it is instead, in Dutch.
func scalar(v any) (s, kind string) {
	switch x := v.(type) {
	case nil:
		return "", ""
	case string:
		return x, ""
	case json.Number:
		return x.String(), ""
	case bool:
		return strconv.FormatBool(x), ""
	}
	return "", kindOf(v)
}

// kindOf names the kind of a JSON value, in Dutch, with its article.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "een object"
	case []any:
		return "een lijst"
	case string:
		return "tekst"
	case json.Number:
		return "een getal"
	case bool:
		return "true of false"
	}
	return "null"
}
