package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errStop ends a document after a document-level error was reported.
var errStop = errors.New("stop document")

// item is one resource of a document, however it came: alone, as an entry
// of a Bundle or as a line of NDJSON. The readers fill it; the decoder maps
// it.
type item struct {
	line     int    // where the resource or entry starts
	fullURL  string // Bundle.entry.fullUrl
	method   string // Bundle.entry.request.method
	url      string // Bundle.entry.request.url
	resType  string // "" when there is no resource
	id       string
	patient  *patient
	consent  *consent
	bad      *problem // the resource could not be read into its type
	inBundle bool
}

// decoder decodes one document: it sniffs the format, hands the document to
// the JSON, NDJSON or XML reader, which call onItem for every resource, and
// maps the Patients onto registrations.
type decoder struct {
	p       *plan
	name    string // the document's file name, a hint of its format
	b       *sdk.Batcher
	m       *mapper
	items   int
	history bool           // the Bundle is a history: older versions of a resource follow the newest
	js      sdk.JSONBlocks // where the records' JSON goes
	// seen maps the FNV-1a hash of every record key to the line it was
	// first seen on, to find duplicate keys (as plugins/csv does).
	seen map[uint64]uint32
	// patients maps the urn:uuid fullUrl of a Patient of a transaction to
	// its record key, for the Consents that refer to it.
	patients map[string]string
	// pending are consent statements whose Patient had not come yet; they
	// go out at the end of the document, after every Patient of it, named
	// by their Patient's key as it is known then.
	pending []pendingConsent
}

// pendingConsent is a statement held for a later Patient.
type pendingConsent struct {
	st   sdk.ConsentStatement
	ref  string // the Consent's patient reference
	line int
}

func newDecoder(p *plan, doc sdk.Document, out sdk.ChunkWriter) *decoder {
	receivedAt := ""
	if _, err := time.Parse(time.RFC3339, doc.ReceivedAt); err == nil {
		receivedAt = doc.ReceivedAt
	}
	return &decoder{
		p:    p,
		name: doc.OriginalName,
		b:    sdk.NewBatcher(out, sdk.DefaultChunkRecords),
		m:    &mapper{p: p, receivedAt: receivedAt},
		seen: map[uint64]uint32{},
	}
}

// flushPending hands the statements held for later Patients to the batcher.
func (d *decoder) flushPending(ctx context.Context) error {
	for _, pc := range d.pending {
		pc.st.Client.RecordKey = d.patientKeyOf(pc.ref)
		if err := d.b.AddConsent(ctx, pc.st.Consent(pc.line)); err != nil {
			return err
		}
	}
	d.pending = nil
	return nil
}

// run decodes the document; it returns an error only when it cannot go on.
func (d *decoder) run(ctx context.Context, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(src, sniffSize)
	f, refusal, err := sniff(r, d.p.format, d.name)
	if err != nil {
		return err
	}
	switch f {
	case formatXML:
		err = newXMLReader(d, r).run(ctx)
	case formatJSON:
		err = newJSONReader(d, r).run(ctx)
	case formatNDJSON:
		err = newNDJSONReader(d, r).run(ctx)
	default:
		err = d.b.AddError(ctx, *refusal)
	}
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if err := d.flushPending(ctx); err != nil {
		return err
	}
	return d.b.Flush(ctx)
}

// refuse reports a problem with the document as a whole (Line 0) and
// returns errStop, or the error of the batcher.
func (d *decoder) refuse(ctx context.Context, code, msg string) error {
	if err := d.b.AddError(ctx, sdk.RecordError{Code: code, Message: msg}); err != nil {
		return err
	}
	return errStop
}

// fail reports a problem with one resource or entry.
func (d *decoder) fail(ctx context.Context, it *item, key, field, code, format string, args ...any) error {
	return d.b.AddError(ctx, sdk.RecordError{Line: it.line, Field: field, RecordKey: key, Code: code, Message: fmt.Sprintf(format, args...)})
}

