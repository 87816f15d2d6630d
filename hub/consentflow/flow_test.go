package consentflow_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is the hub's consent flow on a fresh database: the example region's
// roles.yaml (ggz-oost's role may also grant bemoeizorg), the client
// registry with consent following its moves, the consent registry and the
// audit trail.
type env struct {
	st     *store.Store
	reg    *consent.Registry
	cl     *clients.Registry
	flow   *consentflow.Flow
	engine *policy.Engine
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	roles, err := os.ReadFile(filepath.Join("..", "..", "config", "roles.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const ops = "    operations: [read_feed, lookup, manage_consent, receive]\n\n  opvang-systeem:"
	if !bytes.Contains(roles, []byte(ops)) {
		t.Fatal("the example roles.yaml changed; adapt the test")
	}
	// ketenpartner-systeem (ggz-oost, gemeente-szw) may grant bemoeizorg; opvang-systeem may not.
	roles = bytes.Replace(roles, []byte(ops), []byte(strings.Replace(ops, "receive]", "receive, grant_bemoeizorg]", 1)), 1)
	pol, err := policy.Parse("roles.yaml", roles, policy.LoadOptions{Partners: []string{"ggz-oost", "opvang-zuid", "gemeente-szw"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st}
	e.reg = consent.NewRegistry(st.Pool(), func() consent.Rules { return e.engine.ConsentRules() }, consent.Options{})
	e.engine = policy.NewEngine(pol, e.reg, policy.EngineOptions{})
	e.flow, err = consentflow.New(consentflow.Config{Registry: e.reg, Policy: e.engine, Audit: audit.New(st.Pool(), audit.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := clients.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.cl = clients.New(st.Pool(), keys, clients.Options{OnMove: e.flow.Follow})
	return e
}

// link links registrations of partner (record key → person) as the store
// stage does, and returns their clients.
func (e *env) link(t *testing.T, partner string, regs map[string]sdk.Client) map[string]string {
	t.Helper()
	var in []clients.Input
	for k, c := range regs {
		in = append(in, clients.Input{RecordKey: k, Client: c})
	}
	out := map[string]string{}
	err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		res, err := e.cl.LinkChunk(context.Background(), tx, partner, in)
		for i, r := range res {
			out[in[i].RecordKey] = r.ClientID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) take(t *testing.T, partner string, stmts ...sdk.Consent) consentflow.Result {
	t.Helper()
	var res consentflow.Result
	err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		var err error
		res, err = e.flow.Take(context.Background(), tx, partner, "doc-1", stmts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// decide asks whether a shelter worker may see ggz-oost's registration of client.
func (e *env) decide(t *testing.T, client string) policy.Decision {
	t.Helper()
	d, err := e.engine.Decide(context.Background(), policy.Request{
		Subject: policy.Subject{Kind: policy.User, ID: "mw-1", Organisation: "opvang-zuid", Role: "opvang-medewerker"},
		Purpose: "zorgcoordinatie", Operation: policy.Lookup, Source: "ggz-oost",
		Client: &policy.ClientFacts{ID: client, Organisations: []string{"opvang-zuid", "ggz-oost"}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// auditRows returns event/action/outcome/user of the audit trail's consent changes.
func (e *env) auditRows(t *testing.T) []string {
	t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT event || '/' || action || '/' || outcome || '/' || user_id || '/' || coalesce(client, '')
		FROM audit_log WHERE event = 'consent_change' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	anna = sdk.Client{BSN: "111222333", Surname: "Berg", Initials: "A.", BirthDate: "1970-03-05", Gender: "vrouw"}
	piet = sdk.Client{Surname: "Visser", Initials: "P.", BirthDate: "1960-01-01", Gender: "man"}
)

func statement(partner, key, state string) sdk.ConsentStatement {
	st := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: partner}, Client: sdk.ConsentClient{RecordKey: key},
		Recipient: "opvang-zuid", Purpose: "zorgcoordinatie", State: state, LegalBasis: sdk.BasisToestemming}
	if state == sdk.ConsentGiven {
		st.EvidenceRef = "toestemmingsformulier " + key
	}
	return st
}

// TestTake: a partner's statements are recorded for the clients of its own
// registrations, with the partner as recorder, audited; the same statement
// again records nothing; a withdrawal denies the next decision; every
// refusal is a coded per-statement error.
func TestTake(t *testing.T) {
	e := newEnv(t)
	ids := e.link(t, "ggz-oost", map[string]sdk.Client{"g-1": anna, "g-2": piet})
	anne := ids["g-1"]
	if d := e.decide(t, anne); d.Allowed {
		t.Fatalf("allowed before any consent: %+v", d)
	}
	res := e.take(t, "ggz-oost", statement("ggz-oost", "g-1", sdk.ConsentGiven).Consent(2))
	if res.Recorded != 1 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v", res)
	}
	if d := e.decide(t, anne); !d.Allowed || d.Basis.Kind != policy.BasisConsent {
		t.Fatalf("not allowed after the partner's consent: %+v", d)
	}
	h, err := e.reg.History(context.Background(), anne)
	if err != nil || len(h) != 1 {
		t.Fatalf("history %+v, %v", h, err)
	}
	if r := h[0]; r.RecordedBy.Kind != "partner" || r.RecordedBy.ID != "ggz-oost" || r.RecordedBy.Role != "ketenpartner-systeem" ||
		r.Source != "partner:ggz-oost" || r.SourceRef != "g-1" {
		t.Errorf("row %+v", r)
	}

	// Delivered again: nothing new, no audit row.
	if res := e.take(t, "ggz-oost", statement("ggz-oost", "g-1", sdk.ConsentGiven).Consent(2)); res.Recorded != 0 || res.Unchanged != 1 {
		t.Fatalf("re-delivery %+v", res)
	}
	// Withdrawn: the next decision denies.
	if res := e.take(t, "ggz-oost", statement("ggz-oost", "g-1", sdk.ConsentWithdrawn).Consent(2)); res.Recorded != 1 {
		t.Fatalf("withdrawal %+v", res)
	}
	if d := e.decide(t, anne); d.Allowed || d.Code() != policy.CodeConsentWithdrawn {
		t.Fatalf("after the withdrawal: %+v", d)
	}
	want := []string{"consent_change/grant/success/ggz-oost/" + anne, "consent_change/withdraw/success/ggz-oost/" + anne}
	if got := e.auditRows(t); !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}

	// Refusals, each with its code; nothing recorded.
	other := statement("gemeente-szw", "g-2", sdk.ConsentGiven)
	noEvidence := statement("ggz-oost", "g-2", sdk.ConsentGiven)
	noEvidence.EvidenceRef = ""
	unknownRecipient := statement("ggz-oost", "g-2", sdk.ConsentGiven)
	unknownRecipient.Recipient = "onbekende-partner"
	bemoeizorg := statement("ggz-oost", "g-2", sdk.ConsentGiven)
	bemoeizorg.LegalBasis, bemoeizorg.EvidenceRef = sdk.BasisBemoeizorg, ""
	bemoeizorg.Justification, bemoeizorg.ValidUntil = "zorgmijdend, dreigt uitgezet te worden", "2999-01-01"
	tooLong := bemoeizorg
	byName := statement("ggz-oost", "g-2", sdk.ConsentWithdrawn)
	byName.RegisteredBy = &sdk.ConsentWorker{ID: "Jan de Vries"}
	clientID := sdk.Consent{Line: 9, RecordKey: "g-2", JSON: []byte(`{"schema_version":"1","source":{"partner":"ggz-oost"},
		"client":{"client_id":"` + anne + `","record_key":"g-2"},"recipient":"opvang-zuid","purpose":"zorgcoordinatie","state":"withdrawn","legal_basis":"toestemming"}`)}
	res = e.take(t, "ggz-oost",
		statement("ggz-oost", "g-404", sdk.ConsentGiven).Consent(3),
		other.Consent(4),
		noEvidence.Consent(5),
		unknownRecipient.Consent(6),
		tooLong.Consent(7),
		byName.Consent(8),
		clientID,
		sdk.Consent{Line: 10, RecordKey: "g-2", JSON: []byte(`{"state":`)},
	)
	codes := map[int]string{}
	for _, p := range res.Rejected {
		codes[p.Line] = p.Code
		if p.RecordKey == "" || p.Message == "" || !strings.HasPrefix(p.Message, "toestemming: ") {
			t.Errorf("problem without key or message: %+v", p)
		}
	}
	wantCodes := map[int]string{3: sdk.CodeConsentSubject, 4: sdk.CodeConsentInvalid, 5: sdk.CodeConsentInvalid, 6: sdk.CodeConsentInvalid,
		7: sdk.CodeConsentInvalid, 8: sdk.CodeConsentInvalid, 9: sdk.CodeConsentInvalid, 10: sdk.CodeConsentInvalid}
	if res.Recorded != 0 || !mapsEqual(codes, wantCodes) {
		t.Fatalf("refusals %+v, want codes %v", res, wantCodes)
	}

	// Bemoeizorg: opvang-zuid's role may not grant it (refused and audited);
	// ggz-oost's may, within the rules (at most 90 days).
	ids = e.link(t, "opvang-zuid", map[string]sdk.Client{"o-7": piet})
	opv := bemoeizorg
	opv.Source.Partner, opv.Client.RecordKey = "opvang-zuid", "o-7"
	opv.ValidUntil = ""
	res = e.take(t, "opvang-zuid", opv.Consent(11))
	if len(res.Rejected) != 1 || res.Rejected[0].Code != sdk.CodeConsentInvalid {
		t.Fatalf("bemoeizorg without end: %+v", res)
	}
	opv.ValidUntil = "2999-01-01"
	res = e.take(t, "opvang-zuid", opv.Consent(11))
	if len(res.Rejected) != 1 || res.Rejected[0].Code != sdk.CodeConsentForbidden || !strings.Contains(res.Rejected[0].Message, "OPERATION_NOT_ALLOWED") {
		t.Fatalf("bemoeizorg by the shelter: %+v", res)
	}
	if got := e.auditRows(t); len(got) != 3 || got[2] != "consent_change/grant/denied/opvang-zuid/"+ids["o-7"] {
		t.Fatalf("audit of the refused grant: %q", got)
	}
	ok := bemoeizorg
	ok.ValidUntil = ""
	res = e.take(t, "ggz-oost", ok.Consent(12))
	if len(res.Rejected) != 1 || res.Rejected[0].Code != sdk.CodeConsentInvalid {
		t.Fatalf("bemoeizorg without an end date: %+v", res)
	}
	ok.ValidUntil = time.Now().AddDate(0, 0, 60).Format(time.DateOnly)
	if res = e.take(t, "ggz-oost", ok.Consent(12)); res.Recorded != 1 {
		t.Fatalf("bemoeizorg within the rules: %+v", res)
	}
	due, err := e.reg.DueForReview(context.Background(), time.Now().AddDate(0, 0, 70))
	if err != nil || len(due) != 0 {
		t.Fatalf("due for review after its end: %+v, %v", due, err)
	}
	due, err = e.reg.DueForReview(context.Background(), time.Now().AddDate(0, 0, 40))
	if err != nil || len(due) != 1 || due[0].ClientID != ids2(e, t) || due[0].RecordedBy.ID != "ggz-oost" {
		t.Fatalf("the partner's grant is not up for review: %+v, %v", due, err)
	}
}

// ids2 is the client of ggz-oost's registration g-2.
func ids2(e *env, t *testing.T) string {
	t.Helper()
	var id string
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT client_id FROM registration_identity WHERE partner = 'ggz-oost' AND record_key = 'g-2'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestConsentFollowsClient: through the client registry's own merge and
// split, on PostgreSQL: after a merge the consents of both clients apply to
// the merged client; after a split each stays with the registration it was
// given for, and one recorded for the merged client goes with neither;
// every move is in the audit trail.
func TestConsentFollowsClient(t *testing.T) {
	e := newEnv(t)
	ggz := e.link(t, "ggz-oost", map[string]sdk.Client{"g-1": anna})["g-1"]
	// Another person, whom a worker merges by mistake.
	gem := e.link(t, "gemeente-szw", map[string]sdk.Client{"s-1": {Surname: "Jansen", Initials: "K.", BirthDate: "1985-11-02", Gender: "man"}})["s-1"]
	if ggz == gem {
		t.Fatal("the test needs two clients")
	}
	st := statement("gemeente-szw", "s-1", sdk.ConsentGiven)
	if res := e.take(t, "gemeente-szw", st.Consent(2)); res.Recorded != 1 {
		t.Fatalf("take %+v", res)
	}
	if e.decide(t, ggz).Allowed {
		t.Fatal("consent of another client applies before the merge")
	}
	actor := clients.Actor{ID: "rv-1", Reason: "zelfde persoon, gecontroleerd bij de balie"}
	if err := e.cl.Merge(context.Background(), ggz, gem, actor); err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, ggz); !d.Allowed {
		t.Fatalf("after the merge the consent does not apply to the merged client: %+v", d)
	}
	// A worker records consent for the merged client (both registrations).
	if err := e.st.InTx(context.Background(), func(tx pgx.Tx) error {
		_, err := e.reg.Record(context.Background(), tx, consent.Change{ClientID: ggz, Recipient: "kernpartners", Purpose: "zorgcoordinatie",
			State: consent.Given, Basis: consent.Toestemming, EvidenceRef: "formulier", RecordedBy: consent.Recorder{Kind: "user", ID: "rv-1"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	split, err := e.cl.Split(context.Background(), ggz, []clients.RefJSON{{Partner: "gemeente-szw", RecordKey: "s-1"}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.decide(t, ggz); d.Allowed {
		t.Fatalf("after the split the other person's consent still applies: %+v", d)
	}
	if d := e.decide(t, split); !d.Allowed || d.Basis.Recipient != "opvang-zuid" {
		t.Fatalf("after the split the consent does not stay with its registration: %+v", d)
	}
	h, err := e.reg.History(context.Background(), split)
	if err != nil || len(h) != 2 || h[0].ClientID != split || !h[1].Detached {
		t.Fatalf("history of the split-off client: %+v, %v", h, err)
	}
	want := []string{"consent_change/grant/success/gemeente-szw/" + gem, "consent_change/move/success/hub/" + ggz,
		"consent_change/move/success/hub/" + split, "consent_change/detach/success/hub/" + ggz}
	if got := e.auditRows(t); !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	var actingFor string
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT acting_for FROM audit_log WHERE action = 'detach'`).Scan(&actingFor); err != nil || actingFor != "rv-1" {
		t.Errorf("the detach is not on behalf of the worker who split: %q, %v", actingFor, err)
	}
}
