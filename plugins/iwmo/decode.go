package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errStop ends a document after a document-level error was reported.
var errStop = errors.New("stop document")

// readSize is the buffer of the document reader; it bounds one line of the
// fixed-width format.
const readSize = 64 << 10

// decoder decodes one document: it sniffs the format, hands the document to
// the XML or the fixed-width reader, which call back with the header and
// the clients, and maps every product line onto a registration.
type decoder struct {
	p     *plan
	b     *sdk.Batcher
	m     *mapper
	hdr   *header
	lines int            // product lines seen, good or bad
	js    sdk.JSONBlocks // where the records' JSON goes
	// seen maps the FNV-1a hash of every record key to the line it was
	// first seen on, to find duplicate keys (as plugins/csv does).
	seen map[uint64]uint32
}

func newDecoder(p *plan, doc sdk.Document, out sdk.ChunkWriter) *decoder {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &decoder{
		p:    p,
		b:    sdk.NewBatcher(out, sdk.DefaultChunkRecords),
		m:    newMapper(p, receivedAt),
		seen: map[uint64]uint32{},
	}
}

// run decodes the document; it returns an error only when it cannot go on.
func (d *decoder) run(ctx context.Context, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(src, readSize)
	f, refusal, err := sniff(r)
	if err != nil {
		return err
	}
	switch f {
	case formatXML:
		err = newXMLReader(d, r).run(ctx)
	case formatEI:
		err = newEIReader(d, r).run(ctx)
	default:
		err = d.b.AddError(ctx, *refusal)
	}
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return d.b.Flush(ctx)
}

// refuse reports a problem with the document as a whole (Line 0) and
// returns errStop, or the error of the batcher.
func (d *decoder) refuse(ctx context.Context, code, rc, msg string) error {
	if err := d.b.AddError(ctx, sdk.RecordError{Code: code, Message: withRC(msg, rc)}); err != nil {
		return err
	}
	return errStop
}

// onHeader checks the header of the message: an accepted message type,
// valid codes of gemeente and aanbieder, and the partner's own code on the
// partner's side. A header that fails ends the document with errStop.
func (d *decoder) onHeader(ctx context.Context, h *header) error {
	k := h.kind
	switch {
	case !d.p.accept[k]:
		return d.refuse(ctx, sdk.CodeHeaderMissing, rcMessageCode, fmt.Sprintf("berichttype %s wordt voor deze partner niet aangenomen (zie message_types in de configuratie)", k))
	case !digits4.MatchString(h.gemeente.s):
		return d.refuse(ctx, sdk.CodeHeaderMissing, rcGemeenteHead, fmt.Sprintf("de gemeentecode in de header (%s) ontbreekt of bestaat niet uit 4 cijfers", h.gemeente.loc))
	case !digits8.MatchString(h.aanbieder.s):
		return d.refuse(ctx, sdk.CodeHeaderMissing, rcAanbiederHead, fmt.Sprintf("de AGB-code van de aanbieder in de header (%s) ontbreekt of bestaat niet uit 8 cijfers", h.aanbieder.loc))
	case d.p.role == roleGemeente && !d.p.codes[h.gemeente.s]:
		return d.refuse(ctx, sdk.CodeHeaderMissing, rcGemeenteHead, fmt.Sprintf("het bericht is van of voor gemeente %s, die niet bij deze partner hoort (zie codes in de configuratie)", h.gemeente.s))
	case d.p.role == roleAanbieder && !d.p.codes[h.aanbieder.s]:
		return d.refuse(ctx, sdk.CodeHeaderMissing, rcAanbiederHead, fmt.Sprintf("het bericht is van of voor aanbieder %s, die niet bij deze partner hoort (zie codes in de configuratie)", h.aanbieder.s))
	}
	d.hdr = h
	d.m.setHeader(h)
	return nil
}

// onClient maps the product lines of one client and passes them on, with
// notes: record errors about the client's other records, in the order of
// their lines. A client without product lines is a record error on the
// client's line.
//
// A line that takes an earlier message back (StatusAanlevering 3, or a
// withdrawn toewijzing) and is followed, for the same client and record key,
// by a line that says what holds instead is a correction within one
// message, as iWmo senders write it: only the later line is passed on.
func (d *decoder) onClient(ctx context.Context, c *client, products []*product, notes []sdk.RecordError) error {
	if len(products) == 0 && c.broken == "" {
		d.lines++
		notes = append([]sdk.RecordError{{Line: c.line, Code: sdk.CodeRequired, Field: kinds[d.hdr.kind].product[0],
			Message: fmt.Sprintf("de cliënt op regel %d heeft geen productregel (%s); er is niets verwerkt", c.line, kinds[d.hdr.kind].product[0])}}, notes...)
	}
	lines := make([]mapped, len(products))
	for i, p := range products {
		d.lines++
		if d.lines%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		reg, key, errs, back := d.m.mapProduct(c, p)
		lines[i] = mapped{line: p.line, key: key, errs: slices.Clone(errs), takesBack: back}
		if reg != nil {
			lines[i].js = d.js.Marshal(reg)
		}
	}
	for i, l := range lines {
		if l.js != nil && l.takesBack && slices.ContainsFunc(lines[i+1:], func(later mapped) bool { return later.key == l.key }) {
			continue
		}
		for len(notes) > 0 && notes[0].Line < l.line {
			if err := d.b.AddError(ctx, notes[0]); err != nil {
				return err
			}
			notes = notes[1:]
		}
		if err := d.emit(ctx, l); err != nil {
			return err
		}
	}
	for _, e := range notes {
		if err := d.b.AddError(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// mapped is one mapped product line: its registration as JSON, or nil and
// the problems found.
type mapped struct {
	line      int
	key       string
	js        []byte
	errs      []sdk.RecordError
	takesBack bool
}

// emit passes a mapped line on, or reports it as a duplicate of an earlier
// line of the message.
func (d *decoder) emit(ctx context.Context, l mapped) error {
	if l.key != "" {
		h := keyHash(l.key)
		if first, ok := d.seen[h]; ok {
			l.errs = append(l.errs, sdk.RecordError{Line: l.line, Field: "source.record_key", RecordKey: l.key, Code: sdk.CodeDuplicateKey,
				Message: withRC(fmt.Sprintf("dezelfde toewijzing (recordsleutel) kwam al eerder voor in dit bericht, op regel %d; deze productregel is niet verwerkt", first), rcDuplicate)})
			l.js = nil
		} else {
			d.seen[h] = uint32(min(l.line, 1<<32-1))
		}
	}
	for _, e := range l.errs {
		if err := d.b.AddError(ctx, e); err != nil {
			return err
		}
	}
	if l.js == nil {
		return nil
	}
	return d.b.Add(ctx, sdk.Record{Line: l.line, RecordKey: l.key, JSON: l.js})
}

// keyHash is the 64-bit FNV-1a hash of a record key.
func keyHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
