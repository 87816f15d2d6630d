package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// span is a field of a fixed-width record: its first and last position,
// 1-based, inclusive, and its name for messages.
type span struct {
	start, end int
	name       string
}

// clientSpans are the fields of a cliëntrecord (recordtype 02).
type clientSpans struct {
	bsn, link, birth, dateUse, gender, surname, prefix, partner, partnerPrefix, initials span
}

// productSpans are the fields of a product line. A zero span is a field the
// message type does not have.
type productSpans struct {
	link, beschikking, category, code, aanbieder, gemeente, assignDate, assignTime,
	start, end, begin, reason, stopReason, status span
}

// eiLayout is the record layout of one message type in the fixed-width
// ("EI") format of iWmo release 2.0: every record has the same length and
// starts with its recordtype.
type eiLayout struct {
	length   int
	product  string   // recordtype of a product line
	others   []string // other detail recordtypes: read and checked, not mapped
	client   clientSpans
	prod     productSpans
	counters int // the 6-digit counters in the sluitrecord before the total
	products int // which counter counts the product lines (1-based), or 0
}

// The fields of the voorlooprecord (01), the same for every message type.
var (
	vlCode      = span{3, 5, "BerichtCode"}
	vlVersion   = span{6, 7, "Versie"}
	vlGemeente  = span{10, 13, "Gemeentecode"}
	vlAanbieder = span{14, 21, "CodeAanbieder"}
	vlDate      = span{34, 41, "Dagtekening"}
)

// Client fields of WMO305, WMO307 and WMO315; WMO301 has GeheimeClient at 24
// and Burgerlijke staat at 59, which shift its fields, and a partnernaam.
var (
	clientShort = clientSpans{
		bsn: span{15, 23, "Bsn"}, link: span{24, 47, "Clientnummer"}, birth: span{48, 55, "Geboortedatum"},
		dateUse: span{56, 56, "DatumGebruik"}, gender: span{57, 57, "Geslacht"}, surname: span{58, 82, "Naam"},
		prefix: span{83, 92, "Voorvoegsel"}, initials: span{94, 99, "Voorletters"},
	}
	client301 = clientSpans{
		bsn: span{15, 23, "Bsn"}, link: span{25, 48, "Clientnummer"}, birth: span{49, 56, "Geboortedatum"},
		dateUse: span{57, 57, "DatumGebruik"}, gender: span{58, 58, "Geslacht"}, surname: span{60, 84, "Naam"},
		prefix: span{85, 94, "Voorvoegsel"}, partner: span{96, 120, "Naam (02)"}, partnerPrefix: span{121, 130, "Voorvoegsel (02)"},
		initials: span{132, 137, "Voorletters"},
	}
	productHead = productSpans{
		link: span{15, 38, "Clientnummer"}, beschikking: span{39, 56, "Beschikkingnummer"},
		category: span{57, 58, "Productcategorie"}, code: span{59, 63, "Productcode"},
	}
)

// layouts are the record layouts per message type.
var layouts = [numKinds]eiLayout{
	wmo301: {length: 310, product: "15", others: []string{"03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14"},
		client: client301, counters: 9,
		prod: with(productHead, productSpans{aanbieder: span{64, 71, "Aanbieder"}, gemeente: span{72, 75, "Gemeentecode"},
			assignDate: span{76, 83, "Toewijzingsdatum"}, assignTime: span{84, 89, "Toewijzingstijd"}, start: span{90, 97, "Ingangsdatum"},
			end: span{98, 105, "Einddatum"}, reason: span{106, 106, "RedenIntrekking"}})},
	wmo305: {length: 180, product: "07", client: clientShort, counters: 2, products: 2,
		prod: with(productHead, productSpans{start: span{64, 71, "Ingangsdatum"}, begin: span{72, 79, "Begindatum"},
			aanbieder: span{80, 87, "Aanbieder"}, status: span{99, 99, "StatusAanlevering"}})},
	wmo307: {length: 140, product: "06", client: clientShort, counters: 2, products: 2,
		prod: with(productHead, productSpans{start: span{64, 71, "Ingangsdatum"}, begin: span{72, 79, "Begindatum"},
			aanbieder: span{80, 87, "Aanbieder"}, stopReason: span{88, 89, "RedenBeeindiging"}, end: span{90, 97, "Einddatum"},
			status: span{98, 98, "StatusAanlevering"}})},
	wmo315: {length: 180, product: "07", client: clientShort, counters: 2, products: 2,
		prod: with(productHead, productSpans{start: span{64, 71, "Ingangsdatum"}, begin: span{72, 79, "Begindatum"},
			aanbieder: span{80, 87, "Aanbieder"}, status: span{99, 99, "StatusAanlevering"}})},
}

