package sdktest

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

// statements validates consent statements against consent.v1.
var statements = sync.OnceValues(func() (*schema.Validator, error) {
	return schema.Compile(schemas.ConsentV1)
})

// consentChecker checks the consent statements of one document, chunk by
// chunk: each satisfies consent.v1, names Config.Partner as source.partner
// and its own RecordKey as client.record_key (never a chain client id: a
// partner speaks for its own clients), starts on a line > 0, and comes after
// the record it concerns when that record is in the document.
type consentChecker struct {
	s     *suite
	v     *schema.Validator
	early map[string]string // record keys of statements not preceded by their record: where
}

func newConsentChecker(s *suite) (*consentChecker, error) {
	v, err := statements()
	if err != nil {
		return nil, fmt.Errorf("compile the consent schema: %w", err)
	}
	return &consentChecker{s: s, v: v, early: map[string]string{}}, nil
}

// check checks the statements of chunk c; keys holds the record keys
// (records and unchanged records) of the document up to and including c.
func (cc *consentChecker) check(r *reporter, c sdk.Chunk, keys map[string]int) {
	r.t.Helper()
	for _, st := range c.Consents {
		where := fmt.Sprintf("chunk %d: consent statement for %q at line %d", c.Seq, st.RecordKey, st.Line)
		if st.Line <= 0 {
			r.errorf("%s: Line must be > 0", where)
		}
		if st.RecordKey == "" {
			r.errorf("%s: no RecordKey; a statement names the partner's record of the client", where)
		} else if _, ok := keys[st.RecordKey]; !ok {
			cc.early[st.RecordKey] = where
		}
		val, issues, err := cc.v.ValidateJSON(st.JSON)
		if err != nil {
			r.errorf("%s: JSON: %v", where, err)
			continue
		}
		for _, is := range issues {
			r.errorf("%s: does not satisfy consent.v1 at %q (%s): %s", where, is.Pointer, is.Keyword, is.Message)
		}
		obj, _ := val.(map[string]any)
		src, _ := obj["source"].(map[string]any)
		if p, _ := src["partner"].(string); p != cc.s.cfg.Partner {
			r.errorf("%s: source.partner is %q, want Config.Partner %q", where, p, cc.s.cfg.Partner)
		}
		cl, _ := obj["client"].(map[string]any)
		if k, _ := cl["record_key"].(string); k != st.RecordKey {
			r.errorf("%s: client.record_key is %q, want the statement's RecordKey", where, k)
		}
		if _, ok := cl["client_id"]; ok {
			r.errorf("%s: names a chain client id; an adapter names the client by the partner's record key only", where)
		}
	}
}

// seen is called with a record key of the document: a statement about it
// that came before it breaks the order the hub relies on.
func (cc *consentChecker) seen(r *reporter, key string) {
	r.t.Helper()
	if where, ok := cc.early[key]; ok {
		delete(cc.early, key)
		r.errorf("%s: comes before the record it concerns; the hub stores a chunk's records before its statements, so a statement must follow its record", where)
	}
}

// equalConsents reports whether two chunks have the same statements.
func equalConsents(a, b sdk.Chunk) bool {
	if len(a.Consents) != len(b.Consents) {
		return false
	}
	for i, x := range a.Consents {
		y := b.Consents[i]
		if x.Line != y.Line || x.RecordKey != y.RecordKey || !bytes.Equal(x.JSON, y.JSON) {
			return false
		}
	}
	return true
}

// consentsByKey returns the statements' JSON of chunks, by record key.
func consentsByKey(chunks []sdk.Chunk) map[string]string {
	out := map[string]string{}
	for _, c := range chunks {
		for _, st := range c.Consents {
			out[st.RecordKey] += string(st.JSON) + "\n"
		}
	}
	return out
}

// countConsents counts the statements of chunks.
func countConsents(chunks []sdk.Chunk) int {
	n := 0
	for _, c := range chunks {
		n += len(c.Consents)
	}
	return n
}
