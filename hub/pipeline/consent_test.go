package pipeline_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// takerFunc is a ConsentTaker made of a function.
type takerFunc func(ctx context.Context, tx pgx.Tx, partner, documentID string, stmts []sdk.Consent) (consentflow.Result, error)

func (f takerFunc) Take(ctx context.Context, tx pgx.Tx, partner, documentID string, stmts []sdk.Consent) (consentflow.Result, error) {
	return f(ctx, tx, partner, documentID, stmts)
}

// TestConsentStatements: the store stage hands a chunk's statements to the
// consent taker in the transaction that stored the chunk's records (each
// statement's registration is there), once; refused statements are receipt
// errors that do not count as rejected records, and cost their
// registration its source digest.
func TestConsentStatements(t *testing.T) {
	var mu sync.Mutex
	var taken []string
	taker := takerFunc(func(ctx context.Context, tx pgx.Tx, partner, documentID string, stmts []sdk.Consent) (consentflow.Result, error) {
		var res consentflow.Result
		for _, st := range stmts {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM registrations WHERE partner = $1 AND record_key = $2`, partner, st.RecordKey).Scan(&n); err != nil {
				return res, err
			}
			if n != 1 {
				return res, fmt.Errorf("statement for %s before its registration is stored", st.RecordKey)
			}
			mu.Lock()
			taken = append(taken, st.RecordKey)
			mu.Unlock()
			if st.RecordKey == "k013" {
				res.Rejected = append(res.Rejected, sdk.RecordError{Line: st.Line, RecordKey: st.RecordKey, Code: sdk.CodeConsentForbidden, Message: "toestemming: niet toegestaan"})
				continue
			}
			res.Recorded++
		}
		return res, nil
	})
	st, p := runWith(t, oneAdapter{a: &lineAdapter{}}, func(c *pipeline.Config) { c.Consents = taker })
	data := lines(30, map[int]string{3: "Jansen;+", 13: "Jansen;+", 27: "Jansen;+"})
	d := landAndWait(t, st, p, "consent.txt", data)
	c := d.Receipt.Counts
	if d.Status != hub.DocDone || c.Inserted != 30 || c.Rejected != 0 || c.ConsentsRecorded != 2 || c.ConsentsRejected != 1 {
		t.Fatalf("receipt %s %+v", d.Status, c)
	}
	if len(d.Receipt.Errors) != 1 || d.Receipt.Errors[0].Code != sdk.CodeConsentForbidden || d.Receipt.Errors[0].Line != 13 {
		t.Fatalf("errors %+v", d.Receipt.Errors)
	}
	if fmt.Sprint(taken) != "[k003 k013 k027]" {
		t.Fatalf("taken %v", taken)
	}
	var without string
	if err := st.Pool().QueryRow(context.Background(), `SELECT string_agg(record_key, ',' ORDER BY record_key) FROM registrations
		WHERE record_key IN ('k003', 'k013', 'k027') AND source_digest IS NULL`).Scan(&without); err != nil || without != "k013" {
		t.Fatalf("registrations without source digest %q (%v), want only k013's, whose statement was refused", without, err)
	}
}

// TestConsentStatementsWithoutTaker: a hub without a consent taker refuses
// every statement with CONSENT_UNSUPPORTED and keeps the records.
func TestConsentStatementsWithoutTaker(t *testing.T) {
	st, p := run(t, oneAdapter{a: &lineAdapter{}})
	d := landAndWait(t, st, p, "consent.txt", lines(5, map[int]string{2: "Jansen;+"}))
	c := d.Receipt.Counts
	if c.Inserted != 5 || c.Rejected != 0 || c.ConsentsRejected != 1 || len(d.Receipt.Errors) != 1 || d.Receipt.Errors[0].Code != sdk.CodeConsentUnsupported {
		t.Fatalf("receipt %+v, errors %+v", c, d.Receipt.Errors)
	}
}