// with returns the common head of a product line with the fields of one
// message type.
func with(head, rest productSpans) productSpans {
	rest.link, rest.beschikking, rest.category, rest.code = head.link, head.beschikking, head.category, head.code
	return rest
}

// eiRecord is one line of the fixed-width format, decoded into characters.
type eiRecord struct {
	line  int
	chars []rune
	kind  string // recordtype, the first two characters
	name  string // the record's name for messages
}

// get returns a field of the record, trimmed. A zero span gives "".
func (r *eiRecord) get(s span) val {
	v := val{loc: loc{line: r.line, name: s.name, rec: r.name, start: s.start, end: s.end}}
	if s.start == 0 || s.end > len(r.chars) {
		return v
	}
	v.s = strings.TrimSpace(string(r.chars[s.start-1 : s.end]))
	return v
}

// recordNames name the recordtypes in messages.
var recordNames = map[string]string{"01": "voorlooprecord", "02": "cliëntrecord", "99": "sluitrecord"}

// eiReader reads a message in the fixed-width format as a stream of
// records, one line each: the voorlooprecord 01, per client a cliëntrecord
// 02 followed by its detail records, and the sluitrecord 99.
type eiReader struct {
	d        *decoder
	r        *bufio.Reader
	lay      *eiLayout
	line     int
	cur      *client           // the client of the detail records that follow
	curLink  string            // its client link (Clientnummer)
	curLines int               // product records of cur, readable or not
	pending  []*product        // product lines of cur not yet handed to the decoder
	notes    []sdk.RecordError // record errors about cur's other records, held back with them
	clients  int               // cliëntrecords
	details  int               // records between voorloop- and sluitrecord
	products int               // product lines
	done     bool              // the sluitrecord has been read
	buf      []rune            // reused for the characters of a line
	win1252  *charmap.Charmap
}

func newEIReader(d *decoder, r *bufio.Reader) *eiReader {
	er := &eiReader{d: d, r: r}
	if d.p.windows1252 {
		er.win1252 = charmap.Windows1252
	}
	return er
}

// run reads the document; it returns errStop after a document-level error.
func (er *eiReader) run(ctx context.Context) error {
	for {
		raw, err := er.next(ctx)
		if errors.Is(err, io.EOF) {
			return er.eof(ctx)
		}
		if err != nil {
			return err
		}
		if er.line%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(bytes.Trim(raw, " \t\r\x1a")) == 0 {
			continue // a blank line, or the end-of-file mark of old DOS tools
		}
		if er.done {
			return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcTwoTrailers, fmt.Sprintf("na het sluitrecord staat op regel %d nog een record; een document bevat één bericht, de rest is niet verwerkt", er.line))
		}
		if err := er.record(ctx, raw); err != nil {
			return err
		}
	}
}

// next returns the next line without its line end. A line longer than the
// buffer is reported and skipped.
func (er *eiReader) next(ctx context.Context) ([]byte, error) {
	for {
		raw, err := er.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			er.line++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = er.r.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read line %d: %w", er.line, err)
			}
			if aerr := er.note(ctx, sdk.RecordError{Line: er.line, Code: sdk.CodeRowTooLong,
				Message: withRC(fmt.Sprintf("regel is langer dan %d bytes en is overgeslagen", readSize), rcLength)}); aerr != nil {
				return nil, aerr
			}
			er.details++
			continue
		}
		if errors.Is(err, io.EOF) && len(raw) == 0 {
			return nil, io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read line %d: %w", er.line+1, err)
		}
		er.line++
		raw = bytes.TrimSuffix(raw, []byte("\n"))
		return bytes.TrimSuffix(raw, []byte("\r")), nil
	}
}

