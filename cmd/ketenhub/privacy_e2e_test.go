package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dropExamples drops the three example exports and waits for their receipts.
func dropExamples(t *testing.T, r *region, h *hubProc) {
	t.Helper()
	for partner, name := range map[string]string{"ggz-oost": "ggz-oost.csv", "opvang-zuid": "opvang-zuid.csv", "gemeente-szw": "gemeente-szw.csv"} {
		r.drop(t, partner, name, fixture(t, name))
	}
	for partner, name := range map[string]string{"ggz-oost": "ggz-oost.csv", "opvang-zuid": "opvang-zuid.csv", "gemeente-szw": "gemeente-szw.csv"} {
		if rc := r.waitReceipt(t, h, partner, name, 60*time.Second); rc.Status != "done" {
			t.Fatalf("%s: receipt %+v", name, rc)
		}
	}
}

// sharedClient returns a client with a registration of both partners, and
// the record key of each, from the test reader's feed.
func sharedClient(t *testing.T, feed []feedItem, a, b string) (client, keyA, keyB string) {
	t.Helper()
	byClient := map[string]map[string]string{}
	for _, it := range feed {
		if byClient[it.ClientID] == nil {
			byClient[it.ClientID] = map[string]string{}
		}
		byClient[it.ClientID][it.Partner] = it.RecordKey
	}
	var ids []string
	for id, m := range byClient {
		if m[a] != "" && m[b] != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("no client of both %s and %s in the example region", a, b)
	}
	slices.Sort(ids)
	return ids[0], byClient[ids[0]][a], byClient[ids[0]][b]
}

