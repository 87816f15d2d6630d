package sdktest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

// codes are the record error codes of plugins/sdk/codes.go. TestCodesComplete
// fails when a code is added there and not here.
var codes = map[string]bool{
	sdk.CodeEmptyDocument:      true,
	sdk.CodeEncoding:           true,
	sdk.CodeBinary:             true,
	sdk.CodeHeaderMissing:      true,
	sdk.CodeDelimiter:          true,
	sdk.CodeRowRagged:          true,
	sdk.CodeQuote:              true,
	sdk.CodeRowTooLong:         true,
	sdk.CodeRequired:           true,
	sdk.CodeDate:               true,
	sdk.CodeValueUnknown:       true,
	sdk.CodeFieldFormat:        true,
	sdk.CodeSchema:             true,
	sdk.CodeDuplicateKey:       true,
	sdk.CodeUnknownRecord:      true,
	sdk.CodeBSNInvalid:         true,
	sdk.CodeAdapterFailed:      true,
	sdk.CodeDocumentRejected:   true,
	sdk.CodeSyntax:             true,
	sdk.CodeConsentInvalid:     true,
	sdk.CodeConsentSubject:     true,
	sdk.CodeConsentForbidden:   true,
	sdk.CodeConsentUnsupported: true,
}

// registrations validates records against the shared schema.
var registrations = sync.OnceValues(func() (*schema.Validator, error) {
	return schema.Compile(schemas.RegistrationV1)
})

// maxReports is how many problems of one document are reported one by one.
const maxReports = 10

// reporter reports the first maxReports problems of a document, so that a
// broken 5 MB input neither buries the log nor takes long to check.
type reporter struct {
	t *testing.T
	n int
}

func (r *reporter) errorf(format string, args ...any) {
	r.t.Helper()
	if !r.full() {
		r.n++
		r.t.Errorf(format, args...)
	}
}

// full says whether maxReports problems have been reported; the rest of
// the document is then not checked.
func (r *reporter) full() bool { return r.n >= maxReports }

func (r *reporter) done() {
	r.t.Helper()
	if r.full() {
		r.t.Errorf("stopped checking the document after %d problems", maxReports)
	}
}

// checkChunks checks the chunks of one document against the rules of the
// contract and returns the number of records and record errors. Messages
// name lines and record keys, never record contents.
func (s *suite) checkChunks(t *testing.T, chunks []sdk.Chunk) (records, errs int) {
	t.Helper()
	v, err := registrations()
	if err != nil {
		t.Fatalf("compile the shared schema: %v", err)
	}
	cc, err := newConsentChecker(s)
	if err != nil {
		t.Fatal(err)
	}
	r := &reporter{t: t}
	defer r.done()
	keys := map[string]int{}
	for i, c := range chunks {
		records += len(c.Records)
		errs += len(c.Errors)
		if r.full() {
			continue
		}
		if c.Seq != i {
			r.errorf("chunk %d has Seq %d; Seq must count from 0 in steps of 1", i, c.Seq)
		}
		if len(c.Records)+len(c.Errors)+len(c.Unchanged)+len(c.Consents) == 0 {
			r.errorf("chunk %d (Seq %d) has no records, record errors or consent statements", i, c.Seq)
		}
		checkUnchanged(r, c, keys)
		for _, rec := range c.Records {
			where := fmt.Sprintf("chunk %d: record %q at line %d", c.Seq, rec.RecordKey, rec.Line)
			if rec.Line <= 0 {
				r.errorf("%s: Line must be > 0", where)
			}
			if rec.RecordKey == "" {
				r.errorf("%s: no RecordKey", where)
			} else if line, dup := keys[rec.RecordKey]; dup {
				r.errorf("%s: the document has a record with this key already, at line %d; record keys must be unique within a document (report %s)", where, line, sdk.CodeDuplicateKey)
			} else {
				keys[rec.RecordKey] = rec.Line
			}
			s.checkRecordJSON(r, v, where, rec)
		}
		for _, rec := range c.Records {
			cc.seen(r, rec.RecordKey)
		}
		for _, u := range c.Unchanged {
			cc.seen(r, u.RecordKey)
		}
		cc.check(r, c, keys)
		for _, e := range c.Errors {
			where := fmt.Sprintf("chunk %d: record error %q at line %d", c.Seq, e.Code, e.Line)
			if !codes[e.Code] {
				r.errorf("%s: Code is not one of the codes in plugins/sdk/codes.go", where)
			}
			if e.Message == "" {
				r.errorf("%s: no Message", where)
			}
			if e.Line < 0 {
				r.errorf("%s: Line must be >= 0", where)
			}
		}
	}
	return records, errs
}