// record handles one non-empty line.
func (er *eiReader) record(ctx context.Context, raw []byte) error {
	rec, problem := er.decodeLine(raw)
	if er.lay == nil {
		return er.voorloop(ctx, rec, problem)
	}
	code := sdk.CodeEncoding
	if problem == "" && len(rec.chars) != er.lay.length {
		code, problem = sdk.CodeRowRagged, fmt.Sprintf("heeft %d tekens; een record van %s heeft er %d", len(rec.chars), er.d.hdr.kind, er.lay.length)
	}
	switch rec.kind {
	case "01":
		return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcTwoHeaders, fmt.Sprintf("op regel %d staat een tweede voorlooprecord; een document bevat één bericht, de rest is niet verwerkt", er.line))
	case "99":
		if problem != "" {
			return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcNoTrailer, "het sluitrecord op regel "+strconv.Itoa(er.line)+" "+problem)
		}
		return er.sluit(ctx, rec)
	}
	er.details++
	if problem != "" {
		return er.broken(ctx, rec, code, problem)
	}
	switch {
	case rec.kind == "02":
		return er.client(ctx, rec)
	case rec.kind == er.lay.product:
		return er.product(ctx, rec)
	case slices.Contains(er.lay.others, rec.kind):
		if err := er.link(ctx, rec, rec.get(productHead.link)); err != nil && !errors.Is(err, errSkip) {
			return err
		}
		return nil
	}
	return er.note(ctx, sdk.RecordError{Line: er.line, Column: 1, Field: "KenmerkRecord", Code: sdk.CodeValueUnknown,
		Message: withRC(fmt.Sprintf("recordtype (positie 1-2 op regel %d) is geen recordtype van %s", er.line, er.d.hdr.kind), rcRecordType)})
}

// decodeLine turns a line into characters. It returns a problem with the
// line's encoding, or "".
func (er *eiReader) decodeLine(raw []byte) (*eiRecord, string) {
	er.buf = er.buf[:0]
	problem := ""
	if er.win1252 != nil {
		for _, b := range raw {
			er.buf = append(er.buf, er.win1252.DecodeByte(b))
		}
	} else if utf8.Valid(raw) {
		er.buf = append(er.buf, []rune(string(raw))...)
	} else {
		problem = "bevat bytes die geen geldige UTF-8 zijn; is het bestand in Windows-1252 opgeslagen (zie ei_encoding)?"
	}
	rec := &eiRecord{line: er.line, chars: er.buf}
	if len(er.buf) >= 2 {
		rec.kind = string(er.buf[:2])
	}
	rec.name = recordNames[rec.kind]
	if er.lay != nil && rec.kind == er.lay.product {
		rec.name = "productrecord"
	}
	if rec.name == "" {
		rec.name = "record (type " + rec.kind + ")"
		if !allDigits(rec.kind) {
			rec.name = "record"
		}
	}
	if er.win1252 != nil && er.lay != nil && len(raw) != er.lay.length && utf8.Valid(raw) && utf8.RuneCount(raw) == er.lay.length {
		problem = "lijkt in UTF-8 te zijn opgeslagen terwijl windows-1252 is ingesteld (zie ei_encoding)"
	}
	return rec, problem
}

// voorloop reads the voorlooprecord, which tells the message type and so
// the layout of the rest.
func (er *eiReader) voorloop(ctx context.Context, rec *eiRecord, problem string) error {
	if rec.kind != "01" {
		return er.d.refuse(ctx, sdk.CodeHeaderMissing, rcNoHeader, fmt.Sprintf("het eerste record (regel %d) is geen voorlooprecord (recordtype 01)", er.line))
	}
	k, ok := kindByCode(rec.get(vlCode).s)
	if !ok {
		return er.d.refuse(ctx, sdk.CodeHeaderMissing, rcMessageCode, "de BerichtCode in het voorlooprecord (positie 3-5) is niet die van WMO301 (414), WMO305 (418), WMO307 (420) of WMO315 (444)")
	}
	lay := &layouts[k]
	switch {
	case problem != "":
		return er.d.refuse(ctx, sdk.CodeEncoding, rcNoHeader, "het voorlooprecord "+problem)
	case len(rec.chars) != lay.length:
		return er.d.refuse(ctx, sdk.CodeHeaderMissing, rcLength, fmt.Sprintf("het voorlooprecord heeft %d tekens; een record van %s heeft er %d", len(rec.chars), k, lay.length))
	case rec.get(vlVersion).s != "02":
		return er.d.refuse(ctx, sdk.CodeHeaderMissing, rcVersion, "het versienummer in het voorlooprecord (positie 6-7) is geen 02; het vaste-lengteformaat wordt gelezen volgens iWmo-release 2.0")
	}
	er.lay = lay
	return er.d.onHeader(ctx, &header{kind: k, gemeente: rec.get(vlGemeente), aanbieder: rec.get(vlAanbieder), date: rec.get(vlDate)})
}

