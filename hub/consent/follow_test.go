package consent_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/consent"
)

// link puts registrations (partner/key) with client in the tables of
// hub/clients, as its registry would.
func (e *env) link(t *testing.T, client string, regs ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.st.Pool().Exec(ctx, `INSERT INTO clients (id) VALUES ($1) ON CONFLICT DO NOTHING`, client); err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		p, k, _ := strings.Cut(r, "/")
		if _, err := e.st.Pool().Exec(ctx, `INSERT INTO registration_identity (partner, record_key, client_id, features, blocks, grade, rule)
			VALUES ($1, $2, $3, '', '{}', 'certain', 'new')
			ON CONFLICT (partner, record_key) DO UPDATE SET client_id = EXCLUDED.client_id`, p, k, client); err != nil {
			t.Fatal(err)
		}
	}
}

// follow runs Follow for clients in its own transaction.
func (e *env) follow(t *testing.T, rule string, clients ...string) []consent.Move {
	t.Helper()
	var moves []consent.Move
	err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		var err error
		moves, err = e.reg.Follow(context.Background(), tx, clients, rule)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return moves
}

// applies returns the ids of the rows that apply to client now.
func (e *env) applies(t *testing.T, client string) []int64 {
	t.Helper()
	cur, err := e.reg.Current(context.Background(), []string{client}, []string{"opvang-zuid", "ggz-oost"}, "zorgcoordinatie")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range cur[client] {
		if c.ClientID != client {
			t.Errorf("row %d returned for %s names client %s", c.ID, client, c.ClientID)
		}
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func partnerStatement(client, partner, key string, st consent.State) consent.Change {
	ch := toestemming(client, "opvang-zuid", st)
	ch.RecordedBy = consent.Recorder{Kind: "partner", ID: partner, Organisation: partner}
	ch.Source, ch.SourceRef = "partner:"+partner, key
	ch.Anchors = []consent.Anchor{{Partner: partner, RecordKey: key}}
	return ch
}

// TestFollowMergeAndSplit: consent follows the registration it was given
// for through a merge and a split; a statement recorded for a chain client
// that is split goes with neither, until the two are merged again.
func TestFollowMergeAndSplit(t *testing.T) {
	e := newEnv(t)
	e.link(t, "kc-a", "ggz-oost/g-1")
	e.link(t, "kc-b", "opvang-zuid/o-1")
	ggz := e.mustRecord(t, partnerStatement("kc-a", "ggz-oost", "g-1", consent.Given))
	opv := e.mustRecord(t, partnerStatement("kc-b", "opvang-zuid", "o-1", consent.Given))
	if got := e.applies(t, "kc-a"); !slices.Equal(got, []int64{ggz.ID}) {
		t.Fatalf("before the merge kc-a has %v", got)
	}

	// Merge kc-b into kc-a: both statements apply to kc-a.
	e.link(t, "kc-a", "opvang-zuid/o-1")
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE clients SET merged_into = 'kc-a' WHERE id = 'kc-b'`); err != nil {
		t.Fatal(err)
	}
	moves := e.follow(t, "merge", "kc-a", "kc-b")
	if len(moves) != 1 || moves[0] != (consent.Move{ConsentID: opv.ID, From: "kc-b", To: "kc-a", Rule: "merge"}) {
		t.Fatalf("merge moves %+v", moves)
	}
	if got := e.applies(t, "kc-a"); len(got) != 1 || got[0] != opv.ID {
		// Both apply; the latest per recipient and stream is current.
		t.Fatalf("after the merge kc-a's current row is %v, want the later %d", got, opv.ID)
	}
	h, err := e.reg.History(context.Background(), "kc-a")
	if err != nil || len(h) != 2 || h[1].RecordedFor != "kc-b" || h[1].ClientID != "kc-a" {
		t.Fatalf("history after the merge: %+v, %v", h, err)
	}
	// A statement for the merged client, recorded through the API: anchored
	// to both registrations.
	api := e.mustRecord(t, toestemming("kc-a", "ggz-oost", consent.Given))

	// Split o-1 off to kc-c: the shelter's statement goes with it, the
	// GGZ's stays, the API statement (given for both) goes with neither.
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE clients SET merged_into = NULL WHERE id = 'kc-b'`); err != nil {
		t.Fatal(err)
	}
	e.link(t, "kc-c", "opvang-zuid/o-1")
	moves = e.follow(t, "split", "kc-a", "kc-c")
	want := []consent.Move{{ConsentID: opv.ID, From: "kc-a", To: "kc-c", Rule: "split"}, {ConsentID: api.ID, From: "kc-a", To: "", Rule: "split"}}
	if !slices.Equal(moves, want) {
		t.Fatalf("split moves %+v, want %+v", moves, want)
	}
	if got := e.applies(t, "kc-a"); !slices.Equal(got, []int64{ggz.ID}) {
		t.Errorf("after the split kc-a has %v, want %d", got, ggz.ID)
	}
	if got := e.applies(t, "kc-c"); !slices.Equal(got, []int64{opv.ID}) {
		t.Errorf("after the split kc-c has %v, want %d", got, opv.ID)
	}
	for _, c := range []string{"kc-a", "kc-c"} {
		h, err := e.reg.History(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(h, func(x consent.Consent) bool { return x.ID == api.ID })
		if i < 0 || !h[i].Detached || h[i].ClientID != "" {
			t.Errorf("history of %s does not show the detached row: %+v", c, h)
		}
	}

	// Merged again: the detached row applies again.
	e.link(t, "kc-a", "opvang-zuid/o-1")
	moves = e.follow(t, "review-link", "kc-a", "kc-c")
	if len(moves) != 2 || moves[1] != (consent.Move{ConsentID: api.ID, From: "", To: "kc-a", Rule: "review-link"}) {
		t.Fatalf("moves of the new merge %+v", moves)
	}
	// Nothing changed: nothing moves.
	if moves := e.follow(t, "merge", "kc-a", "kc-c"); len(moves) != 0 {
		t.Errorf("a second Follow moves %+v", moves)
	}
}

// TestFollowUnanchored: a row recorded for a client without registrations
// follows the client into the one it was merged into.
func TestFollowUnanchored(t *testing.T) {
	e := newEnv(t)
	e.link(t, "kc-x")
	e.link(t, "kc-y", "ggz-oost/g-9")
	c := e.mustRecord(t, toestemming("kc-x", "ggz-oost", consent.Given))
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE clients SET merged_into = 'kc-y' WHERE id = 'kc-x'`); err != nil {
		t.Fatal(err)
	}
	moves := e.follow(t, "merge", "kc-y", "kc-x")
	if len(moves) != 1 || moves[0].To != "kc-y" || moves[0].ConsentID != c.ID {
		t.Fatalf("moves %+v", moves)
	}
}

// TestTakeIdempotent: the same statement delivered again records nothing;
// a different one is recorded, also when it repeats an earlier one.
func TestTakeIdempotent(t *testing.T) {
	e := newEnv(t)
	e.link(t, "kc-a", "ggz-oost/g-1")
	take := func(st consent.State, hash string) (consent.Consent, bool) {
		t.Helper()
		ch := partnerStatement("kc-a", "ggz-oost", "g-1", st)
		ch.StatementHash = []byte(hash)
		var c consent.Consent
		var recorded bool
		err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
			var err error
			c, recorded, err = e.reg.Take(context.Background(), tx, ch)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, recorded
	}
	first, ok := take(consent.Given, "h-given")
	if !ok {
		t.Fatal("the first statement is not recorded")
	}
	if again, ok := take(consent.Given, "h-given"); ok || again.ID != first.ID {
		t.Fatalf("the same statement again: recorded %v, row %d (want %d)", ok, again.ID, first.ID)
	}
	// A statement recorded by someone else in between does not make the
	// partner's repeated statement new.
	e.mustRecord(t, toestemming("kc-a", "opvang-zuid", consent.Withdrawn))
	if _, ok := take(consent.Given, "h-given"); ok {
		t.Fatal("the partner's unchanged statement is recorded after another's withdrawal")
	}
	if _, ok := take(consent.Withdrawn, "h-withdrawn"); !ok {
		t.Fatal("the withdrawal is not recorded")
	}
	if _, ok := take(consent.Given, "h-given"); !ok {
		t.Fatal("consent given again after the withdrawal is not recorded")
	}
	h, err := e.reg.History(context.Background(), "kc-a")
	if err != nil || len(h) != 4 {
		t.Fatalf("history: %d rows, %v", len(h), err)
	}
}
