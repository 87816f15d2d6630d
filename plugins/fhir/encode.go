package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var _ sdk.Encoder = (*adapter)(nil)

// Encode writes the registrations of req as one file of FHIR R4 resources
// for the partner: per registration an nl-core Patient and, with
// output.episode_of_care, an EpisodeOfCare with the chain data, as a
// transaction Bundle (default), a collection Bundle or NDJSON (README.md,
// "Output"). The partner's configuration reads the file back into the same
// client data. A registration whose record is already in the file ends it:
// it and the items after it are left for the next file
// (sdk.EncodeResult.Left), since a Bundle holds a resource once. An item
// that cannot be written is rejected with sdk.CodeEncodeInvalid or
// sdk.CodeEncodeFormat. Encode returns an error when the adapter is not
// configured (sdk.ErrNotConfigured), is configured for another partner,
// writing fails or ctx ends.
func (a *adapter) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	p, err := a.plan.Get("encode")
	if err != nil {
		return sdk.EncodeResult{}, err
	}
	if err := req.CheckPartner(p.partner); err != nil {
		return sdk.EncodeResult{}, err
	}
	e := &encoder{o: p.out, deriveInitials: p.initials}
	res := sdk.EncodeResult{Suffix: ".json", MediaType: "application/fhir+json; fhirVersion=4.0"}
	line := 2 // the Bundle's first entry
	if p.out.form == outNDJSON {
		res.Suffix, res.MediaType, line = ".ndjson", "application/fhir+ndjson; fhirVersion=4.0", 1
	}
	var lines [][]byte
	var ids []string
	inFile := map[string]bool{}
	for i, it := range req.Items {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return sdk.EncodeResult{}, fmt.Errorf("encode: %w", err)
			}
		}
		enc, rej := e.item(it)
		if rej != nil {
			rej.DeliveryID = it.DeliveryID
			res.Rejected = append(res.Rejected, *rej)
			continue
		}
		if inFile[enc.key] {
			break // the record is in this file already: the rest goes into the next
		}
		inFile[enc.key] = true
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: line})
		ids = append(ids, it.DeliveryID)
		lines = append(lines, enc.lines...)
		line += len(enc.lines)
	}
	w := bufio.NewWriterSize(out, 64<<10)
	if p.out.form == outNDJSON {
		for _, l := range lines {
			w.Write(l)
			w.WriteByte('\n')
		}
	} else if err := e.writeBundle(w, ids, lines); err != nil {
		return sdk.EncodeResult{}, err
	}
	if err := w.Flush(); err != nil {
		return sdk.EncodeResult{}, fmt.Errorf("encode: write: %w", err)
	}
	return res, nil
}

// writeBundle writes a Bundle of the entries, one entry per line after the
// first, so that a reader finds each item on the line EncodeResult names.
// The Bundle's identifier names the batch: a hash of its delivery ids.
func (e *encoder) writeBundle(w *bufio.Writer, ids []string, entries [][]byte) error {
	head := bundleHead{ResourceType: "Bundle", Type: e.o.form}
	if len(ids) > 0 {
		h := sha256.New()
		for _, id := range ids {
			h.Write([]byte(id))
			h.Write([]byte{0})
		}
		head.Identifier = &identifier{System: e.o.batchSystem(), Value: "kh-" + hex.EncodeToString(h.Sum(nil)[:16])}
	}
	b, err := marshalJSON(head)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		w.Write(b)
		w.WriteByte('\n')
		return nil
	}
	w.Write(b[:len(b)-1])
	w.WriteString(`,"entry":[`)
	for i, en := range entries {
		w.WriteByte('\n')
		w.Write(en)
		if i < len(entries)-1 {
			w.WriteByte(',')
		}
	}
	w.WriteString("\n]}\n")
	return nil
}

// marshalJSON writes v as JSON without HTML escaping and without the
// trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// encoder maps registrations onto FHIR resources for one file.
type encoder struct {
	o *outPlan
	// deriveInitials is the partner's initials_from_given: when the
	// partner derives initials from the first names, initials that follow
	// from them are not written again.
	deriveInitials bool
}

// encoded is one registration as the lines of its file: a Bundle entry or
// NDJSON line for the Patient and maybe one for the EpisodeOfCare.
type encoded struct {
	key   string // the Patient's identity in the file (its full URL or id)
	lines [][]byte
}

