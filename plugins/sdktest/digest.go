package sdktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// digest checks the digest capability, for adapters that declare it; see
// the package documentation.
func (s *suite) digest(t *testing.T) {
	d, err := s.hub.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if !slices.Contains(d.Capabilities, sdk.CapabilityDigest) {
		t.Skipf("the adapter does not declare the %q capability", sdk.CapabilityDigest)
	}
	s.mustConfigure(t)
	for _, smp := range s.cfg.Samples {
		t.Run(smp.Name, func(t *testing.T) { s.digestSample(t, smp.Name, smp.Data) })
	}
	if s.cfg.NextExport != nil {
		t.Run("NextExport", s.digestNextExport)
	}
	t.Run("Robust", s.digestRobust)
}

// records returns the records of chunks.
func records(chunks []sdk.Chunk) []sdk.Record {
	var out []sdk.Record
	for _, c := range chunks {
		out = append(out, c.Records...)
	}
	return out
}

// knownOf returns the source digests of recs as a set.
func knownOf(t *testing.T, recs []sdk.Record) *sdk.DigestSet {
	t.Helper()
	var raw []byte
	for _, r := range recs {
		raw = append(raw, r.SourceDigest...)
	}
	set, err := sdk.NewDigestSet(raw)
	if err != nil {
		t.Fatalf("the records' source digests do not make a set: %v", err)
	}
	return set
}

// digestSample checks the source digests of one sample's records, and
// Decode with all, every other and none of them known.
func (s *suite) digestSample(t *testing.T, name string, data []byte) {
	full := s.decodeBytes(t, name, data)
	if !full.check(t) || full.err != nil {
		t.Skip("Decode of the sample fails; see Decode")
	}
	recs := records(full.chunks)
	r := &reporter{t: t}
	var tag []byte
	for _, rec := range recs {
		switch {
		case len(rec.SourceDigest) != sdk.DigestSize:
			r.errorf("record %q at line %d has a SourceDigest of %d bytes, want %d", rec.RecordKey, rec.Line, len(rec.SourceDigest), sdk.DigestSize)
		case tag == nil:
			tag = sdk.DigestTag(rec.SourceDigest)
		case !bytes.Equal(tag, sdk.DigestTag(rec.SourceDigest)):
			r.errorf("record %q at line %d has a SourceDigest with another tag than the first record's; the tag names the build and configuration only (see sdk.DigestBuilder)", rec.RecordKey, rec.Line)
		}
	}
	r.done()
	if t.Failed() {
		return
	}
	var half []sdk.Record
	for i, rec := range recs {
		if i%2 == 0 {
			half = append(half, rec)
		}
	}
	others := []sdk.Record{{SourceDigest: randomBytes(sdk.DigestSize)}}
	cases := []struct {
		name  string
		known []sdk.Record
	}{
		{"every record's digest", recs},
		{"every other record's digest", half},
		{"only digests of no record", others},
	}
	for _, c := range cases {
		doc := s.document(name, len(data))
		doc.Known = knownOf(t, c.known)
		got := s.decodeDocument(t, doc, data)
		if !got.check(t) {
			continue
		}
		if got.err != nil {
			t.Errorf("Decode with %s known fails: %v", c.name, got.err)
			continue
		}
		if d := diffChunks(unchangedAs(full.chunks, doc.Known), merged(got.chunks)); d != "" {
			t.Errorf("Decode with %s known gives other records, unchanged records or errors than Decode without, less the known records: %s", c.name, d)
		}
		if d := diffChunkLines(full.chunks, got.chunks); d != "" {
			t.Errorf("Decode with %s known cuts other chunks than without: %s; an unchanged record must take a record's place, or the hub cannot resume a document", c.name, d)
		}
		s.checkChunks(t, got.chunks)
		again := s.decodeDocument(t, doc, data)
		if again.check(t) && again.err == nil {
			if d := diffChunks(got.chunks, again.chunks); d != "" {
				t.Errorf("Decode with %s known gives other chunks the second time: %s", c.name, d)
			}
		}
	}
}

// unchangedAs returns the chunks as one, with the records whose digest is in
// known as unchanged records.
// The consent statements of a known record are left out: an adapter gives
// none for a record it does not map (the hub holds them already).
func unchangedAs(chunks []sdk.Chunk, known *sdk.DigestSet) []sdk.Chunk {
	var c sdk.Chunk
	skip := map[string]bool{}
	for _, ch := range chunks {
		for _, rec := range ch.Records {
			if known.Has(rec.SourceDigest) {
				c.Unchanged = append(c.Unchanged, sdk.Unchanged{Line: rec.Line, RecordKey: rec.RecordKey})
				skip[rec.RecordKey] = true
			} else {
				c.Records = append(c.Records, rec)
			}
		}
		c.Errors = append(c.Errors, ch.Errors...)
		c.Unchanged = append(c.Unchanged, ch.Unchanged...)
		for _, st := range ch.Consents {
			if !skip[st.RecordKey] {
				c.Consents = append(c.Consents, st)
			}
		}
	}
	return []sdk.Chunk{c}
}

