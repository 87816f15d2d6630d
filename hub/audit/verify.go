package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Link is a point in the chain: a row's seq and hash. The head of the chain,
// written down outside the database now and then (an anchor), lets Verify
// prove later that no row up to it was changed, not even by someone who
// recomputed every hash after it.
type Link struct {
	Seq  int64
	Hash []byte
}

// String formats the link as seq:hex-hash, the form ParseLink reads.
func (l Link) String() string { return strconv.FormatInt(l.Seq, 10) + ":" + hex.EncodeToString(l.Hash) }

// ParseLink reads a link written as seq:hex-hash (Link.String). It returns
// an error when the text is not of that form.
func ParseLink(s string) (Link, error) {
	seqText, hashText, ok := strings.Cut(strings.TrimSpace(s), ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 1 {
		return Link{}, fmt.Errorf("parse audit link %q: want seq:hash, seq at least 1", s)
	}
	h, err := hex.DecodeString(hashText)
	if err != nil || len(h) != 32 {
		return Link{}, fmt.Errorf("parse audit link %q: the hash must be 64 hexadecimal characters", s)
	}
	return Link{Seq: seq, Hash: h}, nil
}

// BreakCode says how the chain is broken. The codes are stable.
type BreakCode string

// Break codes.
const (
	// BreakGap: rows are missing; seq jumps from Expected to Found.
	BreakGap BreakCode = "AUDIT_GAP"
	// BreakAltered: the row's fields no longer give its stored hash.
	BreakAltered BreakCode = "AUDIT_ALTERED"
	// BreakLink: the row's prev_hash is not the hash of the row before it
	// (that row was changed and re-hashed, or this one was).
	BreakLink BreakCode = "AUDIT_LINK"
	// BreakHead: the last row does not match the chain's head
	// (audit_head): rows at the end were removed, or added around Append.
	BreakHead BreakCode = "AUDIT_HEAD"
	// BreakAnchor: the row at an anchor's seq is missing or has another
	// hash than the anchor written down earlier.
	BreakAnchor BreakCode = "AUDIT_ANCHOR"
)

// Break is the first place where the chain is broken.
type Break struct {
	// Seq is the row where the break was found.
	Seq  int64     `json:"seq"`
	Code BreakCode `json:"code"`
	// Expected and Found are what the chain required and what the table
	// holds: seq numbers for BreakGap and BreakHead, hashes in hex otherwise.
	Expected string `json:"expected"`
	Found    string `json:"found"`
}

// Message explains the break in Dutch, for the privacy officer.
func (b Break) Message() string {
	switch b.Code {
	case BreakGap:
		return fmt.Sprintf("regel %d ontbreekt: na regel %d volgt regel %s; er zijn regels verwijderd", b.Seq, b.Seq-1, b.Found)
	case BreakAltered:
		return fmt.Sprintf("regel %d is gewijzigd: de inhoud geeft hash %s, opgeslagen is %s", b.Seq, b.Expected, b.Found)
	case BreakLink:
		return fmt.Sprintf("regel %d sluit niet aan op regel %d: verwacht prev_hash %s, gevonden %s; regel %d of %d is gewijzigd (en opnieuw gehasht) of de volgorde is veranderd",
			b.Seq, b.Seq-1, b.Expected, b.Found, b.Seq-1, b.Seq)
	case BreakHead:
		return fmt.Sprintf("het einde van de keten klopt niet bij regel %d: verwacht %s, gevonden %s; er zijn regels aan het eind verwijderd of buiten de hub om toegevoegd", b.Seq, b.Expected, b.Found)
	case BreakAnchor:
		return fmt.Sprintf("regel %d wijkt af van het eerder vastgelegde anker: verwacht hash %s, gevonden %s", b.Seq, b.Expected, b.Found)
	}
	return fmt.Sprintf("regel %d: %s (verwacht %s, gevonden %s)", b.Seq, b.Code, b.Expected, b.Found)
}

// Report is the result of Verify.
type Report struct {
	// Rows is the number of rows checked before the break, or all rows.
	Rows int64 `json:"rows"`
	// Head is the chain's head as recorded in audit_head when the check
	// started; write it down outside the database to anchor the chain.
	Head Link `json:"-"`
	// Break is the first break, nil when the chain is intact.
	Break *Break `json:"break,omitempty"`
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.Break == nil }

// verifyPage is how many rows Verify reads per query.
const verifyPage = 10000

var zeroHash = make([]byte, 32)

// Verify walks the whole chain in seq order, recomputing every row's hash,
// and reports the first break (Report.Break): a removed row (a gap in seq),
// a changed row, rows in another order, rows missing at the end, or a row
// that differs from one of the anchors (links written down earlier, see
// Link). It reads the rows in pages from one consistent snapshot, so it
// never holds the log in memory and is not disturbed by concurrent appends.
//
// A broken chain is not an error: the error is for a database that cannot
// be read.
func (l *Log) Verify(ctx context.Context, anchors ...Link) (Report, error) {
	var r Report
	err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		r, err = verify(ctx, tx, anchors)
		return err
	})
	if err != nil {
		return Report{}, fmt.Errorf("verify audit trail: %w", err)
	}
	return r, nil
}

