package route

import (
	"bufio"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// lineAdapter decodes lines "key;surname;bsn;target_group;municipality;diagnosis;operation"
// and encodes registrations as "key;surname;operation" lines.
type lineAdapter struct{}

func (lineAdapter) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{Name: "lines", Capabilities: []string{"decode", sdk.CapabilityEncode}}, nil
}

func (lineAdapter) Configure(context.Context, string, []byte) error { return nil }

func (lineAdapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	b := sdk.NewBatcher(out, 0)
	sc := bufio.NewScanner(src)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text()+";;;;;;", ";")
		reg := sdk.Registration{SchemaVersion: sdk.SchemaVersion, Source: sdk.Source{Partner: doc.Partner, RecordKey: f[0]},
			Operation: sdk.OpNew, RegisteredAt: doc.ReceivedAt, Client: sdk.Client{Surname: f[1], BSN: f[2], BirthDate: "1970-01-01", Gender: "man"},
			TargetGroup: f[3], Municipality: f[4]}
		if f[5] == "ja" {
			yes := true
			reg.Sensitive = &sdk.Sensitive{DiagnosisPresent: &yes}
		}
		if f[6] != "" {
			reg.Operation = sdk.Operation(f[6])
		}
		if err := b.Add(ctx, sdk.Record{Line: line, RecordKey: f[0], JSON: reg.AppendJSON(nil)}); err != nil {
			return err
		}
	}
	return b.Flush(ctx)
}

func (lineAdapter) Encode(_ context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	res := sdk.EncodeResult{Suffix: ".txt", MediaType: "text/plain"}
	for i, it := range req.Items {
		var reg sdk.Registration
		if err := json.Unmarshal(it.JSON, &reg); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "%s;%s;%s\n", reg.Source.RecordKey, reg.Client.Surname, it.Operation)
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: i + 1})
	}
	return res, nil
}

type adapters struct{}

func (adapters) Adapter(context.Context, string) (sdk.Adapter, error) { return lineAdapter{}, nil }
func (adapters) Encoder(context.Context, string) (sdk.Encoder, error) { return lineAdapter{}, nil }

const testRoles = `version: 1
purposes:
  aanmelding:
    description: Nagaan of de cliënt bekend is.
    consent: not_required
    legal_ground: "Convenant art. 4"
    classes: [identity, chain]
  zorgcoordinatie:
    description: Eén plan.
    consent: required
bemoeizorg:
  max_days: 90
  review_every_days: 30
  classes: [identity, chain]
roles:
  opvang-systeem:
    description: Opvang.
    for: partner
    classes: [identity, chain]
    scope:
      target_groups: [feitelijk_dakloos]
    purposes: [zorgcoordinatie]
    operations: [receive]
  systeem:
    description: Partner.
    for: partner
    classes: [identity, chain]
    scope:
      own_organisation: true
    purposes: [aanmelding, zorgcoordinatie]
    operations: [read_feed, receive]
partners:
  ggz: systeem
  szw: systeem
  wmo: systeem
  opvang: opvang-systeem
`

