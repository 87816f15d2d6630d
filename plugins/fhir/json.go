package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errTooLarge ends a document with a resource over max_resource_bytes.
var errTooLarge = errors.New("resource too large")

// resourceFromJSON reads the resource raw into it: its type and id, and a
// Patient or Consent. A resource that does not fit its type gets it.bad.
func resourceFromJSON(raw []byte, it *item) {
	var head resourceHead
	if err := json.Unmarshal(raw, &head); err != nil {
		it.bad = jsonProblem(err, "resource")
		return
	}
	it.resType, it.id = head.ResourceType, head.ID
	var err error
	switch head.ResourceType {
	case "Patient":
		it.patient = &patient{}
		err = json.Unmarshal(raw, it.patient)
	case "Consent":
		it.consent = &consent{}
		err = json.Unmarshal(raw, it.consent)
	}
	if err != nil {
		it.bad = jsonProblem(err, head.ResourceType)
	}
}

// jsonProblem describes an error of encoding/json without the value.
func jsonProblem(err error, typ string) *problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := typ
		if te.Field != "" {
			field += "." + te.Field
		}
		if te.Field == "" {
			return &problem{field: field, code: sdk.CodeFieldFormat, msg: "de resource is geen JSON-object"}
		}
		return &problem{field: field, code: sdk.CodeFieldFormat, msg: fmt.Sprintf("het veld %s heeft het verkeerde soort waarde (verwacht %s)", field, kindName(te.Type))}
	}
	return &problem{field: typ, code: sdk.CodeFieldFormat, msg: "de resource is geen geldige JSON"}
}

// kindName names the JSON type that a Go type takes, in Dutch.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "een lijst"
	case reflect.Struct, reflect.Map:
		return "een object"
	case reflect.Bool:
		return "true of false"
	case reflect.String:
		return "tekst"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "een getal"
}

// entryItem makes the item of a Bundle entry that starts on line.
func entryItem(e *entry, line int) *item {
	it := &item{line: line, fullURL: e.FullURL, inBundle: true}
	if e.Request != nil {
		it.method, it.url = e.Request.Method, e.Request.URL
	}
	if r := bytes.TrimSpace(e.Resource); len(r) > 0 && !bytes.Equal(r, []byte("null")) {
		resourceFromJSON(r, it)
	}
	return it
}

// ndjsonReader reads NDJSON: one resource per line, as a FHIR bulk export
// writes it. A line holding a Bundle gives its entries, all on that line.
type ndjsonReader struct {
	d    *decoder
	r    *bufio.Reader
	line int
	buf  []byte
}

func newNDJSONReader(d *decoder, r *bufio.Reader) *ndjsonReader {
	return &ndjsonReader{d: d, r: r}
}

// run reads the document line by line.
func (nr *ndjsonReader) run(ctx context.Context) error {
	for {
		line, err := nr.next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			if err := nr.d.b.AddError(ctx, sdk.RecordError{Line: nr.line, Code: sdk.CodeFieldFormat,
				Message: "de regel is geen geldige JSON; in NDJSON staat op elke regel één volledige resource"}); err != nil {
				return err
			}
			continue
		}
		it := &item{line: nr.line}
		resourceFromJSON(line, it)
		if it.resType == "Bundle" && it.bad == nil {
			if err := nr.bundle(ctx, line); err != nil {
				return err
			}
			continue
		}
		if err := nr.d.onItem(ctx, it); err != nil {
			return err
		}
	}
}

