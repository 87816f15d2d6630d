package clients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type env struct {
	t   *testing.T
	s   *store.Store
	reg *clients.Registry
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, clients.Options{})
}

func newEnvWith(t *testing.T, opts clients.Options) *env {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	keys, err := clients.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, s: s, reg: clients.New(s.Pool(), keys, opts)}
}

// store stores registrations of one partner the way the store stage does
// (BSN taken out) and links them in the same transaction.
func (e *env) store(partner string, regs map[string]sdk.Client) map[string]clients.Result {
	e.t.Helper()
	full := map[string]sdk.Registration{}
	for k, c := range regs {
		full[k] = sdk.Registration{Client: c, ProcessStep: "aanmelding", TargetGroup: "dak- en thuislozen"}
	}
	return e.storeFull(partner, full)
}

// storeFull is store for whole registrations; source, schema version and
// operation are filled in.
func (e *env) storeFull(partner string, regs map[string]sdk.Registration) map[string]clients.Result {
	e.t.Helper()
	ctx := context.Background()
	var inputs []clients.Input
	var keys []string
	for k := range regs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		inputs = append(inputs, clients.Input{RecordKey: k, Client: regs[k].Client})
	}
	out := map[string]clients.Result{}
	err := e.s.InTx(ctx, func(tx pgx.Tx) error {
		for _, k := range keys {
			reg := regs[k]
			reg.SchemaVersion, reg.Source, reg.Operation = "1", sdk.Source{Partner: partner, RecordKey: k}, sdk.OpNew
			b, _ := json.Marshal(reg)
			_, stripped, err := clients.SplitClient(b)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO registrations (partner, record_key, status, operation, content_hash, data, document_id, line)
				VALUES ($1, $2, 'active', 'new', '\x00', $3, 'd', 1)
				ON CONFLICT (partner, record_key) DO UPDATE SET data = EXCLUDED.data, feed_seq = nextval('feed_seq')`, partner, k, stripped); err != nil {
				return err
			}
		}
		res, err := e.reg.LinkChunk(ctx, tx, partner, inputs)
		if err != nil {
			return err
		}
		for i, k := range keys {
			out[k] = res[i]
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

var (
	anna     = sdk.Client{BSN: "999993653", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.", FirstNames: "Anna", BirthDate: "1985-03-14", Gender: "vrouw"}
	annaNoID = sdk.Client{Surname: "Berg, van den", Initials: "A", BirthDate: "1985-03-14", Gender: "vrouw"}
	annaMarr = sdk.Client{Surname: "van den Berg-Jansen", FirstNames: "Anna", BirthDate: "1985-03-14", Gender: "vrouw"}
	twin     = sdk.Client{Surname: "van den Berg", FirstNames: "Bert", BirthDate: "1985-03-14", Gender: "man"}
	parent   = sdk.Client{Surname: "van den Berg", FirstNames: "Anna", BirthDate: "1955-03-14", Gender: "vrouw"}
)

func TestLinkAcrossPartners(t *testing.T) {
	e := newEnv(t)
	a := e.store("ggz", map[string]sdk.Client{"4711": anna})
	b := e.store("opvang", map[string]sdk.Client{"x1": annaNoID, "x2": twin, "x3": parent})
	c := e.store("szw", map[string]sdk.Client{"s1": annaMarr})
	if a["4711"].ClientID == "" || b["x1"].ClientID != a["4711"].ClientID {
		t.Fatalf("shelter's Anna not linked: %+v %+v", a, b)
	}
	if c["s1"].ClientID != a["4711"].ClientID {
		t.Fatalf("social services' Anna not linked: %+v", c)
	}
	for _, k := range []string{"x2", "x3"} {
		if b[k].ClientID == a["4711"].ClientID {
			t.Fatalf("%s (twin or parent) merged with Anna: %+v", k, b[k])
		}
	}
	// The link is explained.
	_, link, err := e.reg.Link(context.Background(), "opvang", "x1")
	if err != nil || link.Grade != "certain" || len(link.Evidence) == 0 {
		t.Fatalf("link %+v %v", link, err)
	}
	// Storing the same identities again changes nothing.
	again := e.store("opvang", map[string]sdk.Client{"x1": annaNoID})
	if again["x1"].ClientID != b["x1"].ClientID || again["x1"].Rule != "unchanged" {
		t.Fatalf("relinked: %+v", again)
	}
	// The BSN is not stored in the registration, but encrypted with the link.
	var data string
	if err := e.s.Pool().QueryRow(context.Background(), `SELECT data::text FROM registrations WHERE record_key = '4711'`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(data), []byte(anna.BSN)) {
		t.Fatalf("BSN stored in clear: %s", data)
	}
	ov, err := e.reg.Overview(context.Background(), a["4711"].ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Identity.BSN != anna.BSN || len(ov.Registrations) != 3 {
		t.Fatalf("overview %+v", ov)
	}
}

func TestWrongBSNGoesToReview(t *testing.T) {
	e := newEnv(t)
	a := e.store("ggz", map[string]sdk.Client{"1": anna})
	// Anna's BSN typed into the dossier of someone else entirely.
	other := sdk.Client{BSN: anna.BSN, Surname: "Yilmaz", FirstNames: "Mehmet", BirthDate: "1962-11-02", Gender: "man"}
	b := e.store("opvang", map[string]sdk.Client{"9": other})
	if b["9"].ClientID == a["1"].ClientID {
		t.Fatal("wrong BSN merged two people")
	}
	items, err := e.reg.Reviews(context.Background(), "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Rule != "bsn-conflict" || items[0].Other.Client.BSN != anna.BSN {
		t.Fatalf("review queue %+v", items)
	}
}

func TestInvalidBSNNotUsed(t *testing.T) {
	e := newEnv(t)
	a := e.store("ggz", map[string]sdk.Client{"1": {BSN: "123456789", Surname: "Bakker", FirstNames: "Piet", BirthDate: "1970-01-02", Gender: "man"}})
	b := e.store("opvang", map[string]sdk.Client{"2": {BSN: "123456789", Surname: "Visser", FirstNames: "Klaas", BirthDate: "1990-05-06", Gender: "man"}})
	if !a["1"].BSNInvalid || a["1"].ClientID == b["2"].ClientID {
		t.Fatalf("invalid BSN used as identity: %+v %+v", a, b)
	}
}

func TestReviewSplitMerge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.store("ggz", map[string]sdk.Client{"1": {Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-15", Gender: "man"}})
	// One digit off in the birth date: review, not a link.
	b := e.store("opvang", map[string]sdk.Client{"2": {Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-16", Gender: "man"}})
	if a["1"].ClientID == b["2"].ClientID {
		t.Fatal("linked on a one-digit date difference")
	}
	items, err := e.reg.Reviews(ctx, "", 0, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("reviews %+v %v", items, err)
	}
	if _, err := e.reg.Decide(ctx, items[0].ID, clients.DecisionLink, clients.Actor{}); err == nil {
		t.Fatal("a decision without actor and reason was accepted")
	}
	it, err := e.reg.Decide(ctx, items[0].ID, clients.DecisionLink, clients.Actor{ID: "reviewer", Reason: "zelfde persoon volgens intake"})
	if err != nil || it.Status != "linked" {
		t.Fatalf("decide %+v %v", it, err)
	}
	merged, err := e.reg.Overview(ctx, b["2"].ClientID)
	if err != nil || merged.ClientID != a["1"].ClientID || merged.MergedFrom != b["2"].ClientID || len(merged.Registrations) != 2 {
		t.Fatalf("after link: %+v %v", merged, err)
	}
	// Split them again.
	newID, err := e.reg.Split(ctx, a["1"].ClientID, []clients.RefJSON{{Partner: "opvang", RecordKey: "2"}}, clients.Actor{ID: "reviewer", Reason: "toch twee mensen"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.Split(ctx, newID, []clients.RefJSON{{Partner: "opvang", RecordKey: "2"}}, clients.Actor{ID: "r", Reason: "x"}); err == nil {
		t.Fatal("split that leaves no registration accepted")
	}
	left, _ := e.reg.Overview(ctx, a["1"].ClientID)
	right, _ := e.reg.Overview(ctx, newID)
	if len(left.Registrations) != 1 || len(right.Registrations) != 1 || right.Registrations[0].RecordKey != "2" {
		t.Fatalf("after split: %+v | %+v", left, right)
	}
	// Merge explicitly.
	if err := e.reg.Merge(ctx, a["1"].ClientID, newID, clients.Actor{ID: "reviewer", Reason: "toch één persoon"}); err != nil {
		t.Fatal(err)
	}
	all, _ := e.reg.Overview(ctx, a["1"].ClientID)
	if len(all.Registrations) != 2 {
		t.Fatalf("after merge: %+v", all)
	}
	hist, err := e.reg.History(ctx, a["1"].ClientID)
	if err != nil || len(hist) != 3 || hist[0].Action != "review-link" || hist[1].Action != "split" || hist[2].Action != "merge" {
		t.Fatalf("history %+v %v", hist, err)
	}
	// Every registration is accounted for: one link each.
	var n int
	if err := e.s.Pool().QueryRow(ctx, `SELECT count(*) FROM registrations r JOIN registration_identity ri USING (partner, record_key)`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d linked registrations, %v", n, err)
	}
	noLinkWithoutClient(t, e)
}

func TestLookup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.store("ggz", map[string]sdk.Client{"1": anna, "2": twin})
	got, err := e.reg.Lookup(ctx, sdk.Client{BSN: anna.BSN})
	if err != nil || len(got) == 0 || got[0].ClientID != a["1"].ClientID {
		t.Fatalf("lookup by BSN %+v %v", got, err)
	}
	got, err = e.reg.Lookup(ctx, sdk.Client{Surname: "Berg", SurnamePrefix: "van den", Initials: "A", BirthDate: "1985-03-14", Gender: "vrouw"})
	if err != nil || len(got) != 1 || got[0].ClientID != a["1"].ClientID || got[0].Grade != "certain" {
		t.Fatalf("lookup by name %+v %v", got, err)
	}
	got, err = e.reg.Lookup(ctx, sdk.Client{Surname: "Jansen", FirstNames: "Kees", BirthDate: "2001-01-01"})
	if err != nil || len(got) != 0 {
		t.Fatalf("lookup of unknown person %+v %v", got, err)
	}
}

func TestSplitClientAndInsertBSN(t *testing.T) {
	in := []byte(`{"schema_version":"1","client":{"bsn":"999993653","surname":"Berg","birth_date":"1985"},"process_step":"x"}`)
	c, out, err := clients.SplitClient(in)
	if err != nil || c.BSN != "999993653" || bytes.Contains(out, []byte("999993653")) {
		t.Fatalf("%+v %s %v", c, out, err)
	}
	back := clients.InsertBSN(out, c.BSN)
	var a, b any
	_ = json.Unmarshal(in, &a)
	_ = json.Unmarshal(back, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("round trip\n%s\n%s", ja, jb)
	}
	if got := clients.InsertBSN([]byte(`{"client":{}}`), "1"); string(got) != `{"client":{"bsn":"1"}}` {
		t.Fatalf("empty client: %s", got)
	}
	if _, _, err := clients.SplitClient([]byte(`[1]`)); err == nil {
		t.Fatal("not an object accepted")
	}
}

func TestChangedIdentityRelinks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.store("ggz", map[string]sdk.Client{"1": anna})
	b := e.store("opvang", map[string]sdk.Client{"x1": annaNoID})
	if a["1"].ClientID != b["x1"].ClientID {
		t.Fatal("not linked")
	}
	// The shelter corrects its record: it was someone else all along.
	other := sdk.Client{Surname: "Yilmaz", FirstNames: "Mehmet", BirthDate: "1962-11-02", Gender: "man"}
	c := e.store("opvang", map[string]sdk.Client{"x1": other})
	if c["x1"].ClientID == a["1"].ClientID || c["x1"].ClientID == "" {
		t.Fatalf("changed identity kept its old client: %+v", c)
	}
	hist, err := e.reg.History(ctx, c["x1"].ClientID)
	if err != nil || len(hist) != 1 || hist[0].Action != "relink" || hist[0].OtherClientID != a["1"].ClientID {
		t.Fatalf("history %+v %v", hist, err)
	}
	// Found again under its new identity, not under the old one.
	got, err := e.reg.Lookup(ctx, other)
	if err != nil || len(got) != 1 || got[0].ClientID != c["x1"].ClientID {
		t.Fatalf("lookup of the new identity: %+v %v", got, err)
	}
	got, err = e.reg.Lookup(ctx, annaNoID)
	if err != nil || len(got) != 1 || got[0].ClientID != a["1"].ClientID {
		t.Fatalf("lookup of the old identity: %+v %v", got, err)
	}
	// A client of its own stays its own when its identity changes.
	d := e.store("opvang", map[string]sdk.Client{"x1": {Surname: "Yilmaz", FirstNames: "Mehmet", BirthDate: "1962-11-03", Gender: "man"}})
	if d["x1"].ClientID != c["x1"].ClientID {
		t.Fatalf("sole registration moved to a new client: %+v", d)
	}
}

// TestLinkChangesRecorded: every correction hands its link changes to
// Actor.Record inside its transaction, and a failing Record undoes it.
func TestLinkChangesRecorded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.store("ggz", map[string]sdk.Client{"1": {Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-15", Gender: "man"}})
	b := e.store("opvang", map[string]sdk.Client{"2": {Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-16", Gender: "man"}})
	items, err := e.reg.Reviews(ctx, "", 0, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("reviews %+v %v", items, err)
	}
	var got []string
	actor := clients.Actor{ID: "u-1", Reason: "intake", Record: func(ctx context.Context, tx pgx.Tx, changes []clients.LinkChange) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM client_history`).Scan(&n); err != nil {
			return err
		}
		for _, c := range changes {
			got = append(got, fmt.Sprintf("%s %s<-%v n=%d by=%s rule=%s history=%d", c.Action, c.ClientID, c.Related, c.Registrations, c.By, c.Rule, n))
		}
		return nil
	}}
	failing := actor
	failing.Record = func(context.Context, pgx.Tx, []clients.LinkChange) error { return errors.New("audit down") }
	if _, err := e.reg.Decide(ctx, items[0].ID, clients.DecisionLink, failing); err == nil {
		t.Fatal("a decision whose audit failed was made")
	}
	if ov, _ := e.reg.Overview(ctx, a["1"].ClientID); len(ov.Registrations) != 1 {
		t.Fatalf("the failed decision moved registrations: %+v", ov)
	}
	if _, err := e.reg.Decide(ctx, items[0].ID, clients.DecisionLink, actor); err != nil {
		t.Fatal(err)
	}
	newID, err := e.reg.Split(ctx, b["2"].ClientID, []clients.RefJSON{{Partner: "opvang", RecordKey: "2"}}, actor)
	if err == nil {
		t.Fatalf("split of a merged-away client: %s", newID)
	}
	newID, err = e.reg.Split(ctx, a["1"].ClientID, []clients.RefJSON{{Partner: "opvang", RecordKey: "2"}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Merge(ctx, a["1"].ClientID, newID, actor); err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("link %s<-[%s] n=1 by=u-1 rule=review-link history=1", a["1"].ClientID, b["2"].ClientID),
		fmt.Sprintf("split %s<-[%s] n=1 by=u-1 rule=split history=2", a["1"].ClientID, newID),
		fmt.Sprintf("merge %s<-[%s] n=1 by=u-1 rule=merge history=3", a["1"].ClientID, newID),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recorded\n%v\nwant\n%v", got, want)
	}

	// Keeping apart is recorded too.
	c := e.store("ggz", map[string]sdk.Client{"3": {Surname: "Vos", FirstNames: "Els", BirthDate: "1980-02-03", Gender: "vrouw"}})
	d := e.store("opvang", map[string]sdk.Client{"4": {Surname: "Vos", FirstNames: "Els", BirthDate: "1980-02-04", Gender: "vrouw"}})
	items, err = e.reg.Reviews(ctx, "", 0, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("reviews %+v %v", items, err)
	}
	got = nil
	if _, err := e.reg.Decide(ctx, items[0].ID, clients.DecisionKeepApart, actor); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != fmt.Sprintf("unlink %s<-[%s] n=0 by=u-1 rule=keep-apart history=4", d["4"].ClientID, c["3"].ClientID) {
		t.Errorf("keep apart recorded %v", got)
	}
}