// client reads a cliëntrecord.
func (er *eiReader) client(ctx context.Context, rec *eiRecord) error {
	if err := er.closeClient(ctx); err != nil {
		return err
	}
	s := er.lay.client
	er.clients++
	er.cur = &client{line: er.line, bsn: rec.get(s.bsn), birthDate: rec.get(s.birth), dateUse: rec.get(s.dateUse),
		gender: rec.get(s.gender), surname: rec.get(s.surname), prefix: rec.get(s.prefix), partner: rec.get(s.partner),
		partnerPrefix: rec.get(s.partnerPrefix), initials: rec.get(s.initials)}
	er.curLink = rec.get(s.link).s
	return nil
}

// closeClient hands the product lines of the current client to the
// decoder, or reports the client when it had none.
func (er *eiReader) closeClient(ctx context.Context) error {
	c, pending, notes, lines := er.cur, er.pending, er.notes, er.curLines
	er.cur, er.curLink, er.pending, er.notes, er.curLines = nil, "", nil, nil, 0
	switch {
	case c == nil:
		return nil
	case len(pending) > 0 || lines == 0 || len(notes) > 0:
		return er.d.onClient(ctx, c, pending, notes)
	}
	return nil
}

// note reports a record error: held back with the current client's
// product lines, so that errors come in the order of their lines, or at
// once when there is no current client.
func (er *eiReader) note(ctx context.Context, e sdk.RecordError) error {
	if er.cur == nil {
		return er.d.b.AddError(ctx, e)
	}
	er.notes = append(er.notes, e)
	return nil
}

// maxPending bounds the product lines of one client that are held back
// until the next cliëntrecord; beyond it they are handed on in groups, and
// a correction split over two groups is reported as a duplicate.
const maxPending = 1000

// link checks that a detail record belongs to the current client: it must
// follow a cliëntrecord and carry its client link. It reports a record
// error and returns errSkip when it does not.
func (er *eiReader) link(ctx context.Context, rec *eiRecord, link val) error {
	switch {
	case er.cur == nil:
		return er.skip(ctx, sdk.RecordError{Line: er.line, Code: sdk.CodeRequired, Field: "client",
			Message: withRC(fmt.Sprintf("het %s op regel %d staat niet na een cliëntrecord", rec.name, er.line), rcOrder)})
	case er.cur.broken == "" && link.s != er.curLink:
		return er.skip(ctx, sdk.RecordError{Line: er.line, Column: link.start, Field: link.name, Code: sdk.CodeFieldFormat,
			Message: withRC(fmt.Sprintf("het %s op regel %d hoort volgens %s niet bij het cliëntrecord op regel %d", rec.name, er.line, link.name, er.cur.line), rcPlace)})
	}
	return nil
}

// errSkip tells that a record was reported and is not processed further.
var errSkip = errors.New("skip record")

func (er *eiReader) skip(ctx context.Context, e sdk.RecordError) error {
	if err := er.note(ctx, e); err != nil {
		return err
	}
	return errSkip
}