// diffChunkLines describes the first chunk of b that covers other lines
// than the same chunk of a, or returns "".
func diffChunkLines(a, b []sdk.Chunk) string {
	lines := func(c sdk.Chunk) string {
		var ls []int
		for _, r := range c.Records {
			ls = append(ls, r.Line)
		}
		for _, u := range c.Unchanged {
			ls = append(ls, u.Line)
		}
		for _, e := range c.Errors {
			ls = append(ls, e.Line)
		}
		slices.Sort(ls)
		return fmt.Sprint(slices.Compact(ls))
	}
	for i := range min(len(a), len(b)) {
		if la, lb := lines(a[i]), lines(b[i]); la != lb {
			return fmt.Sprintf("chunk %d covers lines %.60s, then %.60s", i, la, lb)
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d chunks, then %d", len(a), len(b))
	}
	return ""
}

// merged returns the chunks as one.
func merged(chunks []sdk.Chunk) []sdk.Chunk { return unchangedAs(chunks, nil) }

// digestNextExport checks, with the first sample's digests known, that
// every record of Config.NextExport that changed is delivered, not reported
// unchanged.
func (s *suite) digestNextExport(t *testing.T) {
	first := s.cfg.Samples[0]
	before := s.decodeBytes(t, first.Name, first.Data)
	if !before.check(t) || before.err != nil {
		t.Fatalf("Decode of the first sample fails: %v", before.err)
	}
	old := map[string]sdk.Record{}
	for _, rec := range records(before.chunks) {
		old[rec.RecordKey] = rec
	}
	doc := s.document("next-export", len(s.cfg.NextExport))
	doc.Known = knownOf(t, records(before.chunks))
	after := s.decodeDocument(t, doc, s.cfg.NextExport)
	if !after.check(t) || after.err != nil {
		t.Fatalf("Decode of Config.NextExport fails: %v", after.err)
	}
	plain := s.decodeBytes(t, "next-export", s.cfg.NextExport)
	if !plain.check(t) || plain.err != nil {
		t.Fatalf("Decode of Config.NextExport without known digests fails: %v", plain.err)
	}
	next := map[string]sdk.Record{}
	for _, rec := range records(plain.chunks) {
		next[rec.RecordKey] = rec
	}
	oldConsents, nextConsents := consentsByKey(before.chunks), consentsByKey(plain.chunks)
	r := &reporter{t: t}
	changed, unchanged := 0, 0
	for _, c := range after.chunks {
		for _, u := range c.Unchanged {
			unchanged++
			prev, ok := old[u.RecordKey]
			now := next[u.RecordKey]
			if !ok || content(prev.JSON) != content(now.JSON) {
				r.errorf("record %q (line %d) changed, but is reported unchanged: the hub would not see the change", u.RecordKey, u.Line)
			}
			if oldConsents[u.RecordKey] != nextConsents[u.RecordKey] {
				r.errorf("the consent statements of record %q (line %d) changed, but the record is reported unchanged: the hub would not see the new statement; the source digest must cover the consent fields", u.RecordKey, u.Line)
			}
		}
	}
	for k, now := range next {
		if prev, ok := old[k]; ok && (content(prev.JSON) != content(now.JSON) || oldConsents[k] != nextConsents[k]) {
			changed++
		}
	}
	r.done()
	if changed == 0 {
		t.Error("Config.NextExport changes no record (or consent statement) of the first sample")
	}
	t.Logf("%d records changed; %d reported unchanged", changed, unchanged)
}

// content is a record's JSON without registered_at, which may come from the
// document rather than from the record.
func content(js []byte) string {
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return string(js)
	}
	delete(m, "registered_at")
	b, _ := json.Marshal(m)
	return string(b)
}

// digestRobust decodes the robustness inputs with the first sample's
// digests known: the large input repeats the sample's records, so their
// repeats must stay duplicates.
func (s *suite) digestRobust(t *testing.T) {
	first := s.cfg.Samples[0]
	base := s.decodeBytes(t, first.Name, first.Data)
	if !base.check(t) || base.err != nil {
		t.Fatalf("Decode of the first sample: %v", base.err)
	}
	known := knownOf(t, records(base.chunks))
	inputs := []struct {
		name string
		data []byte
	}{
		{"Empty", nil},
		{"OneByte", first.Data[:1]},
		{"RandomBytes", randomBytes(64 << 10)},
		{"Truncated", truncated(first.Data)},
		{"Large", largeInput(first.Data)},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			doc := s.document(in.name, len(in.data))
			doc.Known = known
			res := s.decodeDocument(t, doc, in.data)
			if !res.check(t) {
				return
			}
			if res.err != nil {
				t.Logf("Decode refuses the input: %v", res.err)
				return
			}
			recs, errs := s.checkChunks(t, res.chunks)
			t.Logf("Decode gives %d records and record errors in %d chunks", recs+errs, len(res.chunks))
		})
	}
}

// checkUnchanged checks the unchanged records of a chunk: a line > 0 and a
// key that no other record of the document has.
func checkUnchanged(r *reporter, c sdk.Chunk, keys map[string]int) {
	r.t.Helper()
	for _, u := range c.Unchanged {
		where := fmt.Sprintf("chunk %d: unchanged record %q at line %d", c.Seq, u.RecordKey, u.Line)
		if u.Line <= 0 {
			r.errorf("%s: Line must be > 0", where)
		}
		if u.RecordKey == "" {
			r.errorf("%s: no RecordKey", where)
		} else if line, dup := keys[u.RecordKey]; dup {
			r.errorf("%s: the document has a record with this key already, at line %d; a repeated key is an error (%s) also when the hub holds the record", where, line, sdk.CodeDuplicateKey)
		} else {
			keys[u.RecordKey] = u.Line
		}
	}
}

// equalUnchanged reports whether two chunks have the same unchanged records.
func equalUnchanged(a, b sdk.Chunk) bool { return slices.Equal(a.Unchanged, b.Unchanged) }