// item maps one item, or says why it cannot be written.
func (e *encoder) item(it sdk.EncodeItem) (*encoded, *sdk.EncodeError) {
	var reg sdk.Registration
	if err := json.Unmarshal(it.JSON, &reg); err != nil {
		return nil, &sdk.EncodeError{Code: sdk.CodeEncodeInvalid, Message: "de registratie is geen JSON-object volgens het gedeelde schema"}
	}
	key, source := reg.Source.RecordKey, reg.Source.Partner
	switch {
	case key == "":
		return nil, &sdk.EncodeError{Field: "source.record_key", Code: sdk.CodeEncodeInvalid, Message: "de registratie heeft geen recordsleutel"}
	case len([]rune(key)) > 200 || strings.ContainsFunc(key, isControl):
		return nil, &sdk.EncodeError{Field: "source.record_key", Code: sdk.CodeEncodeFormat, Message: "de recordsleutel is langer dan 200 tekens of bevat stuurtekens"}
	case !partnerID.MatchString(source):
		return nil, &sdk.EncodeError{Field: "source.partner", Code: sdk.CodeEncodeInvalid, Message: "de registratie noemt geen bronpartner (source.partner)"}
	}
	op := it.Operation
	if op == "" {
		op = reg.Operation
	}
	if op != sdk.OpNew && op != sdk.OpChange && op != sdk.OpDelete {
		return nil, &sdk.EncodeError{Field: "operation", Code: sdk.CodeEncodeInvalid, Message: "de bewerking is geen new, change of delete"}
	}
	pt, rej := patientOf(&reg.Client, e.deriveInitials)
	if rej != nil {
		return nil, rej
	}
	id, urn := resourceID(key)
	// A urn key stays the Patient's full URL where the partner reads it
	// back as the key: not with a conditional update or delete.
	urn = urn && (e.o.form == outCollection || e.o.form == outTransaction && op == sdk.OpNew)
	r := resources{e: e, source: source, key: key, id: id, urn: urn, op: op,
		cond: "identifier=" + searchValue(e.o.registrationSystem(source)+"|"+escapeToken(key))}
	meta := outMeta{LastUpdated: lastUpdated(reg.RegisteredAt), Source: e.o.partnerURL(source) + "#" + fragment(it.DeliveryID)}
	pt.Meta = meta
	pt.Meta.Profile = []string{profileNLCorePatient}
	pt.Identifier = append(pt.Identifier, identifier{System: e.o.registrationSystem(source), Value: key})
	pt.Active = op != sdk.OpDelete
	enc := &encoded{key: r.fullURL("Patient")}
	line, err := r.line(pt, "Patient")
	if err != nil {
		return nil, &sdk.EncodeError{Code: sdk.CodeEncodeFormat, Message: "de Patient kan niet als JSON worden geschreven"}
	}
	enc.lines = append(enc.lines, line)
	if ep := e.episode(&reg, op, r.patientRef()); ep != nil {
		ep.Meta = meta
		ep.Identifier = []identifier{{System: e.o.registrationSystem(source), Value: key}}
		line, err := r.line(ep, "EpisodeOfCare")
		if err != nil {
			return nil, &sdk.EncodeError{Code: sdk.CodeEncodeFormat, Message: "de EpisodeOfCare kan niet als JSON worden geschreven"}
		}
		enc.lines = append(enc.lines, line)
	}
	return enc, nil
}

// resources places the resources of one registration in the file: their
// ids, full URLs and, in a transaction, requests.
type resources struct {
	e      *encoder
	source string
	key    string
	id     string
	urn    bool // the key is a urn:uuid or urn:oid: the Patient's full URL in a Bundle
	op     sdk.Operation
	cond   string // the search on the registration identifier
}

// fullURL is the full URL of the resource of type typ in a Bundle: the
// Patient's record key when that is a urn, else a URL under output.base
// whose last parts are the type and the id, so that the partner's
// configuration reads the Patient's record key back from it.
func (r *resources) fullURL(typ string) string {
	if r.urn && typ == "Patient" {
		return r.key
	}
	return r.e.o.partnerURL(r.source) + "/" + typ + "/" + r.id
}

// patientRef is how the EpisodeOfCare refers to the Patient.
func (r *resources) patientRef() string {
	if r.e.o.form == outNDJSON {
		return "Patient/" + r.id
	}
	return r.fullURL("Patient")
}

// line writes a resource as its NDJSON line or Bundle entry. In a
// collection and in NDJSON the resource has its id; in a transaction it
// has none, and the request finds it by the registration identifier: a
// conditional create for new, a conditional update for change and a
// conditional delete for delete.
func (r *resources) line(res idSetter, typ string) ([]byte, error) {
	switch r.e.o.form {
	case outNDJSON:
		res.setID(r.id)
		return marshalJSON(res)
	case outCollection:
		if !r.urn || typ != "Patient" {
			res.setID(r.id)
		}
		return marshalJSON(entryOut{FullURL: r.fullURL(typ), Resource: res})
	}
	req := &requestOut{Method: "POST", URL: typ, IfNoneExist: r.cond}
	switch r.op {
	case sdk.OpChange:
		req = &requestOut{Method: "PUT", URL: typ + "?" + r.cond}
	case sdk.OpDelete:
		req = &requestOut{Method: "DELETE", URL: typ + "?" + r.cond}
	}
	return marshalJSON(entryOut{FullURL: r.fullURL(typ), Resource: res, Request: req})
}

// urnKey is the form of a record key the decoder takes from a Bundle
// entry's fullUrl: a Patient without id in the partner's own transaction.
var urnKey = regexp.MustCompile(`^urn:(uuid:[0-9A-Fa-f-]{1,64}|oid:[0-9.]{1,64})$`)

// resourceID gives the resource id for a record key: the id of a key
// Patient/<id> (as the decoder makes them), a key that is a FHIR id
// itself, else "kh-" and a hash of the key. It reports whether the key is
// a urn, which a Bundle keeps as the Patient's full URL.
func resourceID(key string) (string, bool) {
	if id, ok := strings.CutPrefix(key, "Patient/"); ok && fhirID.MatchString(id) {
		return id, false
	}
	if fhirID.MatchString(key) {
		return key, false
	}
	sum := sha256.Sum256([]byte(key))
	return "kh-" + hex.EncodeToString(sum[:16]), urnKey.MatchString(key)
}

// escapeToken escapes a token search value: a backslash before \, |, $
// and comma (FHIR search, "Escaping Search Parameters").
func escapeToken(s string) string {
	return strings.NewReplacer(`\`, `\\`, `|`, `\|`, `$`, `\$`, `,`, `\,`).Replace(s)
}

// searchValue percent-encodes a search parameter's value.
func searchValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// fragment percent-encodes a delivery id for the fragment of meta.source.
func fragment(s string) string { return searchValue(s) }

// lastUpdated is registered_at when it is a FHIR instant, else "".
func lastUpdated(s string) string {
	if _, ok := parseFHIRTime(s); ok && fhirInstant.MatchString(s) {
		return s
	}
	return ""
}

// fhirInstant is the form of a FHIR instant: seconds and a zone required.
var fhirInstant = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$`)

func isControl(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 }
