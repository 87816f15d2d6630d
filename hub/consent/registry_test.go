package consent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const day = 24 * time.Hour

var rules = consent.Rules{
	Purposes:        map[string]bool{"zorgcoordinatie": true, "aanmelding": true},
	Recipients:      map[string]bool{"ggz-oost": true, "opvang-zuid": true, "kernpartners": true},
	BemoeizorgRoles: map[string]bool{"regievoerder": true},
	BemoeizorgMax:   90 * day,
	ReviewEvery:     30 * day,
}

// env is a registry on a fresh database with a clock the test moves.
type env struct {
	st  *store.Store
	reg *consent.Registry
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{st: st, now: t0}
	e.reg = consent.NewRegistry(st.Pool(), func() consent.Rules { return rules }, consent.Options{Now: func() time.Time { return e.now }})
	return e
}

// record records ch in its own transaction.
func (e *env) record(t *testing.T, ch consent.Change) (consent.Consent, error) {
	t.Helper()
	var c consent.Consent
	err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		var err error
		c, err = e.reg.Record(context.Background(), tx, ch)
		return err
	})
	return c, err
}

func (e *env) mustRecord(t *testing.T, ch consent.Change) consent.Consent {
	t.Helper()
	c, err := e.record(t, ch)
	if err != nil {
		t.Fatalf("record %+v: %v", ch, err)
	}
	return c
}

var regievoerder = consent.Recorder{Kind: "user", ID: "u-1", Organisation: "gemeente-szw", Role: "regievoerder"}

func toestemming(client, recipient string, st consent.State) consent.Change {
	ch := consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie", State: st,
		Basis: consent.Toestemming, RecordedBy: regievoerder}
	if st == consent.Given {
		ch.EvidenceRef = "getekend formulier, dossier 12"
		ch.ValidUntil = t0.AddDate(1, 0, 0)
	}
	return ch
}

func bemoeizorgChange(client, recipient string, from time.Time, days int) consent.Change {
	return consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie", State: consent.Given,
		Basis: consent.Bemoeizorg, Justification: "ernstige zelfverwaarlozing, zorgmijdend", ValidFrom: from,
		ValidUntil: from.Add(time.Duration(days) * day), RecordedBy: regievoerder}
}

func TestRecordRules(t *testing.T) {
	e := newEnv(t)
	with := func(ch consent.Change, f func(*consent.Change)) consent.Change { f(&ch); return ch }
	base := toestemming("k-1", "ggz-oost", consent.Given)
	bz := bemoeizorgChange("k-1", "ggz-oost", t0, 60)
	tests := []struct {
		name string
		ch   consent.Change
		code string // "" means recorded
	}{
		{"OK", base, ""},
		{"OKToGroup", with(base, func(c *consent.Change) { c.Recipient = "kernpartners" }), ""},
		{"OKOpenEnded", with(base, func(c *consent.Change) { c.ValidUntil = time.Time{} }), ""},
		{"OKRefused", toestemming("k-1", "ggz-oost", consent.Refused), ""},
		{"OKWithdrawn", toestemming("k-1", "ggz-oost", consent.Withdrawn), ""},
		{"OKBemoeizorg", bz, ""},
		{"OKBemoeizorgMax", bemoeizorgChange("k-1", "ggz-oost", t0, 90), ""},
		{"OKBemoeizorgWithdrawnByAnyone", with(bz, func(c *consent.Change) {
			c.State, c.RecordedBy.Role = consent.Withdrawn, "opvang-medewerker"
		}), ""},
		{"OKLegalGround", with(base, func(c *consent.Change) {
			c.Basis, c.LegalReference = consent.WettelijkeGrondslag, "Wvggz art. 6:4, zorgmachtiging"
		}), ""},
		{"ErrNoClient", with(base, func(c *consent.Change) { c.ClientID = " " }), hub.EINVALID},
		{"ErrNoRecorder", with(base, func(c *consent.Change) { c.RecordedBy = consent.Recorder{} }), hub.EINVALID},
		{"ErrRecorderKind", with(base, func(c *consent.Change) { c.RecordedBy.Kind = "robot" }), hub.EINVALID},
		{"ErrUnknownPurpose", with(base, func(c *consent.Change) { c.Purpose = "marketing" }), hub.EINVALID},
		{"ErrUnknownRecipient", with(base, func(c *consent.Change) { c.Recipient = "reclassering" }), hub.EINVALID},
		{"ErrState", with(base, func(c *consent.Change) { c.State = consent.Expired }), hub.EINVALID},
		{"ErrBasis", with(base, func(c *consent.Change) { c.Basis = "mondeling" }), hub.EINVALID},
		{"ErrGivenWithoutEvidence", with(base, func(c *consent.Change) { c.EvidenceRef = "" }), hub.EINVALID},
		{"ErrUntilBeforeFrom", with(base, func(c *consent.Change) { c.ValidFrom, c.ValidUntil = t0, t0 }), hub.EINVALID},
		{"ErrRefusedBemoeizorg", with(bz, func(c *consent.Change) { c.State = consent.Refused }), hub.EINVALID},
		{"ErrBemoeizorgRole", with(bz, func(c *consent.Change) { c.RecordedBy.Role = "opvang-medewerker" }), hub.EFORBIDDEN},
		{"ErrBemoeizorgNoJustification", with(bz, func(c *consent.Change) { c.Justification = "  " }), hub.EINVALID},
		{"ErrBemoeizorgNoEnd", with(bz, func(c *consent.Change) { c.ValidUntil = time.Time{} }), hub.EINVALID},
		{"ErrBemoeizorgTooLong", bemoeizorgChange("k-1", "ggz-oost", t0, 91), hub.EINVALID},
		{"ErrBemoeizorgInThePast", bemoeizorgChange("k-1", "ggz-oost", t0.AddDate(0, 0, -60), 30), hub.EINVALID},
		{"ErrLegalGroundNoReference", with(base, func(c *consent.Change) { c.Basis = consent.WettelijkeGrondslag }), hub.EINVALID},
		{"ErrLongText", with(base, func(c *consent.Change) { c.EvidenceRef = strings.Repeat("x", 2001) }), hub.EINVALID},
		{"ErrLongID", with(base, func(c *consent.Change) { c.ClientID = strings.Repeat("x", 201) }), hub.EINVALID},
		{"ErrNotUTF8", with(base, func(c *consent.Change) { c.Justification = "\xff" }), hub.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.record(t, tt.ch)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("not recorded: %v", err)
				}
				if c.ID == 0 || !c.RecordedAt.Equal(t0) {
					t.Errorf("recorded row %+v", c)
				}
				return
			}
			if hub.ErrorCode(err) != tt.code {
				t.Fatalf("error %v (code %q), want code %q", err, hub.ErrorCode(err), tt.code)
			}
			if strings.Contains(hub.ErrorMessage(err), "k-1") {
				t.Errorf("message names the client: %s", hub.ErrorMessage(err))
			}
		})
	}
}

