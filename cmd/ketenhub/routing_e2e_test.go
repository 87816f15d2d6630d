package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/route"
	"github.com/ketenhub/ketenhub/hub/store"
)

// webhookReceiver is opvang-zuid's intake system as the test plays it: it
// checks every request's signature, answers the first with 500, and keeps
// each delivery once, by its delivery id, however often it comes.
type webhookReceiver struct {
	secret []byte
	mu     sync.Mutex
	fail   int
	posts  []webhookPost
	seen   map[string]route.WebhookItem
}

type webhookPost struct {
	status int
	key    string
	err    error
	body   route.WebhookBody
}

func (wr *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p := webhookPost{status: http.StatusOK, key: r.Header.Get(route.IdempotencyHeader),
		err: route.Verify(wr.secret, r.Header.Get(route.SignatureHeader), b, time.Now(), 5*time.Minute)}
	_ = json.Unmarshal(b, &p.body)
	wr.mu.Lock()
	defer wr.mu.Unlock()
	switch {
	case p.err != nil:
		p.status = http.StatusUnauthorized
	case wr.fail > 0:
		wr.fail--
		p.status = http.StatusInternalServerError
	default:
		for _, it := range p.body.Items {
			if _, dup := wr.seen[it.DeliveryID]; !dup {
				wr.seen[it.DeliveryID] = it
			}
		}
	}
	wr.posts = append(wr.posts, p)
	w.WriteHeader(p.status)
}

func (wr *webhookReceiver) snapshot() ([]webhookPost, map[string]route.WebhookItem) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	seen := make(map[string]route.WebhookItem, len(wr.seen))
	for k, v := range wr.seen {
		seen[k] = v
	}
	return append([]webhookPost(nil), wr.posts...), seen
}

// ggzExport is a GGZ Oost export (;-separated, dd-mm-jjjj, M/V, the
// tussenvoegsel in its own column) with a homeless client in Eindhoven and
// a repeat offender in Helmond.
func ggzExport(step string) []byte {
	return []byte("dossiernr;bsn;achternaam;tussenvoegsel;voorletters;voornaam;geboortedatum;geslacht;doelgroep;gemeente;processtap;regievoerder;wonen;inkomen;zorg\r\n" +
		"ggz-9000001;111222333;Berg;van den;A.H.;Anna;05-03-1970;V;feitelijk dakloos;Eindhoven;" + step + ";K. Jansen (IMW);instabiel;stabiel;onbekend\r\n" +
		"ggz-9000002;;Visser;;P.;;01-01-1960;M;veelpleger;Helmond;triage;;stabiel;stabiel;stabiel\r\n")
}

