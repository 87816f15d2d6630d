package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Source digests: an adapter with the digest capability gives every record
// a digest of its source, and a registration keeps the digest of the record
// it was last stored from (registrations.source_digest). The decode stage
// sends the digests of a partner's active registrations with the partner's
// next document, and the adapter leaves the records it finds among them
// unmapped.

// Known is what KnownDigests read of a partner's registrations.
type Known struct {
	// Digests are the source digests of the active registrations,
	// sdk.DigestSize bytes each, one after the other in the order of their
	// record keys; nil when there are none or more than the limit.
	Digests []byte
	// Missing: some active registration has no digest.
	Missing bool
	// Tag is the tag (sdk.DigestTagSize bytes) that all digests share; nil
	// when they have several, or when not all were read.
	Tag []byte
}

// KnownDigests reads the source digests of the partner's active
// registrations, up to limit of them, in the order of their record keys
// (the order of most exports, see sdk.DigestSeeker).
func (s *Store) KnownDigests(ctx context.Context, partner string, limit int) (Known, error) {
	var k Known
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		k = Known{}
		// One pass over the primary key, which includes the digests: the
		// planner, without fresh statistics after a first night, would
		// read the whole table instead.
		if _, err := tx.Exec(ctx, `SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT source_digest FROM registrations WHERE partner = $1 AND status = 'active' ORDER BY record_key`, partner)
		if err != nil {
			return err
		}
		defer rows.Close()
		n, oneTag := 0, true
		// Raw values, not Scan: a million rows a night, appended as they
		// come.
		for rows.Next() {
			d := rows.RawValues()[0]
			if d == nil {
				k.Missing = true
				continue
			}
			if n++; n > limit {
				k = Known{}
				return nil
			}
			if len(d) != sdk.DigestSize {
				return fmt.Errorf("a stored digest has %d bytes", len(d))
			}
			if k.Digests == nil {
				k.Tag = slices.Clone(d[:sdk.DigestTagSize])
			} else if oneTag && !bytes.Equal(k.Tag, d[:sdk.DigestTagSize]) {
				oneTag = false
			}
			k.Digests = append(k.Digests, d...)
		}
		if !oneTag {
			k.Tag = nil
		}
		return rows.Err()
	})
	if err != nil {
		return Known{}, fmt.Errorf("known digests of %s: %w", partner, err)
	}
	return k, nil
}

// FillSourceDigests gives registrations that have no source digest, or one
// with another tag (made by another adapter build or configuration), the
// digest of a record with the same content, in tx; it changes nothing else
// (no feed entry). keys[i], hashes[i] (content hash) and digests[i] belong
// together.
func (s *Store) FillSourceDigests(ctx context.Context, tx pgx.Tx, partner string, keys []string, hashes, digests [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE registrations AS r SET source_digest = u.d
		FROM unnest($2::text[], $3::bytea[], $4::bytea[]) AS u(k, h, d)
		WHERE r.partner = $1 AND r.record_key = u.k AND r.status = 'active' AND r.content_hash = u.h
		AND (r.source_digest IS NULL OR substring(r.source_digest FOR $5) <> substring(u.d FOR $5))`,
		partner, keys, hashes, digests, sdk.DigestTagSize); err != nil {
		return fmt.Errorf("fill source digests of %s: %w", partner, err)
	}
	return nil
}
