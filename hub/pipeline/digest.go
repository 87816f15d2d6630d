package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Source digests. An adapter with the digest capability gives every record
// a digest of its source, which the store stage keeps with the
// registration. With a partner's next document the decode stage sends the
// adapter the digests of the partner's active registrations
// (sdk.Document.Known); the adapter reports a record whose digest is known
// as unchanged (its line and key) instead of mapping it, and the decode
// stage counts it as delivered and unchanged and, for a full export, stages
// its key as seen — as if it had been decoded, hashed and found equal. A
// record that is decoded and turns out unchanged by its content hash gives
// its registration its digest when the stored one is missing or stale (see
// refresh).
//
// Resuming after a crash stays exact without keeping the set: the adapter
// cuts chunks by the number of records it reports (unchanged ones
// included), so chunk n covers the same lines in every run; and whether a
// record of a chunk not yet published is known does not depend on what the
// chunks published before stored, since those touched other keys (a key
// that occurs twice in a document is a record error before any digest is
// looked at).

// knownLimit bounds the number of known digests sent with a document of
// size bytes: a record takes a few bytes at least, so a partner's small
// delta export is not worth sending a million digests with.
func knownLimit(size int64) int { return int(size/4) + 1024 }

// knownDigests returns the digests to send with doc, nil for none, and
// which of the records that turn out unchanged by their content hash should
// give their registration their digest.
func (p *Pipeline) knownDigests(ctx context.Context, doc hub.Document, a sdk.Adapter) (*sdk.DigestSet, refresh, error) {
	d, err := a.Describe(ctx)
	if err != nil {
		return nil, refresh{}, fmt.Errorf("describe adapter: %w", err)
	}
	if !slices.Contains(d.Capabilities, sdk.CapabilityDigest) {
		return nil, refresh{}, nil
	}
	k, err := p.cfg.Store.KnownDigests(ctx, doc.Partner, knownLimit(doc.Size))
	if err != nil {
		return nil, refresh{}, err
	}
	r := refresh{on: true, missing: k.Missing, tag: k.Tag}
	if k.Digests == nil {
		return nil, r, nil
	}
	set, err := sdk.NewDigestSet(k.Digests)
	if err != nil {
		return nil, refresh{}, fmt.Errorf("known digests of %s: %w", doc.Partner, err)
	}
	return set, r, nil
}

// refresh says which records left out for their content hash give their
// registration their source digest: the records of a document that has
// registrations without a digest (stored before digests, or through an
// adapter without them), or with digests of another tag (another adapter
// build or configuration: not one of them would be known again). When all
// stored digests have the tag of the new ones, a record's digest differs
// because its source changed without changing the registration (a column
// that maps to registered_at, say), and storing it would only cost.
type refresh struct {
	on      bool   // the adapter has the digest capability
	missing bool   // some registrations have no digest
	tag     []byte // the tag all stored digests share, nil for several
}

func (r refresh) wants(digest []byte) bool {
	return r.on && digest != nil && (r.missing || !bytes.Equal(sdk.DigestTag(digest), r.tag))
}

// fillSourceDigests stores the source digests of a chunk's unchanged
// records whose registrations have none yet, in the store stage's tx.
func (p *Pipeline) fillSourceDigests(ctx context.Context, tx pgx.Tx, m chunkMessage) error {
	if len(m.Fills) == 0 {
		return nil
	}
	keys := make([]string, len(m.Fills))
	hashes := make([][]byte, len(m.Fills))
	digests := make([][]byte, len(m.Fills))
	for i, f := range m.Fills {
		keys[i], hashes[i], digests[i] = f.RecordKey, f.ContentHash, f.SourceDigest
	}
	return p.cfg.Store.FillSourceDigests(ctx, tx, m.Partner, keys, hashes, digests)
}