// world is a hub with routing on a fresh database: partners ggz and szw
// deliver; szw receives its own clients for aanmelding (pickup in its own
// format); opvang receives homeless clients for zorgcoordinatie (jsonl
// pickup and a webhook).
type world struct {
	st       *store.Store
	pipe     *pipeline.Pipeline
	router   *Router
	d        *Deliverer
	dcfg     DelivererConfig
	consents *consent.Registry
	dir      string
	hook     *receiver
	opvang   Recipient
	szw      Recipient
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := clients.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := clients.New(st.Pool(), keys, clients.Options{})
	pol, err := policy.Parse("roles.yaml", []byte(testRoles), policy.LoadOptions{Partners: []string{"ggz", "szw", "opvang", "wmo"}})
	if err != nil {
		t.Fatal(err)
	}
	var engine *policy.Engine
	w := &world{st: st, dir: t.TempDir(), hook: &receiver{secret: []byte("opvang-geheim")}}
	w.consents = consent.NewRegistry(st.Pool(), func() consent.Rules { return engine.ConsentRules() }, consent.Options{})
	engine = policy.NewEngine(pol, w.consents, policy.EngineOptions{})
	aud := audit.New(st.Pool(), audit.Options{})
	v, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		t.Fatal(err)
	}
	w.pipe, err = pipeline.New(ctx, pipeline.Config{Store: st, Adapters: adapters{}, Validator: v, Linker: reg,
		Partners: []pipeline.Partner{{ID: "ggz"}, {ID: "szw"}, {ID: "wmo", EndMissing: true, MaxMissingShare: 1}}, RetryMax: 3, RetryInitialInterval: 10 * time.Millisecond,
		PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.router, err = New(Config{Store: st, Policy: engine, Audit: aud, Keys: keys, Subscriptions: []Subscription{
		{Partner: "szw", Purpose: "aanmelding", Select: Selection{ClientsServed: true}, Channels: []string{store.ChannelPickup}},
		{Partner: "opvang", Purpose: "zorgcoordinatie", Select: Selection{TargetGroups: []string{"feitelijk_dakloos"}},
			Channels: []string{store.ChannelPickup, store.ChannelWebhook}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.pipe.OnAccepted(ctx, "route", func(ctx context.Context, tx pgx.Tx, a pipeline.Accepted) error {
		return w.router.Route(ctx, tx, a.Partner, a.DocumentID, a.Seq, a.RecordKeys)
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.hook)
	w.szw = Recipient{Partner: "szw", BatchSize: 10, Pickup: &Pickup{Folder: filepath.Join(w.dir, "szw"), Format: FormatAdapter}}
	w.opvang = Recipient{Partner: "opvang", BatchSize: 10, Pickup: &Pickup{Folder: filepath.Join(w.dir, "opvang"), Format: FormatJSONL},
		Webhook: &Webhook{URL: srv.URL, Secret: w.hook.secret, Timeout: 5 * time.Second}}
	w.dcfg = DelivererConfig{Store: st, Policy: engine, Audit: aud, Keys: keys, Encoders: adapters{},
		Recipients: []Recipient{w.szw, w.opvang}, PollInterval: 20 * time.Millisecond, InitialBackoff: 50 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond}
	w.d, err = NewDeliverer(w.dcfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.pipe.Run(ctx) }()
	<-w.pipe.Running()
	t.Cleanup(func() { cancel(); wg.Wait(); srv.Close(); st.Close() })
	return w
}

// land drops a document of partner and waits until it is stored and routed.
func (w *world) land(t *testing.T, partner, data string) string {
	t.Helper()
	ctx := context.Background()
	doc, _, err := w.st.Land(ctx, store.Landing{Partner: partner, OriginalName: "x.txt",
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error { return w.pipe.Submit(ctx, tx, partner, id) }}, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		d, err := w.st.Document(ctx, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var routed int
		if err := w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM routed_chunks WHERE document_id = $1`, doc.ID).Scan(&routed); err != nil {
			t.Fatal(err)
		}
		if d.Status == hub.DocFailed {
			t.Fatalf("document failed: %s", d.Failure)
		}
		if d.Status == hub.DocDone && routed > 0 {
			return doc.ID
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("document not stored and routed in time")
	return ""
}

// deliver runs the channel's worker until nothing is due.
func (w *world) deliver(t *testing.T, r Recipient, channel string) {
	t.Helper()
	for range 20 {
		if !w.d.step(context.Background(), r, channel, slog.Default()) {
			return
		}
	}
	t.Fatal("the channel keeps having work")
}

func (w *world) deliveries(t *testing.T, recipient string) []store.Delivery {
	t.Helper()
	ds, err := w.st.Deliveries(context.Background(), recipient, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func (w *world) clientOf(t *testing.T, partner, key string) string {
	t.Helper()
	var id string
	if err := w.st.Pool().QueryRow(context.Background(), `SELECT client_id FROM registration_identity WHERE partner = $1 AND record_key = $2`,
		partner, key).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *world) consent(t *testing.T, client string, state consent.State) {
	t.Helper()
	err := w.st.InTx(context.Background(), func(tx pgx.Tx) error {
		_, err := w.consents.Record(context.Background(), tx, consent.Change{ClientID: client, Recipient: "opvang", Purpose: "zorgcoordinatie",
			State: state, Basis: consent.Toestemming, EvidenceRef: "formulier-1",
			RecordedBy: consent.Recorder{Kind: "partner", ID: "ggz", Organisation: "ggz"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// auditCount counts the routing audit rows with an outcome.
func (w *world) auditCount(t *testing.T, outcome string) int {
	t.Helper()
	var n int
	if err := w.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE event = 'disclosure' AND outcome = $1`,
		outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// receiver is a partner's webhook endpoint that answers 500 a number of
// times first and keeps every request it accepted.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	fail   int
	calls  []request
}

type request struct {
	status int
	key    string
	err    error
	body   WebhookBody
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	req := request{key: r.Header.Get(IdempotencyHeader), err: Verify(rc.secret, r.Header.Get(SignatureHeader), b, time.Now(), 5*time.Minute)}
	_ = json.Unmarshal(b, &req.body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	req.status = http.StatusOK
	if rc.fail > 0 {
		rc.fail--
		req.status = http.StatusInternalServerError
	}
	rc.calls = append(rc.calls, req)
	w.WriteHeader(req.status)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.calls)
}

func statuses(ds []store.Delivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Channel+":"+d.RecordKey+":"+d.Operation+":"+d.Status)
	}
	return strings.Join(out, " ")
}

// TestRouting follows registrations of ggz through routing and delivery on
// real PostgreSQL: subscriptions, the decision point with consent, the
// receiver's delivery ids on a retried webhook, an unchanged view, withdrawn
// consent before routing and before sending, deletes, and a redelivered
// accepted message.
func TestRouting(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()

	// szw serves the client with BSN 123456782.
	w.land(t, "szw", "s1;Jansen;123456782;veelpleger;Helmond\n")
	doc1 := w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Eindhoven\nk2;Jansen;123456782;veelpleger;Helmond\nk3;Visser;;feitelijk_dakloos;Eindhoven\n")

	// szw gets k2 (its own client, purpose without consent); opvang's
	// subscription selects k1 and k3, but there is no consent: both denied.
	if got := statuses(w.deliveries(t, "szw")); got != "pickup:k2:new:pending" {
		t.Fatalf("szw deliveries: %s", got)
	}
	if got := w.deliveries(t, "opvang"); len(got) != 0 {
		t.Fatalf("opvang got deliveries without consent: %s", statuses(got))
	}
	if n := w.auditCount(t, "success"); n != 1 {
		t.Fatalf("%d disclosures audited, want 1 (szw)", n)
	}
	w.deliver(t, w.szw, store.ChannelPickup)
	szw := w.deliveries(t, "szw")
	if szw[0].Status != store.DeliveryDelivered || szw[0].FileName == "" {
		t.Fatalf("szw delivery %+v", szw[0])
	}
	file, err := os.ReadFile(filepath.Join(w.szw.Pickup.Folder, szw[0].FileName))
	if err != nil || string(file) != "k2;Jansen;new\n" {
		t.Fatalf("szw file %q: %v", file, err)
	}
	var sc Sidecar
	mustReadJSON(t, filepath.Join(w.szw.Pickup.Folder, szw[0].FileName+SidecarSuffix), &sc)
	if len(sc.Items) != 1 || sc.Items[0].DeliveryID != szw[0].DeliveryID || sc.Items[0].Line != 1 || sc.SourcePartner != "ggz" {
		t.Fatalf("sidecar %+v", sc)
	}

	// Consent for k1's client: its next change reaches opvang, on both
	// channels with one delivery id, BSN included (identity is visible).
	c1 := w.clientOf(t, "ggz", "k1")
	w.consent(t, c1, consent.Given)
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Best\nk3;Visser;;feitelijk_dakloos;Best\n")
	opv := w.deliveries(t, "opvang")
	if got := statuses(opv); got != "pickup:k1:new:pending webhook:k1:new:pending" || opv[0].DeliveryID != opv[1].DeliveryID {
		t.Fatalf("opvang deliveries: %s", got)
	}
	id := opv[0].DeliveryID
	w.deliver(t, w.opvang, store.ChannelPickup)
	opv = w.deliveries(t, "opvang")
	lines := readLines(t, filepath.Join(w.opvang.Pickup.Folder, opv[0].FileName))
	if len(lines) != 1 || !strings.Contains(lines[0], `"delivery_id":"`+id+`"`) || !strings.Contains(lines[0], `"bsn":"111222333"`) ||
		!strings.Contains(lines[0], `"municipality":"Best"`) {
		t.Fatalf("jsonl file: %q", lines)
	}

	// The webhook answers 500 once: the retry carries the same batch and delivery id.
	w.hook.fail = 1
	w.deliver(t, w.opvang, store.ChannelWebhook)
	opv = w.deliveries(t, "opvang")
	if opv[1].Status != store.DeliveryPending || opv[1].Attempts != 1 || !strings.HasPrefix(opv[1].LastError, "DELIVERY_SERVER_ERROR") {
		t.Fatalf("after a 500: %+v", opv[1])
	}
	time.Sleep(250 * time.Millisecond)
	w.deliver(t, w.opvang, store.ChannelWebhook)
	reqs := w.hook.requests()
	if len(reqs) != 2 || reqs[0].key == "" || reqs[0].key != reqs[1].key {
		t.Fatalf("webhook requests %+v", reqs)
	}
	for _, r := range reqs {
		if r.err != nil || len(r.body.Items) != 1 || r.body.Items[0].DeliveryID != id || r.body.Items[0].Operation != "new" {
			t.Fatalf("webhook request %+v", r)
		}
	}
	if opv = w.deliveries(t, "opvang"); opv[1].Status != store.DeliveryDelivered || opv[1].Attempts != 2 {
		t.Fatalf("after the retry: %+v", opv[1])
	}

	// A change opvang cannot see (a diagnosis) is not delivered again.
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Best;ja\n")
	if n := len(w.deliveries(t, "opvang")); n != 2 {
		t.Fatalf("an unchanged view was delivered: %s", statuses(w.deliveries(t, "opvang")))
	}

	// Withdrawn consent: the next change is not routed.
	w.consent(t, c1, consent.Withdrawn)
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Eindhoven;ja\n")
	if n := len(w.deliveries(t, "opvang")); n != 2 {
		t.Fatalf("routed after withdrawal: %s", statuses(w.deliveries(t, "opvang")))
	}

	// Consent again, a change is routed (as a change), then withdrawn
	// before it is sent: the pending deliveries are cancelled.
	w.consent(t, c1, consent.Given)
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Veldhoven;ja\n")
	opv = w.deliveries(t, "opvang")
	if got := statuses(opv[2:]); got != "pickup:k1:change:pending webhook:k1:change:pending" {
		t.Fatalf("after consent again: %s", got)
	}
	w.consent(t, c1, consent.Withdrawn)
	w.deliver(t, w.opvang, store.ChannelPickup)
	w.deliver(t, w.opvang, store.ChannelWebhook)
	opv = w.deliveries(t, "opvang")
	for _, d := range opv[2:] {
		if d.Status != store.DeliveryCancelled || !strings.HasPrefix(d.LastError, policy.CodeConsentWithdrawn) {
			t.Fatalf("pending delivery after withdrawal: %+v", d)
		}
	}
	if len(w.hook.requests()) != 2 {
		t.Fatal("a cancelled delivery was posted")
	}
	if n := w.auditCount(t, "denied"); n != 2 {
		t.Fatalf("%d cancellations audited, want 2 (one per channel)", n)
	}

	// A delete reaches szw, which had the record.
	w.land(t, "ggz", "k2;Jansen;123456782;veelpleger;Helmond;;delete\n")
	szw = w.deliveries(t, "szw")
	if got := statuses(szw); got != "pickup:k2:new:delivered pickup:k2:delete:pending" {
		t.Fatalf("szw deliveries: %s", got)
	}
	w.deliver(t, w.szw, store.ChannelPickup)
	szw = w.deliveries(t, "szw")
	var del Sidecar
	mustReadJSON(t, filepath.Join(w.szw.Pickup.Folder, szw[1].FileName+SidecarSuffix), &del)
	if len(del.Items) != 1 || del.Items[0].Operation != "delete" || del.Items[0].DeliveryID != szw[1].DeliveryID {
		t.Fatalf("delete sidecar %+v", del)
	}

	// A redelivered accepted message routes nothing twice.
	before := len(w.deliveries(t, "opvang")) + len(w.deliveries(t, "szw"))
	err = w.st.InTx(ctx, func(tx pgx.Tx) error { return w.router.Route(ctx, tx, "ggz", doc1, 0, []string{"k1", "k2", "k3"}) })
	if err != nil {
		t.Fatal(err)
	}
	if after := len(w.deliveries(t, "opvang")) + len(w.deliveries(t, "szw")); after != before {
		t.Fatalf("a redelivered message added deliveries: %d, was %d", after, before)
	}

	// The audit trail is intact and names no BSN.
	log := audit.New(w.st.Pool(), audit.Options{})
	if res, err := log.Verify(ctx); err != nil || !res.OK() {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
	var leaks int
	if err := w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE detail::text LIKE '%111222333%' OR detail::text LIKE '%k1%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Fatalf("audit rows with a BSN or record key: %d %v", leaks, err)
	}
	// The deliveries table holds no BSN in the clear.
	if err := w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE payload::text LIKE '%111222333%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Fatalf("deliveries with a BSN in the clear: %d %v", leaks, err)
	}
}

// TestRoutingEndedByFullExport: a record that a partner's next full export
// no longer holds is ended, and a partner that received it gets a delete,
// once; a record the recipient never had is not announced to it.
func TestRoutingEndedByFullExport(t *testing.T) {
	w := newWorld(t)
	w.land(t, "szw", "s1;Jansen;123456782;veelpleger;Helmond\n")
	w.land(t, "wmo", "w1;Jansen;123456782;veelpleger;Helmond\nw2;Bos;;veelpleger;Helmond\n")
	if got := statuses(w.deliveries(t, "szw")); got != "pickup:w1:new:pending" {
		t.Fatalf("szw deliveries after the first export: %s", got)
	}
	w.deliver(t, w.szw, store.ChannelPickup)
	// The next export holds w2 only: w1 is ended, w2 is unchanged.
	doc := w.land(t, "wmo", "w2;Bos;;veelpleger;Helmond\n")
	d, err := w.st.Document(context.Background(), doc)
	if err != nil || d.Receipt == nil || d.Receipt.Counts.Ended != 1 {
		t.Fatalf("receipt of the second export: %+v %v", d.Receipt, err)
	}
	if got := statuses(w.deliveries(t, "szw")); got != "pickup:w1:new:delivered pickup:w1:delete:pending" {
		t.Fatalf("szw deliveries after w1 was ended: %s", got)
	}
	w.deliver(t, w.szw, store.ChannelPickup)
	szw := w.deliveries(t, "szw")
	var sc Sidecar
	mustReadJSON(t, filepath.Join(w.szw.Pickup.Folder, szw[1].FileName+SidecarSuffix), &sc)
	if len(sc.Items) != 1 || sc.Items[0].Operation != "delete" || sc.Items[0].DeliveryID != szw[1].DeliveryID {
		t.Fatalf("sidecar of the delete %+v", sc)
	}
	// A third export without w1 ends nothing more and routes nothing.
	w.land(t, "wmo", "w2;Bos;;veelpleger;Helmond\nw3;Smit;;veelpleger;Helmond\n")
	if got := statuses(w.deliveries(t, "szw")); got != "pickup:w1:new:delivered pickup:w1:delete:delivered" {
		t.Fatalf("szw deliveries after the third export: %s", got)
	}
}

// TestWebhookOutcomes: how a receiver's answers end or keep deliveries.
func TestWebhookOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		want     string // status of the two deliveries
		lastCode string
	}{
		{"OK", 200, ``, "delivered delivered", ""},
		{"OKWithOneRejected", 200, `{"items":[{"delivery_id":"%s","status":"rejected","reason":"dossier gesloten"}]}`, "failed delivered", "DELIVERY_REJECTED"},
		{"ErrBadRequest", 400, ``, "failed failed", "DELIVERY_REFUSED"},
		{"RetryTooMany", 429, ``, "pending pending", "DELIVERY_SERVER_ERROR"},
		{"RetryUnavailable", 503, ``, "pending pending", "DELIVERY_SERVER_ERROR"},
		{"ErrRedirect", 302, ``, "failed failed", "DELIVERY_REFUSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var first string
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					rw.Header().Set("Location", "https://elders.example/")
				}
				rw.WriteHeader(tt.status)
				if tt.body != "" {
					fmt.Fprintf(rw, tt.body, first)
				}
			}))
			defer srv.Close()
			c1 := w.landTwo(t)
			_ = c1
			opv := w.deliveries(t, "opvang")
			first = opv[1].DeliveryID
			r := w.opvang
			r.Webhook = &Webhook{URL: srv.URL, Secret: []byte("x"), Timeout: 5 * time.Second}
			w.d.step(context.Background(), r, store.ChannelWebhook, slog.Default())
			var got []string
			var last string
			for _, d := range w.deliveries(t, "opvang") {
				if d.Channel == store.ChannelWebhook {
					got = append(got, d.Status)
					if d.LastError != "" {
						last = d.LastError
					}
				}
			}
			if strings.Join(got, " ") != tt.want || !strings.HasPrefix(last, tt.lastCode) {
				t.Fatalf("deliveries %v (last error %q), want %s (%s)", got, last, tt.want, tt.lastCode)
			}
		})
	}
}