// onItem handles one resource: a Patient becomes a registration, a Consent is
// validated, other resource types are passed over.
func (d *decoder) onItem(ctx context.Context, it *item) error {
	d.items++
	if d.items%256 == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	method := strings.ToUpper(it.method)
	switch method {
	case "", "POST", "PUT", "DELETE", "PATCH":
	case "GET", "HEAD":
		return nil // a read in a batch changes nothing
	default:
		return d.fail(ctx, it, "", "Bundle.entry.request.method", sdk.CodeValueUnknown, "request.method is geen POST, PUT, PATCH, DELETE, GET of HEAD")
	}
	if it.bad != nil {
		return d.fail(ctx, it, it.refKey(), it.bad.field, it.bad.code, "%s", it.bad.msg)
	}
	if it.resType == "" {
		return d.noResource(ctx, it, method)
	}
	switch it.resType {
	case "Patient":
		if method == "PATCH" {
			return d.fail(ctx, it, it.refKey(), "Bundle.entry.request.method", sdk.CodeValueUnknown, "een PATCH van een Patient wordt niet ondersteund: de hub heeft de hele Patient nodig (gebruik PUT)")
		}
		return d.onPatient(ctx, it, method)
	case "Consent":
		return d.onConsent(ctx, it)
	}
	return nil
}

// noResource handles an entry without resource: a DELETE, or an error.
func (d *decoder) noResource(ctx context.Context, it *item, method string) error {
	if method != "DELETE" {
		if it.inBundle {
			return d.fail(ctx, it, "", "Bundle.entry.resource", sdk.CodeRequired, "de entry heeft geen resource")
		}
		return d.fail(ctx, it, "", "resourceType", sdk.CodeRequired, "het JSON-object heeft geen resourceType; het is geen FHIR-resource")
	}
	typ, id, ok := parseRef(it.url)
	if !ok || typ != "Patient" {
		if strings.Contains(it.url, "?") {
			return d.fail(ctx, it, "", "Bundle.entry.request.url", sdk.CodeFieldFormat, "een voorwaardelijke DELETE (request.url met zoekparameters) wordt niet ondersteund; verwijs naar Patient/<id>")
		}
		return nil // the deletion of another resource type
	}
	// The shared schema asks every registration, deletions included, for a
	// BSN or a surname; a bare DELETE has neither.
	return d.fail(ctx, it, "Patient/"+id, "Bundle.entry.resource", sdk.CodeRequired,
		"een DELETE zonder resource kan nog niet worden doorgegeven: het gedeelde schema vraagt bij elke registratie een BSN of achternaam; stuur de Patient mee, of een PUT met active=false")
}

// onPatient maps a Patient onto a registration.
func (d *decoder) onPatient(ctx context.Context, it *item, method string) error {
	key, field, msg := it.patientKey()
	if msg != "" {
		return d.fail(ctx, it, "", field, sdk.CodeFieldFormat, "%s", msg)
	}
	op := sdk.OpNew
	switch method {
	case "PUT":
		op = sdk.OpChange
	case "DELETE":
		op = sdk.OpDelete
	}
	if a := it.patient.Active; a != nil && !*a && d.p.inactive {
		op = sdk.OpDelete
	}
	h := keyHash(key)
	if first, ok := d.seen[h]; ok {
		if d.history {
			return nil // an older version of a resource in a history Bundle
		}
		return d.fail(ctx, it, key, "Patient.id", sdk.CodeDuplicateKey,
			"dezelfde Patient kwam al eerder voor in dit document, op regel %d; deze is niet verwerkt", first)
	}
	d.seen[h] = uint32(min(it.line, 1<<32-1))
	if strings.HasPrefix(it.fullURL, "urn:uuid:") && it.fullURL != key && d.p.consent != nil {
		if d.patients == nil {
			d.patients = map[string]string{}
		}
		d.patients[it.fullURL] = key
	}
	reg, errs := d.m.mapPatient(it.line, it.patient, key, op)
	for _, e := range errs {
		if err := d.b.AddError(ctx, e); err != nil {
			return err
		}
	}
	if reg == nil {
		return nil
	}
	return d.b.Add(ctx, sdk.Record{Line: it.line, RecordKey: key, JSON: d.js.Marshal(reg)})
}

