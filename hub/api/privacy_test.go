package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// The example region's partners.
var examplePartners = []string{"gemeente-szw", "ggz-oost", "opvang-zuid"}

// chain is a hub on real PostgreSQL behind a real HTTP server: the store,
// the client registry, the consent registry, the decision point with the
// example region's roles.yaml, the audit trail and the API.
type chain struct {
	t        *testing.T
	st       *store.Store
	reg      *clients.Registry
	consents *consent.Registry
	engine   *policy.Engine
	audit    *audit.Log
	creds    *credentials
	srv      *httptest.Server
	logs     *logBuffer
	// regs are the seeded registrations by record key, clients their chain
	// client ids by record key.
	regs    map[string]sdk.Registration
	clients map[string]string
}

func newChain(t *testing.T) *chain {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	keys, err := clients.NewKeys(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{t: t, st: st, audit: audit.New(st.Pool(), audit.Options{Logger: slog.New(slog.DiscardHandler)}),
		creds: newCredentials(t, examplePartners...), logs: &logBuffer{}, regs: map[string]sdk.Registration{}, clients: map[string]string{}}
	p, err := policy.Load(exampleRoles, policy.LoadOptions{Partners: examplePartners})
	if err != nil {
		t.Fatal(err)
	}
	c.consents = consent.NewRegistry(st.Pool(), func() consent.Rules { return c.engine.ConsentRules() }, consent.Options{})
	c.engine = policy.NewEngine(p, c.consents, policy.EngineOptions{Partners: examplePartners, Logger: slog.New(slog.DiscardHandler)})
	c.reg = clients.New(st.Pool(), keys, clients.Options{Logger: slog.New(slog.DiscardHandler),
		OnLinkChange: func(ctx context.Context, tx pgx.Tx, changes []clients.LinkChange) error {
			return c.audit.Append(ctx, tx, api.LinkChangeEvents(audit.Event{User: "hub", Source: "pipeline"}, changes)...)
		}})
	h, err := api.New(api.Config{Store: st, Auth: c.creds.auth, Policy: c.engine, Audit: c.audit, Clients: c.reg,
		Consents: c.consents, OperatorToken: token, Ready: st.Ping,
		Logger: slog.New(slog.NewJSONHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	c.srv = httptest.NewServer(h)
	t.Cleanup(c.srv.Close)
	return c
}

// store stores registrations of one partner the way the pipeline's store
// stage does (BSN taken out, linked in the same transaction).
func (c *chain) store(partner string, regs map[string]sdk.Registration) {
	c.t.Helper()
	ctx := context.Background()
	var keys []string
	for k := range regs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var inputs []clients.Input
	err := c.st.InTx(ctx, func(tx pgx.Tx) error {
		for _, k := range keys {
			reg := regs[k]
			reg.SchemaVersion, reg.Source, reg.Operation = "1", sdk.Source{Partner: partner, RecordKey: k}, sdk.OpNew
			c.regs[k] = reg
			b, err := json.Marshal(reg)
			if err != nil {
				return err
			}
			_, stripped, err := clients.SplitClient(b)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO registrations (partner, record_key, status, operation, content_hash, data, document_id, line)
				VALUES ($1, $2, 'active', 'new', '\x00', $3, '01DOC', 1)
				ON CONFLICT (partner, record_key) DO UPDATE SET data = EXCLUDED.data, feed_seq = nextval('feed_seq'), updated_at = now()`,
				partner, k, stripped); err != nil {
				return err
			}
			inputs = append(inputs, clients.Input{RecordKey: k, Client: reg.Client})
		}
		res, err := c.reg.LinkChunk(ctx, tx, partner, inputs)
		if err != nil {
			return err
		}
		for i, k := range keys {
			c.clients[k] = res[i].ClientID
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// record records a consent statement directly in the registry (as set-up).
func (c *chain) record(client string, ch consent.Change) {
	c.t.Helper()
	ch.ClientID = c.clients[client]
	if ch.RecordedBy.ID == "" {
		ch.RecordedBy = consent.Recorder{Kind: "user", ID: "u-regie", Organisation: "gemeente-szw", Role: "regievoerder"}
	}
	err := c.st.InTx(context.Background(), func(tx pgx.Tx) error {
		_, err := c.consents.Record(context.Background(), tx, ch)
		return err
	})
	if err != nil {
		c.t.Fatalf("record consent for %s: %v", client, err)
	}
}

// response is one HTTP answer.
type response struct {
	status    int
	body      []byte
	requestID string
}

func (c *chain) do(method, path, authz string, body any) response {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: b, requestID: resp.Header.Get("X-Request-Id")}
}

// disclosed returns the clients of the disclosure events of one request, by
// outcome.
func (c *chain) disclosed(requestID string, outcome audit.Outcome) []string {
	c.t.Helper()
	rows, err := c.st.Pool().Query(context.Background(), `SELECT DISTINCT client FROM audit_log
		WHERE request_id = $1 AND event = 'disclosure' AND outcome = $2 ORDER BY client`, requestID, string(outcome))
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// The people of the matrix. A is known to the shelter and the GGZ, C to the
// GGZ and the municipality; R1 and R2 may be one person (the review queue).
var (
	personA  = sdk.Client{BSN: "637337670", Surname: "Bakker", FirstNames: "Anna", BirthDate: "1985-03-14", Gender: "vrouw"}
	personB  = sdk.Client{Surname: "Visser", FirstNames: "Klaas", BirthDate: "1990-05-06", Gender: "man"}
	personC  = sdk.Client{BSN: "250591960", Surname: "Vries", SurnamePrefix: "de", FirstNames: "Pieter", BirthDate: "1975-11-02", Gender: "man"}
	personD  = sdk.Client{BSN: "552619292", Surname: "Mulder", FirstNames: "Fatima", BirthDate: "1988-07-21", Gender: "vrouw"}
	personE  = sdk.Client{BSN: "314202699", Surname: "Hendriks", FirstNames: "Henk", BirthDate: "1962-01-30", Gender: "man"}
	personF  = sdk.Client{Surname: "Peters", FirstNames: "Sanne", BirthDate: "2001-09-09", Gender: "vrouw"}
	personR1 = sdk.Client{Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-15", Gender: "man"}
	personR2 = sdk.Client{Surname: "Smit", FirstNames: "Jan", BirthDate: "1970-06-16", Gender: "man"}
)

// matrixRegs are the registrations of the matrix, in the order of the grid's columns.
var matrixRegs = []string{"opv-a", "ggz-a", "opv-b", "ggz-c", "gem-c", "gem-d", "ggz-e", "opv-f", "opv-r", "gem-r"}

// person of each registration, for lookups.
var personOf = map[string]sdk.Client{"opv-a": personA, "ggz-a": personA, "opv-b": personB, "ggz-c": personC, "gem-c": personC,
	"gem-d": personD, "ggz-e": personE, "opv-f": personF, "opv-r": personR1, "gem-r": personR2}

func registration(c sdk.Client, tg, municipality string, s *sdk.Sensitive) sdk.Registration {
	return sdk.Registration{Client: c, TargetGroup: tg, Municipality: municipality, ProcessStep: "triage",
		ResponsibleWorker: &sdk.ResponsibleWorker{Name: "K. de Wit", Organisation: "keten"},
		LifeDomains: map[string]sdk.LifeDomain{"wonen": {Status: "stabiel", Date: "2024-01-01"}, "inkomen": {Status: "stabiel", Date: "2024-01-01"},
			"zorg": {Status: "instabiel"}},
		Sensitive: s}
}

// seed stores the matrix's registrations and consent:
//
//	client  registrations   target group       municipality  consent (zorgcoordinatie, kernpartners)
//	A       opv-a ggz-a     veelpleger         Helmond       given
//	B       opv-b           feitelijk_dakloos  Eindhoven     none
//	C       ggz-c gem-c     zorgmijder         Best          given, then withdrawn
//	D       gem-d           veelpleger         Deurne        expired
//	E       ggz-e           zorgmijder         Asten         bemoeizorg (no consent)
//	F       opv-f           feitelijk_dakloos  Bergen (NH)   given (outside the regions)
//	R1      opv-r           overlastgever      Eindhoven     none
//	R2      gem-r           overlastgever      Helmond       none
func (c *chain) seed() {
	c.t.Helper()
	yes := true
	diagnosis := &sdk.Sensitive{DiagnosisPresent: &yes, DiagnosisClassification: "F20.0"}
	c.store("opvang-zuid", map[string]sdk.Registration{
		"opv-a": registration(personA, "veelpleger", "Helmond", &sdk.Sensitive{DiagnosisPresent: &yes}),
		"opv-b": registration(personB, "feitelijk_dakloos", "Eindhoven", nil),
		"opv-f": registration(personF, "feitelijk_dakloos", "Bergen (NH)", nil),
		"opv-r": registration(personR1, "overlastgever", "Eindhoven", nil),
	})
	c.store("ggz-oost", map[string]sdk.Registration{
		"ggz-a": registration(personA, "veelpleger", "Helmond", diagnosis),
		"ggz-c": registration(personC, "zorgmijder", "Best", diagnosis),
		"ggz-e": registration(personE, "zorgmijder", "Asten", diagnosis),
	})
	c.store("gemeente-szw", map[string]sdk.Registration{
		"gem-c": registration(personC, "zorgmijder", "Best", nil),
		"gem-d": registration(personD, "veelpleger", "Deurne", nil),
		"gem-r": registration(personR2, "overlastgever", "Helmond", nil),
	})
	for _, pair := range [][2]string{{"opv-a", "ggz-a"}, {"ggz-c", "gem-c"}} {
		if c.clients[pair[0]] != c.clients[pair[1]] {
			c.t.Fatalf("%s and %s are not one client", pair[0], pair[1])
		}
	}
	if c.clients["opv-r"] == c.clients["gem-r"] {
		c.t.Fatal("R1 and R2 were linked; they belong in the review queue")
	}
	now := time.Now()
	given := func(client string, from, until time.Time) {
		c.record(client, consent.Change{Recipient: "kernpartners", Purpose: "zorgcoordinatie", State: consent.Given,
			Basis: consent.Toestemming, EvidenceRef: "formulier-" + client, ValidFrom: from, ValidUntil: until})
	}
	given("opv-a", time.Time{}, time.Time{})
	given("ggz-c", time.Time{}, time.Time{})
	c.record("ggz-c", consent.Change{Recipient: "kernpartners", Purpose: "zorgcoordinatie", State: consent.Withdrawn, Basis: consent.Toestemming})
	given("gem-d", now.AddDate(0, 0, -60), now.AddDate(0, 0, -1))
	c.record("ggz-e", consent.Change{Recipient: "kernpartners", Purpose: "zorgcoordinatie", State: consent.Given, Basis: consent.Bemoeizorg,
		Justification: "komt afspraken niet na en is onvindbaar; zorgen over onderdak", ValidUntil: now.AddDate(0, 0, 30)})
	given("opv-f", time.Time{}, time.Time{})
}

// subject is a caller of the matrix.
type subject struct {
	name  string
	authz func(c *chain) string
}

func user(id, org, role string) func(c *chain) string {
	return func(c *chain) string { return c.creds.user(c.t, id, org, role) }
}

func partnerSystem(p string) func(c *chain) string {
	return func(c *chain) string { return c.creds.partner(p) }
}

var matrixSubjects = []subject{
	{"regievoerder", user("u-regie", "gemeente-szw", "regievoerder")},
	{"trajectmanager-veelplegers", user("u-tm", "gemeente-szw", "trajectmanager-veelplegers")},
	{"opvang-medewerker", user("u-opv", "opvang-zuid", "opvang-medewerker")},
	{"ggz-behandelaar", user("u-ggz", "ggz-oost", "ggz-behandelaar")},
	{"privacy-officer", user("u-fg", "gemeente-szw", "privacy-officer")},
	{"ict-beheer", user("u-ict", "gemeente-szw", "ict-beheer")},
	{"beleid", user("u-beleid", "gemeente-szw", "beleid")},
	{"opvang-medewerker-bij-ggz", user("u-x", "ggz-oost", "opvang-medewerker")},
	{"operator", func(*chain) string { return "Bearer " + token }},
	{"partner-ggz-oost", partnerSystem("ggz-oost")},
	{"partner-opvang-zuid", partnerSystem("opvang-zuid")},
	{"partner-gemeente-szw", partnerSystem("gemeente-szw")},
}

// grid says what each subject may see of each registration, per purpose:
// "!" means the request is refused outright (403), else one entry per
// registration in the order of matrixRegs: the visible classes (i identity,
// c chain, s sensitive, x special) or "-" for not shown at all. It is
// written by hand from config/roles.yaml and the consent in seed, not
// computed by the code under test.
var grid = map[string]string{
	//                                         opv-a ggz-a opv-b ggz-c gem-c gem-d ggz-e opv-f opv-r gem-r
	"regievoerder/aanmelding":                    "ic    ic    ic    ic    ic    ic    ic    -     ic    ic",
	"regievoerder/zorgcoordinatie":               "ics   ics   -     -     ics   ics   ics   -     -     ics",
	"trajectmanager-veelplegers/aanmelding":      "ic    ic    -     -     ic    ic    -     -     -     ic",
	"trajectmanager-veelplegers/zorgcoordinatie": "ics ics   -     -     ics   ics   -     -     -     ics",
	"opvang-medewerker/aanmelding":               "ic    ic    ic    -     -     -     -     ic    ic    -",
	"opvang-medewerker/zorgcoordinatie":          "ics   ics   ics   -     -     -     -     ics   ics   -",
	"ggz-behandelaar/aanmelding":                 "!",
	"ggz-behandelaar/zorgcoordinatie":            "icsx  icsx  -     icsx  -     -     icsx  -     -     -",
	"privacy-officer/aanmelding":                 "!",
	"privacy-officer/zorgcoordinatie":            "!",
	"ict-beheer/aanmelding":                      "!",
	"ict-beheer/zorgcoordinatie":                 "!",
	"beleid/aanmelding":                          "!",
	"beleid/zorgcoordinatie":                     "!",
	"opvang-medewerker-bij-ggz/aanmelding":       "!",
	"opvang-medewerker-bij-ggz/zorgcoordinatie":  "!",
	"operator/aanmelding":                        "!",
	"operator/zorgcoordinatie":                   "!",
	"partner-ggz-oost/aanmelding":                "ic    icsx  -     icsx  ic    -     icsx  -     -     -",
	"partner-ggz-oost/zorgcoordinatie":           "ic    icsx  -     icsx  -     -     icsx  -     -     -",
	"partner-opvang-zuid/aanmelding":             "icsx  -     icsx  -     -     -     -     icsx  icsx  -",
	"partner-opvang-zuid/zorgcoordinatie":        "icsx  -     icsx  -     -     -     -     icsx  icsx  -",
	"partner-gemeente-szw/aanmelding":            "-     -     -     ic    icsx  icsx  -     -     -     icsx",
	"partner-gemeente-szw/zorgcoordinatie":       "-     -     -     -     icsx  icsx  -     -     -     icsx",
}

// expectation is one grid row: refused, or the classes per registration.
type expectation struct {
	refused bool
	classes map[string]string // record key -> "ics", absent when not shown
}

func expect(t *testing.T, key string) expectation {
	t.Helper()
	row, ok := grid[key]
	if !ok {
		t.Fatalf("no grid row %s", key)
	}
	if row == "!" {
		return expectation{refused: true}
	}
	cells := strings.Fields(row)
	if len(cells) != len(matrixRegs) {
		t.Fatalf("grid row %s has %d cells", key, len(cells))
	}
	e := expectation{classes: map[string]string{}}
	for i, cell := range cells {
		if cell != "-" {
			e.classes[matrixRegs[i]] = cell
		}
	}
	return e
}

// clientOf returns the client's record keys among the matrix's registrations.
func (c *chain) keysOf(client string) []string {
	var out []string
	for _, k := range matrixRegs {
		if c.clients[k] == client {
			out = append(out, k)
		}
	}
	return out
}

// visibleClients returns the clients with a visible registration, and the
// union of the classes visible per client.
func (c *chain) visibleClients(e expectation) map[string]string {
	out := map[string]string{}
	for k, cl := range e.classes {
		id := c.clients[k]
		for _, r := range cl {
			if !strings.ContainsRune(out[id], r) {
				out[id] += string(r)
			}
		}
	}
	return out
}

// probe is a field of a registration that the matrix looks for, with the
// classes it needs.
type probe struct {
	path  string
	needs string
}

var probes = []probe{
	{"client.bsn", "i"}, {"client.surname", "i"}, {"client.first_names", "i"}, {"client.birth_date", "i"}, {"client.gender", "i"},
	{"source.partner", "c"}, {"process_step", "c"}, {"target_group", "c"}, {"municipality", "c"},
	{"life_domains.wonen.status", "c"}, {"responsible_worker.name", "c"},
	{"sensitive.diagnosis_present", "s"}, {"sensitive.diagnosis_classification", "sx"},
}

// lookupPath returns the value at a dotted path of a decoded JSON object.
func lookupPath(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// checkFields asserts that a shown registration holds exactly the probed
// fields its classes allow (when the stored registration has them), with
// their stored values, and none of the others.
func checkFields(t *testing.T, label string, got json.RawMessage, source sdk.Registration, classes string) {
	t.Helper()
	var g, src any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v: %s", label, err, got)
	}
	b, _ := json.Marshal(source)
	_ = json.Unmarshal(b, &src)
	for _, p := range probes {
		want, inSource := lookupPath(src, p.path)
		inSource = inSource && want != ""
		allowed := true
		for _, need := range p.needs {
			allowed = allowed && strings.ContainsRune(classes, need)
		}
		have, shown := lookupPath(g, p.path)
		switch {
		case allowed && inSource && !shown:
			t.Errorf("%s: %s (classes %s) not shown", label, p.path, classes)
		case allowed && inSource && fmt.Sprint(have) != fmt.Sprint(want):
			t.Errorf("%s: %s = %v, stored %v", label, p.path, have, want)
		case !allowed && shown:
			t.Errorf("%s: %s shown without class %s (classes %s)", label, p.path, p.needs, classes)
		}
	}
}

// TestPrivacyMatrix reads every read path of the API as every subject of
// the example region, for both purposes that show client data, on real
// PostgreSQL through real HTTP, and checks against the grid what is shown
// and what is not: the feed (paged, and what the audit trail records for
// each page), the client overview, the lookup, the access explanation, the
// review queue and the figures for policy.
func TestPrivacyMatrix(t *testing.T) {
	c := newChain(t)
	c.seed()
	var ids []string
	for _, k := range matrixRegs {
		if !slices.Contains(ids, c.clients[k]) {
			ids = append(ids, c.clients[k])
		}
	}
	cases := 0
	for _, sub := range matrixSubjects {
		for _, purpose := range []string{"aanmelding", "zorgcoordinatie"} {
			key := sub.name + "/" + purpose
			e := expect(t, key)
			authz := sub.authz(c)
			visible := c.visibleClients(e)
			t.Run(key+"/feed", func(t *testing.T) {
				cases += len(matrixRegs)
				c.checkFeed(t, authz, purpose, e)
			})
			for _, id := range ids {
				keys := c.keysOf(id)
				t.Run(fmt.Sprintf("%s/overview/%s", key, keys[0]), func(t *testing.T) {
					cases++
					c.checkOverview(t, authz, purpose, id, e)
				})
				t.Run(fmt.Sprintf("%s/access/%s", key, keys[0]), func(t *testing.T) {
					cases++
					c.checkAccess(t, authz, purpose, id, e, visible[id])
				})
				t.Run(fmt.Sprintf("%s/lookup/%s", key, keys[0]), func(t *testing.T) {
					cases++
					c.checkLookup(t, authz, purpose, keys[0], e, visible)
				})
			}
			t.Run(key+"/reviews", func(t *testing.T) {
				cases++
				c.checkReviews(t, sub.name, authz, purpose, e)
			})
		}
		t.Run(sub.name+"/stats", func(t *testing.T) {
			cases++
			c.checkStats(t, sub.name, sub.authz(c))
		})
	}
	t.Logf("privacy matrix: %d subjects x 2 purposes, %d cases", len(matrixSubjects), cases)
	if n, err := c.audit.Verify(context.Background()); err != nil || !n.OK() {
		t.Fatalf("audit trail after the matrix: %+v %v", n, err)
	}
}

// checkFeed reads the whole feed in pages of 3 and compares every item.
func (c *chain) checkFeed(t *testing.T, authz, purpose string, e expectation) {
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		r := c.do("GET", "/v1/registrations?limit=3&purpose="+purpose+"&after="+cursor, authz, nil)
		if e.refused {
			if r.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403: %s", r.status, r.body)
			}
			return
		}
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var page api.Page[store.FeedItem]
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 3 {
			t.Fatalf("page of %d items with limit 3", len(page.Items))
		}
		var shownClients []string
		for _, it := range page.Items {
			want, ok := e.classes[it.RecordKey]
			if !ok {
				t.Errorf("%s shown, must not be", it.RecordKey)
				continue
			}
			if seen[it.RecordKey] {
				t.Errorf("%s shown twice", it.RecordKey)
			}
			seen[it.RecordKey] = true
			if it.ClientID != c.clients[it.RecordKey] {
				t.Errorf("%s: client %s, want %s", it.RecordKey, it.ClientID, c.clients[it.RecordKey])
			}
			checkFields(t, "feed "+it.RecordKey, it.Registration, c.regs[it.RecordKey], want)
			if !slices.Contains(shownClients, it.ClientID) {
				shownClients = append(shownClients, it.ClientID)
			}
		}
		// Every client shown on the page, and no other, is in the audit trail.
		slices.Sort(shownClients)
		if got := c.disclosed(r.requestID, audit.OutcomeSuccess); !slices.Equal(got, shownClients) {
			t.Errorf("audit trail records disclosures %v for a page showing %v", got, shownClients)
		}
		if page.NextCursor == cursor {
			break
		}
		cursor = page.NextCursor
	}
	for k := range e.classes {
		if !seen[k] {
			t.Errorf("%s not shown, must be (classes %s)", k, e.classes[k])
		}
	}
}

// checkOverview reads one client's overview.
func (c *chain) checkOverview(t *testing.T, authz, purpose, id string, e expectation) {
	r := c.do("GET", "/v1/clients/"+id+"?purpose="+purpose, authz, nil)
	var want []string
	for _, k := range c.keysOf(id) {
		if _, ok := e.classes[k]; ok {
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", r.status, r.body)
		}
		if bytes.Contains(r.body, []byte(`"registrations"`)) {
			t.Errorf("a refusal shows registrations: %s", r.body)
		}
		if !e.refused && !slices.Equal(c.disclosed(r.requestID, audit.OutcomeDenied), []string{id}) {
			t.Errorf("the refusal is not in the audit trail")
		}
		return
	}
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var ov struct {
		ClientID      string          `json:"client_id"`
		Identity      json.RawMessage `json:"identity"`
		Registrations []struct {
			RecordKey string `json:"record_key"`
			Link      struct {
				Evidence json.RawMessage `json:"evidence"`
			} `json:"link"`
			Fields map[string]any `json:"-"`
		} `json:"registrations"`
	}
	if err := json.Unmarshal(r.body, &ov); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Registrations []map[string]any `json:"registrations"`
	}
	_ = json.Unmarshal(r.body, &raw)
	var got []string
	identityVisible := false
	for i, pr := range ov.Registrations {
		got = append(got, pr.RecordKey)
		classes := e.classes[pr.RecordKey]
		identityVisible = identityVisible || strings.Contains(classes, "i")
		// The overview shows the chain part and the sensitive part per
		// registration; rebuild it as a registration to probe it.
		m := raw.Registrations[i]
		shaped := map[string]any{}
		for _, f := range []string{"process_step", "target_group", "municipality", "life_domains", "responsible_worker", "sensitive"} {
			if v, ok := m[f]; ok {
				shaped[f] = v
			}
		}
		b, _ := json.Marshal(shaped)
		src := c.regs[pr.RecordKey]
		src.Client, src.Source = sdk.Client{}, sdk.Source{}
		checkFields(t, "overview "+pr.RecordKey, b, src, classes)
		if len(pr.Link.Evidence) > 0 && !strings.Contains(classes, "i") {
			t.Errorf("%s: link evidence shown without identity", pr.RecordKey)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("overview shows %v, want %v", got, want)
	}
	var ident sdk.Client
	_ = json.Unmarshal(ov.Identity, &ident)
	person := personOf[want[0]]
	switch {
	case identityVisible && (ident.Surname != person.Surname || ident.BirthDate != person.BirthDate || ident.BSN != person.BSN):
		t.Errorf("identity %+v, want %+v", ident, person)
	case !identityVisible && ident != (sdk.Client{}):
		t.Errorf("identity %+v shown without identity class", ident)
	}
	if !slices.Equal(c.disclosed(r.requestID, audit.OutcomeSuccess), []string{id}) {
		t.Errorf("the disclosure is not in the audit trail")
	}
}

// checkAccess asks for the caller's own access explanation.
func (c *chain) checkAccess(t *testing.T, authz, purpose, id string, e expectation, classes string) {
	r := c.do("GET", "/v1/clients/"+id+"/access?purpose="+purpose, authz, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var ex api.AccessExplanation
	if err := json.Unmarshal(r.body, &ex); err != nil {
		t.Fatal(err)
	}
	letters := ""
	for _, cl := range ex.Classes {
		letters += map[policy.Class]string{policy.Identity: "i", policy.Chain: "c", policy.Sensitive: "s", policy.Special: "x"}[cl]
	}
	if ex.Allowed != (classes != "") || !sameLetters(letters, classes) || ex.Purpose != purpose || ex.PolicyRevision == "" {
		t.Errorf("explanation allowed %v classes %s, want %v %s: %s", ex.Allowed, letters, classes != "", classes, r.body)
	}
	var partners []string
	for _, ra := range ex.Registrations {
		partners = append(partners, ra.Partner)
		if ra.Basis == nil {
			t.Errorf("registration of %s without basis", ra.Partner)
		}
	}
	var want []string
	for _, k := range c.keysOf(id) {
		if _, ok := e.classes[k]; ok {
			want = append(want, c.regs[k].Source.Partner)
		}
	}
	sort.Strings(partners)
	sort.Strings(want)
	if !slices.Equal(partners, want) {
		t.Errorf("explanation lists %v, want %v", partners, want)
	}
	if !ex.Allowed && len(ex.Reasons) == 0 {
		t.Errorf("a refusal without reasons: %s", r.body)
	}
}

func sameLetters(a, b string) bool {
	x, y := strings.Split(a, ""), strings.Split(b, "")
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// checkLookup looks the person of a registration up by BSN or name and
// birth date: only clients the caller may know about come back.
func (c *chain) checkLookup(t *testing.T, authz, purpose, key string, e expectation, visible map[string]string) {
	q := personOf[key]
	r := c.do("POST", "/v1/clients/lookup?purpose="+purpose, authz, q)
	if e.refused {
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", r.status, r.body)
		}
		return
	}
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got api.LookupResponse
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cand := range got.Candidates {
		classes, ok := visible[cand.ClientID]
		if !ok {
			t.Errorf("lookup offers %s, which the caller may not know", cand.ClientID)
			continue
		}
		if cand.ClientID == c.clients[key] {
			found = true
		}
		if !strings.Contains(classes, "i") && (len(cand.Evidence.Fields) > 0 || cand.Rule != "") {
			t.Errorf("lookup shows evidence of %s without identity: %+v", cand.ClientID, cand)
		}
		if ref := cand.Evidence.With; ref.RecordKey != "" {
			if _, ok := e.classes[ref.RecordKey]; !ok {
				t.Errorf("lookup evidence names %s, which the caller may not see", ref.RecordKey)
			}
		}
	}
	if _, ok := visible[c.clients[key]]; ok != found {
		t.Errorf("client of %s found %v, want %v: %s", key, found, ok, r.body)
	}
	for _, secret := range []string{q.Surname, q.BirthDate} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Errorf("lookup answer repeats %q", secret)
		}
	}
}

// checkReviews reads the review queue: an item is shown when both its
// registrations are.
func (c *chain) checkReviews(t *testing.T, name, authz, purpose string, e expectation) {
	r := c.do("GET", "/v1/reviews?purpose="+purpose, authz, nil)
	if name != "regievoerder" { // the only role with review_matches
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", r.status, r.body)
		}
		return
	}
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var page api.Page[clients.ReviewItem]
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	_, a := e.classes["opv-r"]
	_, b := e.classes["gem-r"]
	if want := a && b; want != (len(page.Items) == 1) || len(page.Items) > 1 {
		t.Fatalf("review queue %s, want the R1/R2 item: %v", r.body, want)
	}
	for _, it := range page.Items {
		for _, side := range []clients.ReviewSide{it.Registration, it.Other} {
			classes := e.classes[side.RecordKey]
			if (side.Client.Surname != "") != strings.Contains(classes, "i") {
				t.Errorf("review side %s: identity %+v with classes %s", side.RecordKey, side.Client, classes)
			}
		}
	}
}

// checkStats reads the figures: only the role beleid, counts only.
func (c *chain) checkStats(t *testing.T, name, authz string) {
	r := c.do("GET", "/v1/stats", authz, nil)
	if name != "beleid" {
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", r.status, r.body)
		}
		return
	}
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, p := range []sdk.Client{personA, personB, personC, personD, personE, personF, personR1} {
		for _, v := range []string{p.Surname, p.BirthDate, p.BSN} {
			if v != "" && bytes.Contains(r.body, []byte(v)) {
				t.Errorf("figures contain %q", v)
			}
		}
	}
	if bytes.Contains(r.body, []byte("kc-")) || bytes.Contains(r.body, []byte("opv-")) {
		t.Errorf("figures contain a client id or record key: %s", r.body)
	}
	var rep struct {
		Clients struct {
			Cells [][]*int `json:"cells"`
			Total *int     `json:"total"`
		} `json:"clients"`
	}
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	for _, row := range rep.Clients.Cells {
		for _, v := range row {
			if v != nil && *v > 0 && *v < 5 {
				t.Errorf("a cell of %d clients is published", *v)
			}
		}
	}
	if rep.Clients.Total == nil || *rep.Clients.Total != 8 {
		t.Errorf("total %v, want 8 clients", rep.Clients.Total)
	}
}

// TestConsentChangeStopsNextRead: a worker withdraws a client's consent for
// her organisation through the API; the very next read no longer shows the
// other partner's registration, while what rests on other grounds stays.
// The partner then delivers new consent (consent.v1, by its record key) and
// the registration shows again. Each change is in the audit trail.
func TestConsentChangeStopsNextRead(t *testing.T) {
	c := newChain(t)
	c.seed()
	opv := c.creds.user(t, "u-opv", "opvang-zuid", "opvang-medewerker")
	a := c.clients["opv-a"]
	overview := func() []string {
		t.Helper()
		r := c.do("GET", "/v1/clients/"+a+"?purpose=zorgcoordinatie", opv, nil)
		if r.status != http.StatusOK {
			t.Fatalf("overview: %d %s", r.status, r.body)
		}
		var ov clients.Overview
		_ = json.Unmarshal(r.body, &ov)
		var keys []string
		for _, pr := range ov.Registrations {
			keys = append(keys, pr.RecordKey)
		}
		sort.Strings(keys)
		return keys
	}
	if got := overview(); fmt.Sprint(got) != "[ggz-a opv-a]" {
		t.Fatalf("before: %v", got)
	}
	r := c.do("POST", "/v1/clients/"+a+"/consents", opv, api.ConsentRequest{Recipient: "opvang-zuid", Purpose: "zorgcoordinatie",
		State: "withdrawn", LegalBasis: "toestemming"})
	if r.status != http.StatusCreated {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	var rec api.ConsentRecord
	_ = json.Unmarshal(r.body, &rec)
	if rec.ClientID != a || rec.State != "withdrawn" || rec.RecordedBy.ID != "u-opv" || rec.RecordedBy.Role != "opvang-medewerker" || rec.Source != "api" {
		t.Errorf("recorded %+v", rec)
	}
	if got := overview(); fmt.Sprint(got) != "[opv-a]" {
		t.Fatalf("the read after the withdrawal still shows %v", got)
	}
	// The withdrawal was for opvang-zuid only: the GGZ still sees the shelter's registration.
	rg := c.do("GET", "/v1/clients/"+a+"?purpose=zorgcoordinatie", c.creds.partner("ggz-oost"), nil)
	if rg.status != http.StatusOK || !bytes.Contains(rg.body, []byte(`"record_key":"opv-a"`)) {
		t.Errorf("ggz-oost after a withdrawal for opvang-zuid: %d %s", rg.status, rg.body)
	}

	// A partner delivers consent by its own record key.
	doc := map[string]any{"schema_version": "1", "source": map[string]string{"partner": "opvang-zuid", "consent_key": "tst-77"},
		"client": map[string]string{"record_key": "opv-a"}, "recipient": "opvang-zuid", "purpose": "zorgcoordinatie",
		"state": "given", "legal_basis": "toestemming", "evidence_ref": "dossier opv-a, formulier 2025-02", "registered_by": map[string]string{"id": "mw-12"}}
	if r := c.do("POST", "/v1/partners/ggz-oost/consents", c.creds.partner("opvang-zuid"), doc); r.status != http.StatusForbidden {
		t.Errorf("delivery on another partner's path: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/v1/partners/opvang-zuid/consents", c.creds.partner("opvang-zuid"), doc)
	if r.status != http.StatusCreated {
		t.Fatalf("partner delivery: %d %s", r.status, r.body)
	}
	_ = json.Unmarshal(r.body, &rec)
	if rec.ClientID != a || rec.Source != "partner:opvang-zuid" || rec.SourceRef != "tst-77" || rec.RecordedBy.ActingFor != "opvang-zuid:mw-12" {
		t.Errorf("delivered %+v", rec)
	}
	if got := overview(); fmt.Sprint(got) != "[ggz-a opv-a]" {
		t.Fatalf("after new consent: %v", got)
	}
	// Refused: a delivery that breaks the schema, a bemoeizorg grant by a
	// role that may not, a consent change by a role without manage_consent.
	named := maps(doc, "registered_by", map[string]string{"id": "Karin de Wit"})
	if r := c.do("POST", "/v1/partners/opvang-zuid/consents", c.creds.partner("opvang-zuid"), named); r.status != http.StatusBadRequest ||
		!bytes.Contains(r.body, []byte("registered_by.id")) {
		t.Errorf("a worker named by name: %d %s", r.status, r.body)
	}
	bad := maps(doc, "state", "misschien")
	if r := c.do("POST", "/v1/partners/opvang-zuid/consents", c.creds.partner("opvang-zuid"), bad); r.status != http.StatusBadRequest ||
		!bytes.Contains(r.body, []byte("state")) {
		t.Errorf("bad delivery: %d %s", r.status, r.body)
	}
	grant := api.ConsentRequest{Recipient: "opvang-zuid", Purpose: "zorgcoordinatie", State: "given", LegalBasis: "bemoeizorg",
		Justification: "onvindbaar", ValidUntil: time.Now().AddDate(0, 0, 10).Format(time.DateOnly)}
	if r := c.do("POST", "/v1/clients/"+a+"/consents", opv, grant); r.status != http.StatusForbidden {
		t.Errorf("bemoeizorg by opvang-medewerker: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/v1/clients/"+a+"/consents", c.creds.user(t, "u-b", "gemeente-szw", "beleid"),
		api.ConsentRequest{Recipient: "opvang-zuid", Purpose: "zorgcoordinatie", State: "given", LegalBasis: "toestemming", EvidenceRef: "x"}); r.status != http.StatusForbidden {
		t.Errorf("consent by beleid: %d %s", r.status, r.body)
	}
	regie := c.creds.user(t, "u-regie", "gemeente-szw", "regievoerder")
	if r := c.do("POST", "/v1/clients/"+c.clients["opv-b"]+"/consents", regie, grant); r.status != http.StatusCreated {
		t.Errorf("bemoeizorg by the regievoerder: %d %s", r.status, r.body)
	}
	// The history, for those who manage consent; the audit trail has every change.
	r = c.do("GET", "/v1/clients/"+a+"/consents?purpose=zorgcoordinatie", opv, nil)
	var hist api.List[api.ConsentRecord]
	if err := json.Unmarshal(r.body, &hist); err != nil || r.status != http.StatusOK || len(hist.Items) != 3 ||
		hist.Items[1].State != "withdrawn" || hist.Items[2].Effective != "given" {
		t.Fatalf("history: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/clients/"+a+"/consents", c.creds.user(t, "u-ggz", "ggz-oost", "privacy-officer"), nil); r.status != http.StatusForbidden {
		t.Errorf("history for the privacy officer: %d", r.status)
	}
	var changes int
	if err := c.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE event = 'consent_change' AND client = $1 AND outcome = 'success'`, a).Scan(&changes); err != nil || changes != 2 {
		t.Errorf("%d consent changes of the client in the audit trail, want 2 (%v)", changes, err)
	}
	var refused int
	if err := c.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND (event = 'consent_change' OR event = 'auth_failure')`).Scan(&refused); err != nil || refused < 2 {
		t.Errorf("%d refused consent changes in the audit trail (%v)", refused, err)
	}
}

func maps(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// TestRolesChangeTakesEffect changes roles.yaml while the API serves: the
// next read follows the new rules, and no data is lost.
func TestRolesChangeTakesEffect(t *testing.T) {
	c := newChain(t)
	c.seed()
	dir := t.TempDir()
	path := filepath.Join(dir, "roles.yaml")
	orig, err := os.ReadFile(exampleRoles)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	opv := c.creds.user(t, "u-opv", "opvang-zuid", "opvang-medewerker")
	read := func() string {
		t.Helper()
		r := c.do("GET", "/v1/clients/"+c.clients["opv-a"]+"?purpose=zorgcoordinatie", opv, nil)
		if r.status != http.StatusOK {
			t.Fatalf("overview: %d %s", r.status, r.body)
		}
		return string(r.body)
	}
	if !strings.Contains(read(), `"diagnosis_present":true`) {
		t.Fatal("the shelter worker does not see that a diagnosis exists")
	}
	changed := strings.Replace(string(orig), "    organisations: [opvang-zuid]\n    classes: [identity, chain, sensitive]",
		"    organisations: [opvang-zuid]\n    classes: [identity, chain]", 1)
	if changed == string(orig) {
		t.Fatal("the example roles.yaml changed; adapt the test")
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.engine.Reload(path); err != nil {
		t.Fatal(err)
	}
	if got := read(); strings.Contains(got, "diagnosis_present") || !strings.Contains(got, `"surname":"Bakker"`) {
		t.Fatalf("after the change: %s", got)
	}
	// A broken file keeps the rules in force.
	if err := os.WriteFile(path, []byte(changed+"\nroles: [kapot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.engine.Reload(path); err == nil {
		t.Fatal("a broken roles.yaml was put in force")
	}
	if got := read(); strings.Contains(got, "diagnosis_present") {
		t.Fatalf("after a refused change: %s", got)
	}
	// No data lost: the shelter's own system still reads its registrations in full.
	r := c.do("GET", "/v1/registrations?purpose=aanmelding", c.creds.partner("opvang-zuid"), nil)
	var page api.Page[store.FeedItem]
	_ = json.Unmarshal(r.body, &page)
	own := 0
	for _, it := range page.Items {
		if it.Partner == "opvang-zuid" {
			own++
		}
	}
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"diagnosis_present":true`)) || own != 4 {
		t.Fatalf("partner feed after the change: %d %s", r.status, r.body)
	}
}

// TestCorrectionsAndAudit: the review decision, split and merge through the
// API by the regievoerder, each logged as a link change with the
// correction; the privacy officer reads one client's audit report; the
// chain verifies.
func TestCorrectionsAndAudit(t *testing.T) {
	c := newChain(t)
	c.seed()
	ctx := context.Background()
	regie := c.creds.user(t, "u-regie", "gemeente-szw", "regievoerder")
	opv := c.creds.user(t, "u-opv", "opvang-zuid", "opvang-medewerker")
	r := c.do("GET", "/v1/reviews?purpose=aanmelding", regie, nil)
	var page api.Page[clients.ReviewItem]
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Items) != 1 {
		t.Fatalf("reviews: %d %s", r.status, r.body)
	}
	item := page.Items[0]
	// The review needs consent for zorgcoordinatie, which R1 has not given.
	if r := c.do("POST", fmt.Sprintf("/v1/reviews/%d/decision?purpose=zorgcoordinatie", item.ID), regie,
		api.DecisionRequest{Decision: "link", Reason: "zelfde persoon"}); r.status != http.StatusForbidden {
		t.Fatalf("decision without sight of both: %d %s", r.status, r.body)
	}
	if r := c.do("POST", fmt.Sprintf("/v1/reviews/%d/decision?purpose=aanmelding", item.ID), opv,
		api.DecisionRequest{Decision: "link", Reason: "zelfde persoon"}); r.status != http.StatusForbidden {
		t.Fatalf("decision by a role without review_matches: %d %s", r.status, r.body)
	}
	r = c.do("POST", fmt.Sprintf("/v1/reviews/%d/decision?purpose=aanmelding", item.ID), regie,
		api.DecisionRequest{Decision: "link", Reason: "zelfde persoon volgens intake"})
	if r.status != http.StatusOK {
		t.Fatalf("decision: %d %s", r.status, r.body)
	}
	// Linking merges the client of the registration that raised the item into the other.
	survivor, other := item.OtherClientID, item.ClientID
	moved := item.Registration
	r = c.do("POST", "/v1/clients/"+survivor+"/split?purpose=aanmelding", regie,
		api.SplitRequest{Registrations: []clients.RefJSON{{Partner: moved.Partner, RecordKey: moved.RecordKey}}, Reason: "toch twee mensen"})
	var split api.SplitResponse
	if err := json.Unmarshal(r.body, &split); err != nil || r.status != http.StatusCreated {
		t.Fatalf("split: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/v1/clients/"+survivor+"/merge?purpose=aanmelding", regie, api.MergeRequest{ClientID: split.NewClientID, Reason: "toch één persoon"})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"record_key":"`+moved.RecordKey+`"`)) {
		t.Fatalf("merge: %d %s", r.status, r.body)
	}
	// A regievoerder may not merge a client whose identity is out of sight (F, outside the regions).
	if r := c.do("POST", "/v1/clients/"+survivor+"/merge?purpose=aanmelding", regie, api.MergeRequest{ClientID: c.clients["opv-f"], Reason: "x"}); r.status != http.StatusForbidden {
		t.Fatalf("merge with a client out of sight: %d %s", r.status, r.body)
	}
	rows, err := c.st.Pool().Query(ctx, `SELECT action, client, related, user_id, detail::text FROM audit_log WHERE event = 'link_change' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, client, user, detail string
		var related []string
		if err := rows.Scan(&action, &client, &related, &user, &detail); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s<-%v by %s", action, client, related, user))
		if strings.Contains(detail, "intake") || strings.Contains(detail, "mensen") {
			t.Errorf("the free-text reason is in the audit trail: %s", detail)
		}
	}
	rows.Close()
	want := []string{
		fmt.Sprintf("link %s<-[%s] by u-regie", survivor, other),
		fmt.Sprintf("split %s<-[%s] by u-regie", survivor, split.NewClientID),
		fmt.Sprintf("merge %s<-[%s] by u-regie", survivor, split.NewClientID),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("link changes\n%v\nwant\n%v", got, want)
	}

	// The privacy officer's report on the survivor; others may not read it.
	if r := c.do("GET", "/v1/audit/clients/"+survivor, regie, nil); r.status != http.StatusForbidden {
		t.Errorf("audit report for the regievoerder: %d", r.status)
	}
	r = c.do("GET", "/v1/audit/clients/"+survivor, c.creds.user(t, "u-fg", "gemeente-szw", "privacy-officer"), nil)
	var rep audit.ClientReport
	if err := json.Unmarshal(r.body, &rep); err != nil || r.status != http.StatusOK || len(rep.Entries) < 4 {
		t.Fatalf("audit report: %d %s", r.status, r.body)
	}
	// The privacy officer explains what another role sees, without partners named.
	r = c.do("GET", "/v1/clients/"+c.clients["opv-a"]+"/access?role=opvang-medewerker&organisation=opvang-zuid&purpose=zorgcoordinatie",
		c.creds.user(t, "u-fg", "gemeente-szw", "privacy-officer"), nil)
	var ex api.AccessExplanation
	if err := json.Unmarshal(r.body, &ex); err != nil || r.status != http.StatusOK || !ex.Allowed || len(ex.Registrations) != 0 ||
		!slices.Contains(ex.Classes, policy.Sensitive) {
		t.Fatalf("explanation for another role: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/v1/clients/"+c.clients["opv-a"]+"/access?role=ggz-behandelaar&organisation=ggz-oost&purpose=zorgcoordinatie", opv, nil); r.status != http.StatusForbidden {
		t.Errorf("a worker explaining another role: %d %s", r.status, r.body)
	}
	res, err := c.audit.Verify(ctx)
	if err != nil || !res.OK() {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

// TestNoPersonalDataInLogs: a run of every read path leaves no BSN, name or
// birth date in the API's log.
func TestNoPersonalDataInLogs(t *testing.T) {
	c := newChain(t)
	c.seed()
	regie := c.creds.user(t, "u-regie", "gemeente-szw", "regievoerder")
	for _, path := range []string{"/v1/registrations?purpose=aanmelding", "/v1/reviews?purpose=aanmelding",
		"/v1/clients/" + c.clients["opv-a"] + "?purpose=zorgcoordinatie", "/v1/clients/" + c.clients["opv-a"] + "/access?purpose=aanmelding"} {
		if r := c.do("GET", path, regie, nil); r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
	for _, p := range []sdk.Client{personA, personC, personR1} {
		c.do("POST", "/v1/clients/lookup?purpose=aanmelding", regie, p)
		c.do("POST", "/v1/clients/lookup?purpose=aanmelding", "Bearer kapot", p)
	}
	logs := c.logs.String()
	if !strings.Contains(logs, "http request") {
		t.Fatal("nothing logged")
	}
	for _, p := range []sdk.Client{personA, personB, personC, personD, personE, personF, personR1} {
		for _, v := range []string{p.BSN, p.Surname, p.BirthDate} {
			if v != "" && strings.Contains(logs, v) {
				t.Errorf("the log contains %q", v)
			}
		}
	}
}