// TestPrivacyEndToEnd runs the built hub on the example region with its
// roles.yaml: a shelter worker sees another partner's registration of a
// client only with the client's consent; withdrawing it stops the very next
// read; the partner delivers consent again through its API key; a change of
// roles.yaml is put in force while the hub runs (a broken one is refused
// and logged) and no data is lost; then `ketenhub audit verify` finds the
// chain intact, and broken after one audit row is altered.
func TestPrivacyEndToEnd(t *testing.T) {
	r := newRegion(t, nil)
	h := r.start(t)
	dropExamples(t, r, h)
	feed := h.feed(t)
	client, opvKey, ggzKey := sharedClient(t, feed, "opvang-zuid", "ggz-oost")
	worker := r.token(t, "mw-0042", "opvang-zuid", "opvang-medewerker")

	partners := func() []string {
		t.Helper()
		var ov struct {
			Registrations []struct {
				Partner string `json:"partner"`
			} `json:"registrations"`
		}
		if code := h.getJSONAs(t, worker, "/v1/clients/"+client+"?purpose=zorgcoordinatie", &ov); code != 200 {
			t.Fatalf("overview: status %d", code)
		}
		var out []string
		for _, pr := range ov.Registrations {
			out = append(out, pr.Partner)
		}
		slices.Sort(out)
		return out
	}
	if got := partners(); slices.Contains(got, "ggz-oost") || !slices.Contains(got, "opvang-zuid") {
		t.Fatalf("without consent the worker sees %v", got)
	}
	consentBody := map[string]string{"recipient": "opvang-zuid", "purpose": "zorgcoordinatie", "state": "given",
		"legal_basis": "toestemming", "evidence_ref": "intakeformulier 2025-03"}
	if code := h.postJSON(t, worker, "/v1/clients/"+client+"/consents", consentBody, nil); code != 201 {
		t.Fatalf("record consent: status %d", code)
	}
	if got := partners(); !slices.Contains(got, "ggz-oost") {
		t.Fatalf("with consent the worker sees %v", got)
	}
	consentBody["state"] = "withdrawn"
	delete(consentBody, "evidence_ref")
	if code := h.postJSON(t, worker, "/v1/clients/"+client+"/consents", consentBody, nil); code != 201 {
		t.Fatalf("withdraw consent: status %d", code)
	}
	if got := partners(); slices.Contains(got, "ggz-oost") {
		t.Fatalf("the read right after the withdrawal still shows %v", got)
	}
	for _, it := range h.feedAs(t, worker, "zorgcoordinatie") {
		if it.Partner == "ggz-oost" && it.RecordKey == ggzKey {
			t.Fatal("the feed shows the other partner's registration after the withdrawal")
		}
	}
	// The shelter's system delivers the client's consent by its own dossier number.
	doc := map[string]any{"schema_version": "1", "source": map[string]string{"partner": "opvang-zuid", "consent_key": "tst-1"},
		"client": map[string]string{"record_key": opvKey}, "recipient": "opvang-zuid", "purpose": "zorgcoordinatie",
		"state": "given", "legal_basis": "toestemming", "evidence_ref": "dossier " + opvKey}
	if code := h.postJSON(t, r.keys["opvang-zuid"], "/v1/partners/opvang-zuid/consents", doc, nil); code != 201 {
		t.Fatalf("partner delivery: status %d\n%s", code, tail(h.logs.String(), 2000))
	}
	if got := partners(); !slices.Contains(got, "ggz-oost") {
		t.Fatalf("after the partner's delivery the worker sees %v", got)
	}
	// The shelter's system may not deliver for another partner.
	if code := h.postJSON(t, r.keys["opvang-zuid"], "/v1/partners/ggz-oost/consents", doc, nil); code != 403 {
		t.Fatalf("delivery for another partner: status %d", code)
	}

	// Change roles.yaml while the hub runs: shelter workers lose the purpose zorgcoordinatie.
	rolesPath := filepath.Join(r.dir, "roles.yaml")
	roles, err := os.ReadFile(rolesPath)
	if err != nil {
		t.Fatal(err)
	}
	const opvPurposes = "    organisations: [opvang-zuid]\n    classes: [identity, chain, sensitive]\n    scope:\n      own_organisation: true\n    purposes: [aanmelding, zorgcoordinatie]"
	if !strings.Contains(string(roles), opvPurposes) {
		t.Fatal("the example roles.yaml changed; adapt the test")
	}
	broken := strings.Replace(string(roles), opvPurposes, strings.Replace(opvPurposes, "zorgcoordinatie", "onbekend-doel", 1), 1)
	mustWrite(t, rolesPath, []byte(broken))
	_ = h.cmd.Process.Signal(syscall.SIGHUP)
	waitAudit(t, r, `event = 'config_change' AND action = 'reload' AND outcome = 'failure'`)
	if got := partners(); !slices.Contains(got, "ggz-oost") {
		t.Fatalf("a refused roles.yaml changed the rules: %v", got)
	}
	changed := strings.Replace(string(roles), opvPurposes, strings.Replace(opvPurposes, ", zorgcoordinatie", "", 1), 1)
	mustWrite(t, rolesPath, []byte(changed))
	_ = h.cmd.Process.Signal(syscall.SIGHUP)
	waitAudit(t, r, `event = 'config_change' AND action = 'reload' AND outcome = 'success'`)
	if code := h.getJSONAs(t, worker, "/v1/clients/"+client+"?purpose=zorgcoordinatie", nil); code != 403 {
		t.Fatalf("after the change the worker still reads for zorgcoordinatie: status %d", code)
	}
	if after := h.feed(t); len(after) != len(feed) {
		t.Fatalf("the feed has %d registrations after the change of roles, was %d", len(after), len(feed))
	}
	if !strings.Contains(h.logs.String(), "roles reloaded") || !strings.Contains(h.logs.String(), "roles not reloaded") {
		t.Errorf("the reloads are not in the hub's log")
	}
	h.stop(t)

	// The audit trail: intact, with the client's disclosures; then one row altered.
	hubBin, _ := binaries(t)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(hubBin, args...)
		cmd.Env = r.env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("audit", "verify", "--config", r.config)
	if err != nil || !strings.Contains(out, "auditlog intact") {
		t.Fatalf("audit verify on the hub's trail: %v\n%s", err, out)
	}
	out, err = run("audit", "client", client, "--config", r.config, "--user", "fg-e2e")
	if err != nil || !strings.Contains(out, "mw-0042") || !strings.Contains(out, "toestemming gewijzigd") || !strings.Contains(out, "inzage/verstrekking") {
		t.Fatalf("audit client report: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var seq int64
	if err := conn.QueryRow(context.Background(), `SELECT min(seq) FROM audit_log WHERE event = 'disclosure' AND client = $1`, client).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `UPDATE audit_log SET user_id = 'iemand-anders' WHERE seq = $1`, seq); err != nil {
		t.Fatal(err)
	}
	out, err = run("audit", "verify", "--config", r.config)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "AUDIT_ALTERED") {
		t.Fatalf("audit verify after tampering: %v, want exit status 1 naming AUDIT_ALTERED\n%s", err, out)
	}
}

