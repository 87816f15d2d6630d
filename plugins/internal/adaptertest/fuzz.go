package adaptertest

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// Rules are what a fuzzed Decode of an adapter must keep besides the rules
// every adapter keeps.
type Rules struct {
	// Codes are the record error codes the adapter may report.
	Codes map[string]bool
	// SharedLines allows records on the same line (several registrations
	// from one resource or message line); otherwise every record must
	// start on a later line than the one before.
	SharedLines bool
}

// CheckDecode decodes data as doc with a twice, for a fuzz test. Decode
// must not fail; every record must satisfy the shared schema, start on a
// line > 0 after the record before it (see Rules.SharedLines) and have a
// UTF-8 key; every record error must have a code of r.Codes, a UTF-8
// message, key and field and a line >= 0; the second decode must give the
// same chunks as the first.
func CheckDecode(t testing.TB, a sdk.Adapter, doc sdk.Document, data []byte, r Rules) {
	t.Helper()
	first, second := Decode(t, a, doc, data), Decode(t, a, doc, data)
	sdktest.CheckRecords(t, first.Records())
	last := 0
	for _, rec := range first.Records() {
		if rec.Line < last || rec.Line <= 0 || rec.Line == last && !r.SharedLines {
			t.Errorf("record on line %d after line %d", rec.Line, last)
		}
		last = rec.Line
		if rec.RecordKey == "" || !utf8.ValidString(rec.RecordKey) {
			t.Errorf("record on line %d has key %q", rec.Line, rec.RecordKey)
		}
	}
	for _, e := range first.Errors() {
		if !r.Codes[e.Code] || e.Message == "" || !utf8.ValidString(e.Message) || !utf8.ValidString(e.RecordKey) || !utf8.ValidString(e.Field) || e.Line < 0 {
			t.Errorf("bad record error %+v", e)
		}
	}
	js1, _ := json.Marshal(first.Chunks())
	js2, _ := json.Marshal(second.Chunks())
	if !bytes.Equal(js1, js2) {
		t.Error("two decodes of the same document differ")
	}
}