// TestHubLinkChangesReported: the links the hub changes itself (a relink
// after a changed identity) reach Options.OnLinkChange in the chunk's
// transaction; the first link of a registration does not.
func TestHubLinkChangesReported(t *testing.T) {
	var got []clients.LinkChange
	e := newEnvWith(t, clients.Options{OnLinkChange: func(_ context.Context, _ pgx.Tx, changes []clients.LinkChange) error {
		got = append(got, changes...)
		return nil
	}})
	a := e.store("ggz", map[string]sdk.Client{"1": anna})
	b := e.store("opvang", map[string]sdk.Client{"x1": annaNoID})
	if len(got) != 0 || a["1"].ClientID != b["x1"].ClientID {
		t.Fatalf("first links reported as changes: %+v", got)
	}
	c := e.store("opvang", map[string]sdk.Client{"x1": {Surname: "Yilmaz", FirstNames: "Mehmet", BirthDate: "1962-11-02", Gender: "man"}})
	if len(got) != 1 || got[0].Action != clients.ActionLink || got[0].ClientID != c["x1"].ClientID ||
		fmt.Sprint(got[0].Related) != fmt.Sprint([]string{a["1"].ClientID}) || got[0].By != "hub" || got[0].Rule != "relink" {
		t.Fatalf("relink reported as %+v", got)
	}
}