// TestRoutingEndToEnd: a registration dropped by GGZ Oost reaches Opvang
// Zuid's pickup folder in Opvang Zuid's own CSV dialect and its webhook,
// only once consent allows it; a webhook answered 500 is posted again with
// the same delivery id, which the receiver recognises; after the consent is
// withdrawn nothing more arrives.
func TestRoutingEndToEnd(t *testing.T) {
	const secretEnv = "KETENHUB_WEBHOOK_SECRET_OPVANG_ZUID"
	secret := "e2e-webhook-secret-0123456789"
	t.Setenv(secretEnv, secret)
	hook := &webhookReceiver{secret: []byte(secret), fail: 1, seen: map[string]route.WebhookItem{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	opvang, err := os.ReadFile(filepath.Join(repoRoot(), "config", "partners", "opvang-zuid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(opvang), "https://intake.opvang-zuid.example/ketenhub/leveringen", srv.URL+"/leveringen", 1)
	if cfg == string(opvang) {
		t.Fatal("the example opvang-zuid.yaml has no webhook to point at the test's receiver")
	}
	r := newRegion(t, map[string]string{"opvang-zuid": cfg})
	// newRegion writes the example roles.yaml (with its test role) next to the hub file.
	h := r.start(t)
	ctx := waitCtx(t, 5*time.Minute)
	db := r.connect(t, ctx)
	pickup := filepath.Join(r.dir, "data", "pickup", "opvang-zuid")

	// 1. Without consent: the homeless client is selected by Opvang Zuid's
	// subscription, but the decision point refuses; nothing is delivered.
	r.drop(t, "ggz-oost", "ggz-1.csv", ggzExport("triage"))
	rc := r.waitReceipt(t, h, "ggz-oost", "ggz-1.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	if ds := deliveries(t, h, "opvang-zuid"); len(ds) != 0 {
		t.Fatalf("delivered without consent: %+v", ds)
	}
	if n := disclosures(t, ctx, db, "opvang-zuid"); n != 0 {
		t.Fatalf("%d disclosures to opvang-zuid in the audit trail without consent", n)
	}

	// 2. The client consents (recorded in the consent registry).
	client := h.chainClient(t, "ggz-oost", "ggz-9000001")
	recordConsent(t, ctx, db, client, consent.Given)

	// 3. The next change is delivered: a file in Opvang Zuid's dialect and a
	// webhook post (answered 500 first, then posted again).
	r.drop(t, "ggz-oost", "ggz-2.csv", ggzExport("zorgvraagverduidelijking"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-2.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	file := waitFileFor(t, h, filepath.Join(pickup, "*-ggz-oost-*.csv"), 120*time.Second)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := "dossiernr,bsn,achternaam,voorletters,voornaam,geboortedatum,geslacht,doelgroep,gemeente,processtap,regievoerder,wonen,inkomen,zorg\r\n" +
		"ggz-9000001,111222333,van den Berg,A.H.,Anna,1970-03-05,2,feitelijk dakloos,Eindhoven,zorgvraagverduidelijking,K. Jansen (IMW),instabiel,stabiel,onbekend\r\n"
	if string(b) != want {
		t.Fatalf("pickup file in Opvang Zuid's dialect:\n%q\nwant\n%q", b, want)
	}
	var sc route.Sidecar
	sb, err := os.ReadFile(file + route.SidecarSuffix)
	if err != nil || json.Unmarshal(sb, &sc) != nil || len(sc.Items) != 1 || sc.Items[0].Operation != "new" || sc.Items[0].Line != 2 {
		t.Fatalf("sidecar %s: %v", sb, err)
	}
	id := sc.Items[0].DeliveryID

	deadline := time.Now().Add(120 * time.Second)
	for {
		posts, seen := hook.snapshot()
		if len(posts) >= 2 && len(seen) == 1 {
			if posts[0].status != 500 || posts[1].status != 200 || posts[0].key != posts[1].key {
				t.Fatalf("webhook posts %+v", posts)
			}
			for _, p := range posts {
				if p.err != nil || len(p.body.Items) != 1 || p.body.Items[0].DeliveryID != id {
					t.Fatalf("webhook post %+v, want delivery %s", p, id)
				}
			}
			it := seen[id]
			if it.Operation != "new" || it.SourcePartner != "ggz-oost" || it.ClientID != client ||
				!strings.Contains(string(it.Registration), `"bsn":"111222333"`) || strings.Contains(string(it.Registration), "diagnosis") {
				t.Fatalf("webhook item %+v", it)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook posts %+v:\n%s", posts, tail(h.logs.String(), 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	ds := waitDeliveries(t, h, "opvang-zuid", 2, store.DeliveryDelivered)
	for _, d := range ds {
		if d.DeliveryID != id || d.RecordKey != "ggz-9000001" || d.SourcePartner != "ggz-oost" {
			t.Fatalf("delivery %+v", d)
		}
	}

	if n := disclosures(t, ctx, db, "opvang-zuid"); n != 1 {
		t.Fatalf("%d disclosures to opvang-zuid in the audit trail, want 1 (one delivery, two channels)", n)
	}

	// 4. Consent withdrawn: a further change is not routed, nothing new
	// arrives at the folder or the webhook.
	recordConsent(t, ctx, db, client, consent.Withdrawn)
	r.drop(t, "ggz-oost", "ggz-3.csv", ggzExport("trajecttoewijzing"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-3.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	time.Sleep(2 * time.Second) // a delivery, had there been one, would be sent by now
	if ds := deliveries(t, h, "opvang-zuid"); len(ds) != 2 {
		t.Fatalf("routed after the consent was withdrawn: %+v", ds)
	}
	files, _ := filepath.Glob(filepath.Join(pickup, "*.csv"))
	posts, _ := hook.snapshot()
	if len(files) != 1 || len(posts) != 2 || disclosures(t, ctx, db, "opvang-zuid") != 1 {
		t.Fatalf("after withdrawal: files %v, %d webhook posts", files, len(posts))
	}
	h.stop(t)
	if strings.Contains(h.logs.String(), "111222333") || strings.Contains(h.logs.String(), "Berg") {
		t.Fatal("the hub's log holds personal data of the routed registration")
	}
}

// disclosures counts the successful disclosures to a partner in the audit trail.
func disclosures(t *testing.T, ctx context.Context, db *pgx.Conn, partner string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE event = 'disclosure' AND outcome = 'success' AND user_id = $1`,
		partner).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitRouted waits until routing handled the document's accepted registrations.
func waitRouted(t *testing.T, ctx context.Context, db *pgx.Conn, h *hubProc, documentID string) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM routed_chunks WHERE document_id = $1`, documentID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("document %s not routed:\n%s", documentID, tail(h.logs.String(), 3000))
}

func recordConsent(t *testing.T, ctx context.Context, db *pgx.Conn, client string, state consent.State) {
	t.Helper()
	recordConsentFor(t, ctx, db, client, "opvang-zuid", state)
}

// recordConsentFor records the client's consent to share with recipient
// for zorgcoordinatie, as GGZ Oost delivers it.
func recordConsentFor(t *testing.T, ctx context.Context, db *pgx.Conn, client, recipient string, state consent.State) {
	t.Helper()
	pol, err := policy.Load(filepath.Join(repoRoot(), "config", "roles.yaml"), policy.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := consent.NewRegistry(db, pol.ConsentRules, consent.Options{})
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		_, err := reg.Record(ctx, tx, consent.Change{ClientID: client, Recipient: recipient, Purpose: "zorgcoordinatie",
			State: state, Basis: consent.Toestemming, EvidenceRef: "toestemmingsformulier-e2e",
			RecordedBy: consent.Recorder{Kind: "partner", ID: "ggz-oost", Organisation: "ggz-oost"}, Source: "partner:ggz-oost"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deliveries(t *testing.T, h *hubProc, partner string) []store.Delivery {
	t.Helper()
	var page struct {
		Items []store.Delivery `json:"items"`
	}
	if code := h.getJSON(t, "/v1/partners/"+partner+"/deliveries?limit=1000", &page); code != 200 {
		t.Fatalf("deliveries of %s: status %d", partner, code)
	}
	return page.Items
}

// waitDeliveries waits until a partner has n deliveries, all with status.
func waitDeliveries(t *testing.T, h *hubProc, partner string, n int, status string) []store.Delivery {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		ds := deliveries(t, h, partner)
		done := len(ds) == n
		for _, d := range ds {
			done = done && d.Status == status
		}
		if done {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries of %s: %+v", partner, ds)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFileFor is waitFile with a timeout.
func waitFileFor(t *testing.T, h *hubProc, pattern string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no file %s:\n%s", pattern, tail(h.logs.String(), 3000))
	return ""
}

// TestWebhookAddedByReload: Opvang Zuid receives by pickup folder only; its
// file then gains a webhook while the hub runs. Without a restart, the next
// routed registration is posted to the webhook, signed, with the delivery
// id of the pickup file.
func TestWebhookAddedByReload(t *testing.T) {
	const secretEnv = "KETENHUB_WEBHOOK_SECRET_OPVANG_ZUID"
	secret := "e2e-webhook-secret-0123456789"
	t.Setenv(secretEnv, secret)
	hook := &webhookReceiver{secret: []byte(secret), seen: map[string]route.WebhookItem{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	opvang := string(readFile(t, filepath.Join(repoRoot(), "config", "partners", "opvang-zuid.yaml")))
	withHook := strings.Replace(opvang, "https://intake.opvang-zuid.example/ketenhub/leveringen", srv.URL+"/leveringen", 1)
	i := strings.Index(opvang, "  webhook:\n")
	if i < 0 || withHook == opvang {
		t.Fatal("the example opvang-zuid.yaml has no webhook at the end of its receive section")
	}
	pickupOnly := opvang[:i]
	r := newRegion(t, map[string]string{"opvang-zuid": pickupOnly})
	h := r.start(t)
	ctx := waitCtx(t, 5*time.Minute)
	db := r.connect(t, ctx)

	r.drop(t, "ggz-oost", "ggz-1.csv", ggzExport("triage"))
	rc := r.waitReceipt(t, h, "ggz-oost", "ggz-1.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	recordConsent(t, ctx, db, h.chainClient(t, "ggz-oost", "ggz-9000001"), consent.Given)

	before, _ := h.partner(t, "opvang-zuid")
	writeAtomic(t, r.partnerFile("opvang-zuid"), []byte(withHook), 0o640)
	h.waitPartner(t, "opvang-zuid", "the revision with the webhook", func(st hub.PartnerStatus) bool {
		return st.Revision != nil && before.Revision != nil && st.Revision.Hash != before.Revision.Hash
	})

	r.drop(t, "ggz-oost", "ggz-2.csv", ggzExport("zorgvraagverduidelijking"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-2.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	file := waitFileFor(t, h, filepath.Join(r.dir, "data", "pickup", "opvang-zuid", "*-ggz-oost-*.csv"), 120*time.Second)
	var sc route.Sidecar
	if sb, err := os.ReadFile(file + route.SidecarSuffix); err != nil || json.Unmarshal(sb, &sc) != nil || len(sc.Items) != 1 {
		t.Fatalf("sidecar %s: %v", sb, err)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		posts, seen := hook.snapshot()
		if _, ok := seen[sc.Items[0].DeliveryID]; ok {
			for _, p := range posts {
				if p.err != nil {
					t.Fatalf("webhook post not signed right: %v", p.err)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook post of delivery %s after the reload; posts %+v:\n%s", sc.Items[0].DeliveryID, posts, tail(h.logs.String(), 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
