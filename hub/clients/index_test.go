package clients_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/identity/quality"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// TestIndexLinksAsDatabase links the same realistic noisy registrations,
// chunk by chunk over several partners, once with the in-memory identity
// index and once reading the candidates from the database, with a small
// block limit so that big blocks occur; then changes the identity of some
// of them. Both registries must make the same chain clients, with the same
// grades and rules.
func TestIndexLinksAsDatabase(t *testing.T) {
	regs, err := quality.Generate(quality.GenConfig{Registrations: 3000, Synthetic: 1800, TwinPairs: 40, ParentChild: 40, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	withIndex := newEnvWith(t, clients.Options{MaxBlock: 8})
	fromDB := newEnvWith(t, clients.Options{MaxBlock: 8, NoIndex: true})

	// Chunks of one partner each, in the generated order.
	type chunk struct {
		partner string
		recs    map[string]sdk.Client
	}
	var chunks []chunk
	for i := 0; i < len(regs); {
		c := chunk{partner: regs[i].Partner, recs: map[string]sdk.Client{}}
		for ; i < len(regs) && regs[i].Partner == c.partner && len(c.recs) < 150; i++ {
			c.recs[regs[i].RecordKey] = regs[i].Client
		}
		chunks = append(chunks, c)
	}
	// The second round: every seventh registration of the first 1000 gets
	// another birth year or surname, delivered again by its partner in one
	// chunk, and a new registration of the person as it was before.
	changed := map[string]chunk{}
	for i := 0; i < 1000; i += 7 {
		c := regs[i].Client
		if i%2 == 0 {
			c.BirthDate = strings.Replace(c.BirthDate, "19", "20", 1)
		} else {
			c.Surname += "a"
		}
		ch, ok := changed[regs[i].Partner]
		if !ok {
			ch = chunk{partner: regs[i].Partner, recs: map[string]sdk.Client{}}
			changed[ch.partner] = ch
		}
		ch.recs[regs[i].RecordKey] = c
		ch.recs[regs[i].RecordKey+"-weer"] = regs[i].Client
	}
	var names []string
	for p := range changed {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		chunks = append(chunks, changed[p])
	}

	a, b := map[string]clients.Result{}, map[string]clients.Result{}
	for _, c := range chunks {
		for k, r := range withIndex.store(c.partner, c.recs) {
			a[c.partner+"/"+k] = r
		}
		for k, r := range fromDB.store(c.partner, c.recs) {
			b[c.partner+"/"+k] = r
		}
	}
	if got, want := partition(a), partition(b); got != want {
		t.Fatalf("the index links otherwise than the database:\nindex:\n%s\ndatabase:\n%s", firstDiff(got, want), firstDiff(want, got))
	}
	for k, ra := range a {
		rb := b[k]
		if ra.Grade != rb.Grade || ra.Rule != rb.Rule || ra.BSNReview != rb.BSNReview {
			t.Errorf("%s: index %v/%s, database %v/%s", k, ra.Grade, ra.Rule, rb.Grade, rb.Rule)
		}
	}
	noLinkWithoutClient(t, withIndex)
	// Both registries stored the same clients: read back what is committed.
	if got, want := storedPartition(t, withIndex), storedPartition(t, fromDB); got != want {
		t.Fatalf("stored clients differ:\n%s", firstDiff(got, want))
	}
}

// partition writes the clients of results as sorted groups of record keys,
// so that two runs with different (random) client ids compare.
func partition(res map[string]clients.Result) string {
	groups := map[string][]string{}
	for k, r := range res {
		groups[r.ClientID] = append(groups[r.ClientID], k)
	}
	return groupsString(groups)
}

func groupsString(groups map[string][]string) string {
	var lines []string
	for _, g := range groups {
		sort.Strings(g)
		lines = append(lines, strings.Join(g, " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func storedPartition(t *testing.T, e *env) string {
	t.Helper()
	rows, err := e.s.Pool().Query(context.Background(), `SELECT client_id, partner || '/' || record_key FROM registration_identity`)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]string{}
	for rows.Next() {
		var c, k string
		if err := rows.Scan(&c, &k); err != nil {
			t.Fatal(err)
		}
		groups[c] = append(groups[c], k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return groupsString(groups)
}

// firstDiff returns the first lines of a that b lacks.
func firstDiff(a, b string) string {
	in := map[string]bool{}
	for _, l := range strings.Split(b, "\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !in[l] && len(out) < 10 {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestIndexSeesOtherNodes runs two registries on one database, as two hub
// nodes do: each must link to what the other stored, see the other's
// corrections (a split), and never what a rolled-back transaction wrote.
func TestIndexSeesOtherNodes(t *testing.T) {
	one := newEnv(t)
	other := &env{t: t, s: one.s, reg: clients.New(one.s.Pool(), one.reg.Keys(), clients.Options{})}
	ctx := context.Background()

	first := one.store("ggz", map[string]sdk.Client{"1": annaNoID})["1"]
	// The other node has never looked: it loads the index and finds Anna.
	got := other.store("opvang", map[string]sdk.Client{"a": annaMarr, "b": annaNoID})
	if got["b"].ClientID != first.ClientID {
		t.Fatalf("the other node made client %s for Anna, want %s (%s)", got["b"].ClientID, first.ClientID, got["b"].Rule)
	}
	// The first node catches up with what the other stored.
	again := one.store("szw", map[string]sdk.Client{"x": annaNoID})["x"]
	if again.ClientID != first.ClientID {
		t.Fatalf("the first node made client %s, want %s", again.ClientID, first.ClientID)
	}

	// A split on the other node moves opvang/b to a new client; the first
	// node must link the next registration of Anna without that one.
	newID, err := other.reg.Split(ctx, first.ClientID, []clients.RefJSON{{Partner: "opvang", RecordKey: "b"}}, clients.Actor{ID: "tester", Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	noLinkWithoutClient(t, one)
	res, err := linkIn(ctx, one, "szw", "y", annaNoID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ClientID == newID {
		t.Fatalf("the first node linked to the split-off client: it did not see the split")
	}

	// A transaction that links and then rolls back leaves nothing behind:
	// a stranger stored in it is not a candidate afterwards.
	stranger := sdk.Client{Surname: "Zwartkruis", FirstNames: "Ottoline", BirthDate: "1961-07-30", Gender: "vrouw"}
	rollback := errors.New("roll back")
	if _, err := linkIn(ctx, one, "ggz", "s1", stranger, rollback); !errors.Is(err, rollback) {
		t.Fatalf("want the rollback, got %v", err)
	}
	after, err := linkIn(ctx, one, "ggz", "s2", stranger, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.Rule != "new" {
		t.Fatalf("the rolled-back registration was a candidate: %s", after.Rule)
	}
}

// linkIn links one registration in its own transaction, which fails with
// fail when that is not nil.
func linkIn(ctx context.Context, e *env, partner, key string, c sdk.Client, fail error) (clients.Result, error) {
	var res clients.Result
	err := e.s.InTx(ctx, func(tx pgx.Tx) error {
		out, err := e.reg.LinkChunk(ctx, tx, partner, []clients.Input{{RecordKey: key, Client: c}})
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		res = out[0]
		return fail
	})
	return res, err
}

// noLinkWithoutClient checks that every link names a stored client (the
// foreign key was dropped for speed, migration 00008).
func noLinkWithoutClient(t *testing.T, e *env) {
	t.Helper()
	var n int
	if err := e.s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM registration_identity ri
		WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = ri.client_id)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Fatalf("%d links name a client that does not exist", n)
	}
}