// onConsent validates a Consent; an invalid one gives its problems. With
// the consent configuration a valid one gives its consent statements, after
// the Patient they concern: at once when it came before in the document,
// else at the end of the document.
func (d *decoder) onConsent(ctx context.Context, it *item) error {
	key := it.refKey()
	ps := it.consent.validate()
	if len(ps) == 0 && d.p.consent != nil {
		ckey := key
		if ckey == "" && len(it.fullURL) <= 200 {
			ckey = it.fullURL
		}
		pk := d.patientKeyOf(it.consent.Patient.Reference)
		var stmts []sdk.ConsentStatement
		stmts, ps = it.consent.statements(d.p.consent, d.p.partner, ckey, pk)
		for _, st := range stmts {
			if _, ok := d.seen[keyHash(pk)]; !ok {
				d.pending = append(d.pending, pendingConsent{st: st, ref: it.consent.Patient.Reference, line: it.line})
				continue
			}
			if err := d.b.AddConsent(ctx, st.Consent(it.line)); err != nil {
				return err
			}
		}
	}
	for _, p := range ps {
		if err := d.fail(ctx, it, key, p.field, p.code, "Consent: %s", p.msg); err != nil {
			return err
		}
	}
	return nil
}

// patientKeyOf returns the record key of the Patient a Consent refers to:
// the key of a Patient of this transaction with that urn:uuid, else
// Patient/<id> of a relative or absolute reference, else the urn:uuid
// itself (the key of a Patient without id).
func (d *decoder) patientKeyOf(ref string) string {
	if k, ok := d.patients[ref]; ok {
		return k
	}
	if typ, id, ok := parseRef(ref); ok && typ == "Patient" {
		return "Patient/" + id
	}
	return ref
}

// fhirID is the form of a FHIR resource id.
var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// parseRef splits a relative or absolute reference ("Patient/123",
// "https://server/fhir/Patient/123/_history/2") into type and id.
func parseRef(ref string) (typ, id string, ok bool) {
	if strings.ContainsAny(ref, "?#") {
		return "", "", false
	}
	ref, _, _ = strings.Cut(ref, "/_history/")
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if len(parts) < 2 {
		return "", "", false
	}
	typ, id = parts[len(parts)-2], parts[len(parts)-1]
	return typ, id, typ != "" && fhirID.MatchString(id)
}

// patientKey returns the record key of a Patient: Patient/<id> from the
// resource id, the request URL or the fullUrl, in that order, or the fullUrl
// itself (urn:uuid:… in a transaction). It returns the field and a message
// when there is none or they disagree.
func (it *item) patientKey() (key, field, msg string) {
	if it.id != "" && !fhirID.MatchString(it.id) {
		return "", "Patient.id", "de id van de Patient is geen FHIR-id (1 tot 64 letters, cijfers, '-' en '.')"
	}
	if it.url != "" && strings.ContainsAny(it.url, "?") {
		return "", "Bundle.entry.request.url", "een voorwaardelijke request.url (met zoekparameters) wordt niet ondersteund; verwijs naar Patient/<id> of geef de Patient een id"
	}
	var ids []string
	if it.id != "" {
		ids = append(ids, it.id)
	}
	for _, ref := range []string{it.url, it.fullURL} {
		if typ, id, ok := parseRef(ref); ok && typ == "Patient" {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) > 0:
		for _, id := range ids[1:] {
			if id != ids[0] {
				return "", "Patient.id", "de id van de Patient, request.url en fullUrl noemen niet dezelfde Patient"
			}
		}
		return "Patient/" + ids[0], "", ""
	case it.fullURL != "" && utf8.RuneCountInString(it.fullURL) <= 200 && !strings.ContainsFunc(it.fullURL, isSpaceOrControl):
		return it.fullURL, "", ""
	}
	return "", "Patient.id", "de Patient heeft geen id, en de entry geen fullUrl of request.url die haar aanwijst; zonder die is er geen recordsleutel"
}

// refKey is the key of a resource for its record errors: Type/id when it
// has a valid id, else "".
func (it *item) refKey() string {
	if it.resType != "" && fhirID.MatchString(it.id) {
		return it.resType + "/" + it.id
	}
	return ""
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// keyHash is the 64-bit FNV-1a hash of a record key.
func keyHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