// product reads a product line and hands it to the decoder.
func (er *eiReader) product(ctx context.Context, rec *eiRecord) error {
	s := er.lay.prod
	er.products++
	if err := er.link(ctx, rec, rec.get(s.link)); err != nil {
		if errors.Is(err, errSkip) {
			return nil
		}
		return err
	}
	er.curLines++
	p := &product{line: er.line, beschikking: rec.get(s.beschikking), category: rec.get(s.category), code: rec.get(s.code),
		aanbieder: rec.get(s.aanbieder), gemeente: rec.get(s.gemeente), assignDate: rec.get(s.assignDate),
		assignTime: rec.get(s.assignTime), start: rec.get(s.start), end: rec.get(s.end), begin: rec.get(s.begin),
		reason: rec.get(s.reason), stopReason: rec.get(s.stopReason), status: rec.get(s.status)}
	p.toewijzing.loc = loc{name: "ToewijzingNummer"}
	p.reference.loc = loc{name: "ReferentieAanbieder"}
	if p.code.s == "00000" {
		p.code.s = ""
	}
	if p.reason.s == "0" {
		p.reason.s = ""
	}
	er.pending = append(er.pending, p)
	if len(er.pending) >= maxPending {
		pending, notes := er.pending, er.notes
		er.pending, er.notes = nil, nil
		return er.d.onClient(ctx, er.cur, pending, notes)
	}
	return nil
}

// broken reports a record that cannot be read (wrong length or encoding).
// A broken cliëntrecord makes its product lines unassessable.
func (er *eiReader) broken(ctx context.Context, rec *eiRecord, code, problem string) error {
	if rec.kind == "02" {
		if err := er.closeClient(ctx); err != nil {
			return err
		}
		er.clients++
		er.cur = &client{line: er.line, broken: fmt.Sprintf("op regel %d is onleesbaar", er.line)}
	}
	if rec.kind == er.lay.product {
		er.products++
		if er.cur != nil {
			er.curLines++
		}
	}
	return er.note(ctx, sdk.RecordError{Line: er.line, Code: code,
		Message: withRC(fmt.Sprintf("het %s op regel %d %s; het record is niet verwerkt", rec.name, er.line, problem), rcLength)})
}

// sluit reads the sluitrecord and checks its counters against what was
// read.
func (er *eiReader) sluit(ctx context.Context, rec *eiRecord) error {
	if err := er.closeClient(ctx); err != nil {
		return err
	}
	er.done = true
	counter := func(i int) (int, bool) {
		n, err := strconv.Atoi(string(rec.chars[3+6*(i-1)-1 : 3+6*i-1]))
		return n, err == nil
	}
	totalAt := 3 + 6*er.lay.counters
	total, err := strconv.Atoi(string(rec.chars[totalAt-1 : totalAt+6]))
	clients, ok := counter(1)
	switch {
	case !ok || clients != er.clients:
		return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcClientCount, fmt.Sprintf("het aantal cliëntrecords in het sluitrecord (regel %d) klopt niet met het bericht: er zijn er %d gelezen; is het bestand onvolledig?", er.line, er.clients))
	case err != nil || total != er.details:
		return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcDetailCount, fmt.Sprintf("het totaal aantal detailrecords in het sluitrecord (regel %d) klopt niet met het bericht: er zijn er %d gelezen; is het bestand onvolledig?", er.line, er.details))
	}
	if i := er.lay.products; i > 0 {
		if n, ok := counter(i); !ok || n != er.products {
			return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcDetailCount, fmt.Sprintf("het aantal productrecords in het sluitrecord (regel %d) klopt niet met het bericht: er zijn er %d gelezen", er.line, er.products))
		}
	}
	if er.clients == 0 {
		return er.d.refuse(ctx, sdk.CodeEmptyDocument, "", "het bericht bevat geen cliëntrecords")
	}
	return nil
}

// eof ends the document: it must have had a voorloop- and a sluitrecord.
func (er *eiReader) eof(ctx context.Context) error {
	switch {
	case er.lay == nil:
		return er.d.refuse(ctx, sdk.CodeEmptyDocument, "", "het document bevat geen records")
	case !er.done:
		if err := er.closeClient(ctx); err != nil {
			return err
		}
		return er.d.refuse(ctx, sdk.CodeDocumentRejected, rcNoTrailer, fmt.Sprintf("het sluitrecord ontbreekt: het document houdt na regel %d op (afgebroken?); wat daarvóór stond is verwerkt", er.line))
	}
	return nil
}