// bundle handles a Bundle on one line.
func (nr *ndjsonReader) bundle(ctx context.Context, raw []byte) error {
	var b struct {
		Type  string  `json:"type"`
		Entry []entry `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		p := jsonProblem(err, "Bundle")
		return nr.d.b.AddError(ctx, sdk.RecordError{Line: nr.line, Field: p.field, Code: p.code, Message: p.msg})
	}
	nr.d.history = b.Type == "history"
	for i := range b.Entry {
		if err := nr.d.onItem(ctx, entryItem(&b.Entry[i], nr.line)); err != nil {
			return err
		}
	}
	return nil
}

// next returns the next line. A line over max_resource_bytes is reported
// and skipped.
func (nr *ndjsonReader) next(ctx context.Context) ([]byte, error) {
	for {
		nr.buf = nr.buf[:0]
		tooLong := false
		for {
			chunk, err := nr.r.ReadSlice('\n')
			if !tooLong {
				if len(nr.buf)+len(chunk) > nr.d.p.maxResource {
					tooLong, nr.buf = true, nr.buf[:0]
				} else {
					nr.buf = append(nr.buf, chunk...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				if len(chunk) == 0 && len(nr.buf) == 0 && !tooLong {
					return nil, io.EOF
				}
			} else if err != nil {
				return nil, fmt.Errorf("read line %d: %w", nr.line+1, err)
			}
			break
		}
		nr.line++
		if !tooLong {
			return nr.buf, nil
		}
		if err := nr.d.b.AddError(ctx, sdk.RecordError{Line: nr.line, Code: sdk.CodeRowTooLong,
			Message: fmt.Sprintf("de regel is langer dan %d bytes (max_resource_bytes) en is overgeslagen", nr.d.p.maxResource)}); err != nil {
			return nil, err
		}
	}
}

// jsonReader reads one JSON document as a stream: a Bundle entry by entry,
// or a single resource.
type jsonReader struct {
	d   *decoder
	lc  *lineCounter
	dec *json.Decoder
}

func newJSONReader(d *decoder, r io.Reader) *jsonReader {
	lc := &lineCounter{r: r, max: int64(d.p.maxResource)}
	dec := json.NewDecoder(lc)
	lc.dec = dec
	return &jsonReader{d: d, lc: lc, dec: dec}
}

// run reads the top-level object. Its members are kept, except the entries
// of a Bundle, which are handled as they come; a resource that is no Bundle
// is put together again at the end and handled then.
func (jr *jsonReader) run(ctx context.Context) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.syntax(ctx, err)
	}
	if tok != json.Delim('{') {
		return jr.d.refuse(ctx, sdk.CodeHeaderMissing, "het document is geen JSON-object en dus geen FHIR-resource of Bundle")
	}
	start := jr.lc.lineAt(jr.dec.InputOffset() - 1)
	var members []string
	kept := map[string]json.RawMessage{}
	size := 0 // of the kept members
	bundle := false
	for jr.dec.More() {
		tok, err := jr.dec.Token()
		if err != nil {
			return jr.syntax(ctx, err)
		}
		key, _ := tok.(string)
		if key == "entry" && !bundle && (kept["resourceType"] == nil || string(kept["resourceType"]) == `"Bundle"`) {
			bundle = true
			if err := jr.entries(ctx); err != nil {
				return err
			}
			continue
		}
		var raw json.RawMessage
		if err := jr.dec.Decode(&raw); err != nil {
			return jr.syntax(ctx, err)
		}
		if _, dup := kept[key]; !dup {
			members = append(members, key)
		}
		kept[key] = raw
		if size += len(raw); size > jr.d.p.maxResource {
			return jr.syntax(ctx, errTooLarge)
		}
		if key == "type" && string(raw) == `"history"` {
			jr.d.history = true
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.syntax(ctx, err)
	}
	if _, err := jr.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil && !isSyntax(err) {
			return jr.syntax(ctx, err)
		}
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("na het JSON-object staat op regel %d nog meer; een JSON-document bevat één resource of Bundle (gebruik NDJSON voor meer resources), de rest is niet verwerkt", jr.lc.lineAt(jr.dec.InputOffset())))
	}
	if bundle || string(kept["resourceType"]) == `"Bundle"` {
		if !bundle {
			return jr.d.refuse(ctx, sdk.CodeEmptyDocument, "de Bundle heeft geen entries")
		}
		return nil
	}
	var obj bytes.Buffer
	obj.WriteByte('{')
	for i, k := range members {
		if i > 0 {
			obj.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		obj.Write(name)
		obj.WriteByte(':')
		obj.Write(kept[k])
	}
	obj.WriteByte('}')
	it := &item{line: start}
	resourceFromJSON(obj.Bytes(), it)
	return jr.d.onItem(ctx, it)
}

// entries reads the entry array of a Bundle, one entry at a time.
func (jr *jsonReader) entries(ctx context.Context) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.syntax(ctx, err)
	}
	if tok == nil {
		return nil // "entry": null
	}
	if tok != json.Delim('[') {
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("Bundle.entry op regel %d is geen lijst; de Bundle is niet verwerkt", jr.lc.lineAt(jr.dec.InputOffset())))
	}
	for jr.dec.More() {
		line := jr.valueLine()
		var e entry
		err := jr.dec.Decode(&e)
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			p := jsonProblem(err, "Bundle.entry")
			if err := jr.d.b.AddError(ctx, sdk.RecordError{Line: line, Field: p.field, Code: p.code, Message: p.msg}); err != nil {
				return err
			}
			continue
		case err != nil:
			return jr.syntax(ctx, err)
		}
		if err := jr.d.onItem(ctx, entryItem(&e, line)); err != nil {
			return err
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.syntax(ctx, err)
	}
	return nil
}

// valueLine returns the line the next value of an array starts on: past the
// offset of the decoder, blanks and the comma.
func (jr *jsonReader) valueLine() int {
	line := jr.lc.lineAt(jr.dec.InputOffset())
	var b [1]byte
	rest := jr.dec.Buffered()
	for {
		if n, _ := rest.Read(b[:]); n == 0 {
			return line
		}
		switch b[0] {
		case '\n':
			line++
		case ' ', '\t', '\r', ',':
		default:
			return line
		}
	}
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

// syntax reports a document that cannot be read on and returns errStop, or
// returns err itself when it is about reading, not about the document.
func (jr *jsonReader) syntax(ctx context.Context, err error) error {
	if rerr := jr.lc.err; rerr != nil && errors.Is(err, rerr) {
		return fmt.Errorf("read json: %w", err)
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("de resource of entry rond regel %d is groter dan %d bytes (max_resource_bytes); het document is vanaf daar niet verwerkt", jr.lc.lineAt(jr.dec.InputOffset()), jr.d.p.maxResource))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het document houdt na regel %d midden in de JSON op (afgebroken?); wat daarvóór stond is verwerkt", jr.lc.lines()))
	case errors.As(err, &se):
		return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("de JSON is vanaf regel %d niet goed gevormd; wat daarvóór stond is verwerkt, de rest niet", jr.lc.lineAt(se.Offset-1)))
	}
	return jr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("de JSON is rond regel %d niet te lezen; wat daarvóór stond is verwerkt, de rest niet", jr.lc.lineAt(jr.dec.InputOffset())))
}

// lineCounter passes reads to a json.Decoder and keeps the offsets of the
// line ends it has passed on but not yet been asked about, so that lineAt
// can turn the decoder's byte offsets into lines. It refuses to read on when
// one value would take more than max bytes, and remembers the error of the
// reader, to tell it from errors in the JSON.
type lineCounter struct {
	r     io.Reader
	dec   *json.Decoder
	max   int64
	total int64   // bytes read
	nl    []int64 // offsets of the line ends not yet passed by lineAt
	base  int     // line ends before nl[0]
	err   error
}

func (lc *lineCounter) Read(p []byte) (int, error) {
	if lc.dec != nil {
		// Never read more than max+1 bytes past the start of the value the
		// decoder is at: a longer value fails at the same byte however the
		// input is cut into reads, which keeps Decode deterministic.
		room := lc.dec.InputOffset() + lc.max + 1 - lc.total
		if room <= 0 {
			return 0, errTooLarge
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := lc.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			lc.nl = append(lc.nl, lc.total+int64(i))
		}
	}
	lc.total += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		lc.err = err
	}
	return n, err
}

// lineAt returns the 1-based line of byte offset off. Offsets must not
// decrease from call to call.
func (lc *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(lc.nl) && lc.nl[i] < off {
		i++
	}
	lc.base += i
	lc.nl = lc.nl[:copy(lc.nl, lc.nl[i:])]
	return lc.base + 1
}

// lines returns the number of lines read so far.
func (lc *lineCounter) lines() int { return lc.base + len(lc.nl) + 1 }