func TestRecordWithoutRules(t *testing.T) {
	e := newEnv(t)
	reg := consent.NewRegistry(e.st.Pool(), nil, consent.Options{})
	err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		_, err := reg.Record(context.Background(), tx, toestemming("k-1", "ggz-oost", consent.Given))
		return err
	})
	if hub.ErrorCode(err) != hub.EUNAVAILABLE {
		t.Fatalf("record without rules: %v", err)
	}
}

func TestRecordRollsBackWithTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	errAudit := errors.New("audit write failed")
	err := e.st.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := e.reg.Record(ctx, tx, toestemming("k-1", "ggz-oost", consent.Given)); err != nil {
			return err
		}
		return errAudit
	})
	if !errors.Is(err, errAudit) {
		t.Fatal(err)
	}
	h, err := e.reg.History(ctx, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 0 {
		t.Errorf("%d rows survived a rolled-back transaction", len(h))
	}
}

func TestCurrentAndHistory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g1 := e.mustRecord(t, toestemming("k-1", "ggz-oost", consent.Given))
	e.now = t0.Add(time.Hour)
	w1 := e.mustRecord(t, toestemming("k-1", "ggz-oost", consent.Withdrawn))
	grp := e.mustRecord(t, toestemming("k-1", "kernpartners", consent.Given))
	bz := e.mustRecord(t, bemoeizorgChange("k-1", "ggz-oost", e.now, 60))
	e.mustRecord(t, toestemming("k-1", "opvang-zuid", consent.Refused))
	other := toestemming("k-1", "ggz-oost", consent.Given)
	other.Purpose = "aanmelding"
	e.mustRecord(t, other)
	k2 := e.mustRecord(t, toestemming("k-2", "ggz-oost", consent.Refused))

	cur, err := e.reg.Current(ctx, []string{"k-1", "k-2", "k-3"}, []string{"ggz-oost", "kernpartners"}, "zorgcoordinatie")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(cs []consent.Consent) string {
		var parts []string
		for _, c := range cs {
			parts = append(parts, fmt.Sprint(c.ID))
		}
		return strings.Join(parts, ",")
	}
	// k-1: for ggz-oost the withdrawal (consent stream) and the bemoeizorg
	// grant (grant stream), and the group's consent; not opvang-zuid's
	// refusal, nor the other purpose.
	if got, want := ids(cur["k-1"]), fmt.Sprintf("%d,%d,%d", w1.ID, bz.ID, grp.ID); got != want {
		t.Errorf("current of k-1: %s, want %s (rows %d given, %d withdrawn)", got, want, g1.ID, w1.ID)
	}
	if got, want := ids(cur["k-2"]), fmt.Sprint(k2.ID); got != want {
		t.Errorf("current of k-2: %s, want %s", got, want)
	}
	if _, ok := cur["k-3"]; ok {
		t.Error("k-3 has no rows but is in the result")
	}
	b := cur["k-1"][1]
	if b.Basis != consent.Bemoeizorg || b.Justification == "" || b.ReviewDue.IsZero() || b.RecordedBy != regievoerder {
		t.Errorf("bemoeizorg row read back as %+v", b)
	}
	if !b.ValidFrom.Equal(e.now) || !b.ValidUntil.Equal(e.now.Add(60*day)) || !b.ReviewDue.Equal(e.now.Add(30*day)) {
		t.Errorf("bemoeizorg dates %v %v %v", b.ValidFrom, b.ValidUntil, b.ReviewDue)
	}

	h, err := e.reg.History(ctx, "k-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 6 || h[0].ID != g1.ID || h[0].State != consent.Given || h[1].State != consent.Withdrawn {
		t.Errorf("history of k-1: %d rows: %+v", len(h), h)
	}
	if h[0].EvidenceRef == "" || !h[0].RecordedAt.Equal(t0) || h[1].RecordedAt.Equal(t0) {
		t.Errorf("history rows lost their details: %+v", h[:2])
	}

	if cur, err := e.reg.Current(ctx, nil, []string{"ggz-oost"}, "zorgcoordinatie"); err != nil || len(cur) != 0 {
		t.Errorf("Current of no clients: %v, %v", cur, err)
	}
}

func TestCurrentFeedPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ids []string
	err := e.st.InTx(ctx, func(tx pgx.Tx) error {
		for i := range 500 {
			id := fmt.Sprintf("k-%04d", i)
			ids = append(ids, id)
			if i%3 == 0 {
				continue
			}
			if _, err := e.reg.Record(ctx, tx, toestemming(id, "kernpartners", consent.Given)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := e.reg.Current(ctx, ids, []string{"opvang-zuid", "kernpartners"}, "zorgcoordinatie")
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != 333 {
		t.Errorf("%d clients with consent, want 333", len(cur))
	}
}

func TestDueForReview(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	due := func(at time.Time) string {
		t.Helper()
		list, err := e.reg.DueForReview(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range list {
			parts = append(parts, c.ClientID+"/"+c.Recipient)
		}
		return strings.Join(parts, " ")
	}
	e.mustRecord(t, bemoeizorgChange("k-1", "ggz-oost", t0, 90))
	e.mustRecord(t, bemoeizorgChange("k-2", "ggz-oost", t0, 20)) // ends before a review is due
	e.now = t0.Add(time.Hour)
	e.mustRecord(t, bemoeizorgChange("k-3", "opvang-zuid", e.now, 90))
	legal := toestemming("k-4", "ggz-oost", consent.Given)
	legal.Basis, legal.LegalReference = consent.WettelijkeGrondslag, "zorgmachtiging"
	e.mustRecord(t, legal)
	e.mustRecord(t, toestemming("k-5", "ggz-oost", consent.Given))

	if got := due(t0.Add(29 * day)); got != "" {
		t.Errorf("due after 29 days: %q", got)
	}
	if got := due(t0.Add(20 * day)); got != "" {
		t.Errorf("a grant that ends is not due for review: %q", got)
	}
	if got := due(t0.Add(30*day + 2*time.Hour)); got != "k-1/ggz-oost k-3/opvang-zuid" {
		t.Errorf("due after 30 days: %q", got)
	}

	// Reviewing is recording the grant again; withdrawing ends it.
	e.now = t0.Add(31 * day)
	e.mustRecord(t, bemoeizorgChange("k-1", "ggz-oost", e.now, 60))
	w := bemoeizorgChange("k-3", "opvang-zuid", e.now, 60)
	w.State = consent.Withdrawn
	e.mustRecord(t, w)
	if got := due(t0.Add(32 * day)); got != "" {
		t.Errorf("due after review and withdrawal: %q", got)
	}
	if got := due(t0.Add(61 * day)); got != "k-1/ggz-oost" {
		t.Errorf("due 30 days after the review: %q", got)
	}
	// A refusal of consent does not end a grant.
	e.mustRecord(t, toestemming("k-1", "ggz-oost", consent.Refused))
	if got := due(t0.Add(61 * day)); got != "k-1/ggz-oost" {
		t.Errorf("due after a refusal: %q", got)
	}
	if got := due(t0.Add(91 * day)); got != "" {
		t.Errorf("due after the grant ended: %q", got)
	}
}

func TestAppendOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.mustRecord(t, toestemming("k-1", "ggz-oost", consent.Given))
	for _, sql := range []string{
		"UPDATE consents SET state = 'withdrawn' WHERE id = $1",
		"DELETE FROM consents WHERE id = $1",
	} {
		if _, err := e.st.Pool().Exec(ctx, sql, c.ID); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	if _, err := e.st.Pool().Exec(ctx, "TRUNCATE consents CASCADE"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("truncate: %v", err)
	}
	// The table refuses rows that break the rules even past the registry.
	_, err := e.st.Pool().Exec(ctx, `INSERT INTO consents (client_id, recipient, purpose, state, legal_basis, valid_from,
		valid_until, recorded_by_kind, recorded_by_id) VALUES ('k-1', 'ggz-oost', 'zorgcoordinatie', 'given', 'bemoeizorg', now(), NULL, 'user', 'u')`)
	if err == nil {
		t.Error("a bemoeizorg grant without justification or end was stored")
	}
	h, err := e.reg.History(ctx, "k-1")
	if err != nil || len(h) != 1 || h[0].State != consent.Given {
		t.Errorf("history after the attempts: %+v, %v", h, err)
	}
}