func verify(ctx context.Context, tx pgx.Tx, anchors []Link) (Report, error) {
	var r Report
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head`).Scan(&r.Head.Seq, &r.Head.Hash); err != nil {
		return r, fmt.Errorf("read chain head: %w", err)
	}
	want := map[int64][]byte{}
	for _, a := range anchors {
		want[a.Seq] = a.Hash
	}
	prev, next := zeroHash, int64(1)
	for {
		rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, next, verifyPage)
		if err != nil {
			return r, fmt.Errorf("read audit rows: %w", err)
		}
		var read int
		var brk *Break
		for rows.Next() {
			read++
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return r, err
			}
			if brk = check(&e, next, prev, want); brk != nil {
				break
			}
			r.Rows++
			prev, next = e.Hash, next+1
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, fmt.Errorf("read audit rows: %w", err)
		}
		if brk != nil {
			r.Break = brk
			return r, nil
		}
		if read < verifyPage {
			break
		}
	}
	last := next - 1
	switch {
	case last != r.Head.Seq:
		at := next // the first row missing at the end
		if last > r.Head.Seq {
			at = r.Head.Seq + 1 // the first row beyond the head
		}
		r.Break = &Break{Seq: at, Code: BreakHead,
			Expected: "laatste regel " + strconv.FormatInt(r.Head.Seq, 10), Found: "laatste regel " + strconv.FormatInt(last, 10)}
	case !bytes.Equal(prev, r.Head.Hash):
		r.Break = &Break{Seq: last, Code: BreakHead, Expected: hex.EncodeToString(r.Head.Hash), Found: hex.EncodeToString(prev)}
	default:
		for _, a := range anchors {
			if a.Seq > last {
				r.Break = &Break{Seq: a.Seq, Code: BreakAnchor, Expected: hex.EncodeToString(a.Hash), Found: "geen regel"}
				break
			}
		}
	}
	return r, nil
}

// check compares one row with the chain so far: its seq must be next, its
// fields must give its hash, its prev_hash must be the previous row's hash
// and an anchor at its seq must have its hash.
func check(e *Entry, next int64, prev []byte, anchors map[int64][]byte) *Break {
	if e.Seq != next {
		return &Break{Seq: next, Code: BreakGap, Expected: strconv.FormatInt(next, 10), Found: strconv.FormatInt(e.Seq, 10)}
	}
	// The detail is hashed as stored: Append stores the compact form it hashed.
	h := chainHash(e.PrevHash, e.Seq, digest(e.At, &e.Event, e.Detail))
	if !bytes.Equal(h[:], e.Hash) {
		return &Break{Seq: e.Seq, Code: BreakAltered, Expected: hex.EncodeToString(h[:]), Found: hex.EncodeToString(e.Hash)}
	}
	if !bytes.Equal(e.PrevHash, prev) {
		return &Break{Seq: e.Seq, Code: BreakLink, Expected: hex.EncodeToString(prev), Found: hex.EncodeToString(e.PrevHash)}
	}
	if a, ok := anchors[e.Seq]; ok && !bytes.Equal(a, e.Hash) {
		return &Break{Seq: e.Seq, Code: BreakAnchor, Expected: hex.EncodeToString(a), Found: hex.EncodeToString(e.Hash)}
	}
	return nil
}

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = `seq, at, event, action, client, related, user_id, acting_for, organisation, role, purpose,
    categories, basis_kind, basis_ref, emergency, outcome, source, request_id, coalesce(detail::text, ''), prev_hash, hash`

// scanEntry reads one row of entryColumns.
func scanEntry(rows pgx.Rows) (Entry, error) {
	var e Entry
	var detail string
	err := rows.Scan(&e.Seq, &e.At, &e.Type, &e.Action, &e.Client, &e.Related, &e.User, &e.ActingFor, &e.Organisation,
		&e.Role, &e.Purpose, &e.Categories, &e.Basis.Kind, &e.Basis.Ref, &e.Emergency, &e.Outcome, &e.Source,
		&e.RequestID, &detail, &e.PrevHash, &e.Hash)
	if err != nil {
		return e, fmt.Errorf("read audit row: %w", err)
	}
	if detail != "" {
		e.Detail = []byte(detail)
	}
	return e, nil
}

// Head returns the chain's head: the seq and hash of the last row. Written
// down outside the database (a daily note, a ticket, a signed mail) it is an
// anchor for Verify. It returns an error when the database cannot be read.
func (l *Log) Head(ctx context.Context) (Link, error) {
	var h Link
	if err := l.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_head`).Scan(&h.Seq, &h.Hash); err != nil {
		return Link{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return h, nil
}