// landTwo makes two pending deliveries to opvang on each channel.
func (w *world) landTwo(t *testing.T) string {
	t.Helper()
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Eindhoven\nk3;Visser;;feitelijk_dakloos;Eindhoven\n")
	c1, c3 := w.clientOf(t, "ggz", "k1"), w.clientOf(t, "ggz", "k3")
	w.consent(t, c1, consent.Given)
	w.consent(t, c3, consent.Given)
	w.land(t, "ggz", "k1;Berg;111222333;feitelijk_dakloos;Best\nk3;Visser;;feitelijk_dakloos;Best\n")
	if n := len(w.deliveries(t, "opvang")); n != 4 {
		t.Fatalf("%d deliveries, want 4", n)
	}
	return c1
}

func mustReadJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestGiveUp: a receiver that keeps failing fails the deliveries after
// MaxAttempts, with the last reason.
func TestGiveUp(t *testing.T) {
	w := newWorld(t)
	w.landTwo(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(502) }))
	defer srv.Close()
	cfg := w.dcfg
	cfg.MaxAttempts = 2
	cfg.InitialBackoff, cfg.MaxBackoff = time.Millisecond, time.Millisecond
	r := w.opvang
	r.Webhook = &Webhook{URL: srv.URL, Secret: []byte("x"), Timeout: 5 * time.Second}
	cfg.Recipients = []Recipient{r}
	d, err := NewDeliverer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		d.step(context.Background(), r, store.ChannelWebhook, slog.Default())
		time.Sleep(10 * time.Millisecond)
	}
	for _, dl := range w.deliveries(t, "opvang") {
		if dl.Channel != store.ChannelWebhook {
			continue
		}
		if dl.Status != store.DeliveryFailed || dl.Attempts != 2 || !strings.HasPrefix(dl.LastError, "DELIVERY_GAVE_UP") ||
			!strings.Contains(dl.LastError, "502") {
			t.Fatalf("after 2 failed attempts: %+v", dl)
		}
	}
}

// TestSlowRecipientDelaysNoOther runs the Deliverer: opvang's webhook does
// not answer, yet opvang's pickup folder and szw get their files at once.
func TestSlowRecipientDelaysNoOther(t *testing.T) {
	w := newWorld(t)
	w.land(t, "szw", "s1;Jansen;123456782;veelpleger;Helmond\n")
	w.landTwo(t)
	w.land(t, "ggz", "k2;Jansen;123456782;veelpleger;Helmond\n")
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	cfg := w.dcfg
	r := w.opvang
	r.Webhook = &Webhook{URL: srv.URL, Secret: []byte("x"), Timeout: time.Minute}
	cfg.Recipients = []Recipient{w.szw, r}
	d, err := NewDeliverer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pending int
		if err := w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = 'pending' AND channel = 'pickup'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pickup deliveries wait for a hanging webhook: %s / %s", statuses(w.deliveries(t, "opvang")), statuses(w.deliveries(t, "szw")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run does not return when its context ends")
	}
	for _, dl := range w.deliveries(t, "opvang") {
		if dl.Channel == store.ChannelWebhook && dl.Status != store.DeliveryPending {
			t.Fatalf("the interrupted webhook delivery is %s, want pending (sent again at the next start)", dl.Status)
		}
	}
}