func TestFactsAndActiveRegistrations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	stable := map[string]sdk.LifeDomain{"wonen": {Status: "stabiel", Date: "2024-01-01"}}
	a := e.storeFull("ggz", map[string]sdk.Registration{"1": {Client: anna, TargetGroup: "zorgmijder", Municipality: "Best", ProcessStep: "triage", LifeDomains: stable}})
	e.storeFull("opvang", map[string]sdk.Registration{"x1": {Client: annaNoID, TargetGroup: "feitelijk_dakloos", Municipality: "Eindhoven", ProcessStep: "aanmelding"}})
	e.storeFull("szw", map[string]sdk.Registration{"s1": {Client: annaMarr, TargetGroup: "veelpleger", Municipality: "Helmond"}})
	if _, err := e.s.Pool().Exec(ctx, `UPDATE registrations SET status = 'ended' WHERE partner = 'szw'`); err != nil {
		t.Fatal(err)
	}
	id := a["1"].ClientID
	facts, err := e.reg.Facts(ctx, []string{id, "kc-unknown"})
	if err != nil {
		t.Fatal(err)
	}
	f := facts[id]
	if _, ok := facts["kc-unknown"]; ok || f.ClientID != id ||
		fmt.Sprint(f.Partners) != "[ggz opvang]" || fmt.Sprint(f.TargetGroups) != "[feitelijk_dakloos zorgmijder]" ||
		fmt.Sprint(f.Municipalities) != "[Best Eindhoven]" {
		t.Fatalf("facts %+v", facts)
	}
	var seen []string
	err = e.reg.ActiveRegistrations(ctx, func(r clients.ActiveRegistration) error {
		seen = append(seen, r.Partner+"/"+r.TargetGroup+"/"+r.Municipality+"/"+r.ProcessStep)
		if r.ClientID != id || r.UpdatedAt.IsZero() || r.UpdatedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("registration %+v", r)
		}
		if r.Partner == "ggz" && r.LifeDomains["wonen"] != stable["wonen"] {
			t.Errorf("life domains %+v", r.LifeDomains)
		}
		return nil
	})
	sort.Strings(seen)
	if err != nil || fmt.Sprint(seen) != "[ggz/zorgmijder/Best/triage opvang/feitelijk_dakloos/Eindhoven/aanmelding]" {
		t.Fatalf("active registrations %v %v", seen, err)
	}
	stop := errors.New("stop")
	if err := e.reg.ActiveRegistrations(ctx, func(clients.ActiveRegistration) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("the callback's error was not returned: %v", err)
	}
}