// waitAudit waits until the audit trail holds a row matching where.
func waitAudit(t *testing.T, r *region, where string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no audit row where %s", where)
}

// readEverything reads every read path of the API once, as the roles of
// the example region, including lookups by BSN and by name and birth date
// and refused tokens, and returns the identity values it sent.
func readEverything(t *testing.T, r *region, h *hubProc) []string {
	t.Helper()
	feed := h.feed(t)
	client, _, _ := sharedClient(t, feed, "gemeente-szw", "ggz-oost")
	regie := r.token(t, "rv-7", "gemeente-szw", "regievoerder")
	for _, path := range []string{"/v1/registrations?purpose=aanmelding", "/v1/clients/" + client + "?purpose=aanmelding",
		"/v1/clients/" + client + "/access?purpose=zorgcoordinatie", "/v1/clients/" + client + "/consents?purpose=zorgcoordinatie",
		"/v1/reviews?purpose=aanmelding", "/v1/clients/" + client + "/history?purpose=aanmelding"} {
		if code := h.getJSONAs(t, regie, path, nil); code != 200 {
			t.Fatalf("%s: status %d", path, code)
		}
	}
	var sent []string
	for _, it := range feed {
		if it.ClientID != client {
			continue
		}
		var reg struct {
			Client map[string]string `json:"client"`
		}
		if err := json.Unmarshal(it.Registration, &reg); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"bsn", "surname", "birth_date"} {
			if v := reg.Client[k]; len(v) >= 5 {
				sent = append(sent, v)
			}
		}
		if code := h.postJSON(t, regie, "/v1/clients/lookup?purpose=aanmelding", reg.Client, nil); code != 200 {
			t.Fatalf("lookup: status %d", code)
		}
		byName := map[string]string{"surname": reg.Client["surname"], "birth_date": reg.Client["birth_date"]}
		want := 200
		if byName["surname"] == "" || byName["birth_date"] == "" {
			want = 400 // a registration without a birth date cannot be looked up by name
		}
		if code := h.postJSON(t, regie, "/v1/clients/lookup?purpose=aanmelding", byName, nil); code != want {
			t.Fatalf("lookup by name: status %d, want %d", code, want)
		}
		if code := h.postJSON(t, "Bearer "+reg.Client["bsn"]+reg.Client["surname"], "/v1/clients/lookup?purpose=aanmelding", reg.Client, nil); code != 401 {
			t.Fatalf("lookup with a bad token: status %d", code)
		}
	}
	if len(sent) == 0 {
		t.Fatal("no identity sent")
	}
	if code := h.getJSONAs(t, r.token(t, "bl-1", "gemeente-szw", "beleid"), "/v1/stats", nil); code != 200 {
		t.Fatalf("stats: status %d", code)
	}
	if code := h.getJSONAs(t, r.token(t, "fg-1", "gemeente-szw", "privacy-officer"), "/v1/audit/clients/"+client, nil); code != 200 {
		t.Fatalf("audit report: status %d", code)
	}
	body := map[string]string{"recipient": "kernpartners", "purpose": "zorgcoordinatie", "state": "given", "legal_basis": "toestemming",
		"evidence_ref": "formulier"}
	if code := h.postJSON(t, regie, "/v1/clients/"+client+"/consents", body, nil); code != 201 {
		t.Fatalf("consent: status %d", code)
	}
	h.feedAs(t, r.keys["ggz-oost"], "zorgcoordinatie")
	h.feedAs(t, r.token(t, "mw-1", "opvang-zuid", "opvang-medewerker"), "zorgcoordinatie")
	return sent
}
