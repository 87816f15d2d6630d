package main

import (
	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// The source digest of a row (the "digest" capability, see package sdk) is
// taken over the raw fields of the configured columns, in the order of the
// configuration, and of the consent columns (a changed consent cell must
// reach the hub even when the registration is the same), under a seed of the adapter's build, the partner and the
// configuration: the mapping of a row depends on nothing else (the
// document's reception time only gives registered_at, which does not count
// as content). Columns that are not configured, and where the configured
// ones stand, do not count, so a partner adding or moving a column changes
// no digest.
//
// A row whose digest the hub holds (sdk.Document.Known) is not mapped; it
// goes through the same checks as any other row first (reader problems,
// column counts, the header, a repeated key), so that it is reported as
// unchanged only where Decode would otherwise deliver it as a record.

// digestBlock is the size of the blocks that records' digests are written
// into.
const digestBlock = 4096 * sdk.DigestSize

// digest returns the source digest of a row with fields. The digests of a
// document's records share blocks of memory, like their JSON (see marshal).
func (d *decoder) digest(fields []string) []byte {
	if cap(d.sums)-len(d.sums) < sdk.DigestSize {
		d.sums = make([]byte, 0, digestBlock)
	}
	start := len(d.sums)
	d.sums = d.sum(d.sums, fields)
	return d.sums[start:len(d.sums):len(d.sums)]
}

// sum appends the source digest of a row with fields to dst.
func (d *decoder) sum(dst []byte, fields []string) []byte {
	d.db.Reset()
	for i := range d.p.columns {
		d.db.Field(fields[d.m.pos[i]])
	}
	for _, pos := range d.m.cpos {
		d.db.Field(fields[pos])
	}
	return d.db.Sum(dst)
}

// unchanged reports whether a good row is one the hub holds unchanged: its
// key does not occur before in the document (else Decode reports it as a
// duplicate) and its digest is known. It then counts the key as seen and
// returns it.
func (d *decoder) unchanged(rec dsv.Record) (string, bool) {
	key := d.m.recordKey(rec.Fields)
	if key == "" {
		return "", false
	}
	if _, seen := d.seen.First(key); seen {
		return "", false
	}
	var buf [sdk.DigestSize]byte
	if !d.known.Has(d.sum(buf[:0], rec.Fields)) {
		return "", false
	}
	d.seen.Add(key, rec.Line)
	return key, true
}