// checkRecordJSON checks one record's JSON against the shared schema and
// its source against the configured partner and the record's key.
func (s *suite) checkRecordJSON(r *reporter, v *schema.Validator, where string, rec sdk.Record) {
	r.t.Helper()
	val, issues, err := v.ValidateJSON(rec.JSON)
	if err != nil {
		r.errorf("%s: JSON: %v", where, err)
		return
	}
	for _, is := range issues {
		r.errorf("%s: does not satisfy the shared schema at %q (%s): %s", where, is.Pointer, is.Keyword, is.Message)
	}
	obj, _ := val.(map[string]any)
	src, _ := obj["source"].(map[string]any)
	if p, _ := src["partner"].(string); p != s.cfg.Partner {
		r.errorf("%s: source.partner is %q, want Config.Partner %q", where, p, s.cfg.Partner)
	}
	if k, _ := src["record_key"].(string); k != rec.RecordKey {
		r.errorf("%s: source.record_key is %q, want the record's RecordKey", where, k)
	}
}

// diffChunks describes the first difference between two decodes of the same
// document, or returns "" when there is none.
func diffChunks(a, b []sdk.Chunk) string {
	for i := range min(len(a), len(b)) {
		ca, cb := a[i], b[i]
		switch {
		case ca.Seq != cb.Seq:
			return fmt.Sprintf("chunk %d has Seq %d, then %d", i, ca.Seq, cb.Seq)
		case len(ca.Records) != len(cb.Records):
			return fmt.Sprintf("chunk %d has %d records, then %d", i, len(ca.Records), len(cb.Records))
		case len(ca.Errors) != len(cb.Errors):
			return fmt.Sprintf("chunk %d has %d record errors, then %d", i, len(ca.Errors), len(cb.Errors))
		case !equalUnchanged(ca, cb):
			return fmt.Sprintf("chunk %d has %d unchanged records, then %d, or other ones", i, len(ca.Unchanged), len(cb.Unchanged))
		case !equalConsents(ca, cb):
			return fmt.Sprintf("chunk %d has %d consent statements, then %d, or other ones", i, len(ca.Consents), len(cb.Consents))
		}
		for j, ra := range ca.Records {
			rb := cb.Records[j]
			switch {
			case ra.Line != rb.Line || ra.RecordKey != rb.RecordKey:
				return fmt.Sprintf("chunk %d, record %d is %q at line %d, then %q at line %d", i, j, ra.RecordKey, ra.Line, rb.RecordKey, rb.Line)
			case !bytes.Equal(ra.JSON, rb.JSON):
				return fmt.Sprintf("chunk %d: record %q at line %d has other JSON", i, ra.RecordKey, ra.Line)
			case !bytes.Equal(ra.SourceDigest, rb.SourceDigest):
				return fmt.Sprintf("chunk %d: record %q at line %d has another SourceDigest", i, ra.RecordKey, ra.Line)
			}
		}
		for j, ea := range ca.Errors {
			eb := cb.Errors[j]
			switch {
			case ea.Code != eb.Code || ea.Line != eb.Line || ea.Field != eb.Field:
				return fmt.Sprintf("chunk %d, record error %d is %q at line %d (field %q), then %q at line %d (field %q)",
					i, j, ea.Code, ea.Line, ea.Field, eb.Code, eb.Line, eb.Field)
			case ea != eb:
				return fmt.Sprintf("chunk %d: record error %q at line %d has another Column, RecordKey or Message", i, ea.Code, ea.Line)
			}
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d chunks, then %d", len(a), len(b))
	}
	return ""
}
