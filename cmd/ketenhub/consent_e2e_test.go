package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ggzConsentExport is a GGZ Oost export with consent columns: a homeless
// client in Eindhoven with the consent cell given, and a client without
// consent.
func ggzConsentExport(step, consent string) []byte {
	return []byte("dossiernr;bsn;achternaam;tussenvoegsel;voorletters;voornaam;geboortedatum;geslacht;doelgroep;gemeente;processtap;regievoerder;wonen;inkomen;zorg;toestemming;toestemming_datum;formulier\r\n" +
		"ggz-9100001;111222333;Berg;van den;A.H.;Anna;05-03-1970;V;feitelijk dakloos;Eindhoven;" + step + ";K. Jansen (IMW);instabiel;stabiel;onbekend;" + consent + ";01-03-2025;TF-2025-031\r\n" +
		"ggz-9100002;;Visser;;P.;;01-01-1960;M;veelpleger;Helmond;triage;;stabiel;stabiel;stabiel;;;\r\n")
}

// ggzWithConsent is the example ggz-oost.yaml with its consent columns
// (toestemming, toestemming_datum, formulier) mapped to a statement for
// recipient kernpartners, once per purpose.
func ggzWithConsent(t *testing.T, purposes ...string) string {
	t.Helper()
	ggz := string(readFile(t, filepath.Join(repoRoot(), "config", "partners", "ggz-oost.yaml")))
	var b strings.Builder
	b.WriteString("    consent:\n")
	for _, p := range purposes {
		fmt.Fprintf(&b, `      - column: toestemming
        values: {ja: given, ingetrokken: withdrawn, "": none}
        recipient: kernpartners
        purpose: %s
        valid_from_column: toestemming_datum
        evidence_column: formulier
`, p)
	}
	cfg := strings.Replace(ggz, "    output:", b.String()+"    output:", 1)
	if cfg == ggz {
		t.Fatal("the example ggz-oost.yaml has no output: to put the consent columns before")
	}
	return cfg
}

// consentCounts reads the consent counts of a partner's receipt of name.
func consentCounts(t *testing.T, r *region, partner, name string) (recorded, unchanged, rejected int64) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(r.dropDir(partner), "receipts", name+".*.receipt.json"))
	if len(matches) == 0 {
		t.Fatalf("no receipt for %s", name)
	}
	b, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	var rc struct {
		Counts struct {
			Recorded  int64 `json:"consents_recorded"`
			Unchanged int64 `json:"consents_unchanged"`
			Rejected  int64 `json:"consents_rejected"`
		} `json:"counts"`
	}
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	return rc.Counts.Recorded, rc.Counts.Unchanged, rc.Counts.Rejected
}

// TestConsentViaAdapterEndToEnd runs the built hub and csv adapter on the
// example region, with GGZ Oost's export carrying a consent column for the
// core partners (kernpartners): the drop that gives consent lets a
// regievoerder of the municipality read GGZ Oost's registration for
// zorgcoordinatie and routes it to Opvang Zuid; the same consent delivered
// again records nothing new; the drop that withdraws it stops the very next
// read and the next route; the audit trail has both changes with GGZ Oost
// as the one who recorded them.
func TestConsentViaAdapterEndToEnd(t *testing.T) {
	r := newRegion(t, map[string]string{"ggz-oost": ggzWithConsent(t, "zorgcoordinatie")})
	h := r.start(t)
	ctx := waitCtx(t, 10*time.Minute)
	db, err := pgx.Connect(ctx, r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	pickup := filepath.Join(r.dir, "data", "pickup", "opvang-zuid")
	rv := r.token(t, "rv-0007", "gemeente-szw", "regievoerder")

	// The partners the regievoerder sees registrations of, for zorgcoordinatie.
	seen := func(client string) []string {
		t.Helper()
		var ov struct {
			Registrations []struct {
				Partner string `json:"partner"`
			} `json:"registrations"`
		}
		code := h.getJSONAs(t, rv, "/v1/clients/"+client+"?purpose=zorgcoordinatie", &ov)
		if code == 403 {
			return nil
		}
		if code != 200 {
			t.Fatalf("overview: status %d", code)
		}
		var out []string
		for _, p := range ov.Registrations {
			out = append(out, p.Partner)
		}
		return out
	}
	pickups := func() int {
		files, _ := filepath.Glob(filepath.Join(pickup, "*-ggz-oost-*.csv"))
		return len(files)
	}

	// 1. Consent given in the export: recorded, read, routed.
	r.drop(t, "ggz-oost", "ggz-1.csv", ggzConsentExport("triage", "ja"))
	rc := r.waitReceipt(t, h, "ggz-oost", "ggz-1.csv", 120*time.Second)
	if rec, unch, rej := consentCounts(t, r, "ggz-oost", "ggz-1.csv"); rc.Status != "done" || rc.Counts.Inserted != 2 || rec != 1 || unch != 0 || rej != 0 {
		t.Fatalf("receipt %+v, consents %d recorded, %d unchanged, %d rejected", rc, rec, unch, rej)
	}
	client, other := "", ""
	for _, it := range h.feed(t) {
		switch {
		case it.Partner == "ggz-oost" && it.RecordKey == "ggz-9100001":
			client = it.ClientID
		case it.Partner == "ggz-oost" && it.RecordKey == "ggz-9100002":
			other = it.ClientID
		}
	}
	if client == "" || other == "" {
		t.Fatal("the registrations have no chain client")
	}
	if got := seen(client); !slices.Contains(got, "ggz-oost") {
		t.Fatalf("with the consent from the export the regievoerder sees %v", got)
	}
	if got := seen(other); slices.Contains(got, "ggz-oost") {
		t.Fatalf("the regievoerder sees the registration of the client without consent: %v", got)
	}
	waitRouted(t, ctx, db, h, rc.DocumentID)
	waitFileFor(t, h, filepath.Join(pickup, "*-ggz-oost-*.csv"), 120*time.Second)

	// 2. The same consent again, with a change of the registration: no new
	// consent row and no new audit row; the change is routed.
	r.drop(t, "ggz-oost", "ggz-2.csv", ggzConsentExport("zorgvraagverduidelijking", "ja"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-2.csv", 120*time.Second)
	if rec, unch, _ := consentCounts(t, r, "ggz-oost", "ggz-2.csv"); rc.Counts.Updated != 1 || rec != 0 || unch != 1 {
		t.Fatalf("second export: receipt %+v, consents %d recorded, %d unchanged", rc.Counts, rec, unch)
	}
	waitRouted(t, ctx, db, h, rc.DocumentID)
	deadline := time.Now().Add(120 * time.Second)
	for pickups() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the change with consent was not routed:\n%s", tail(h.logs.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// 3. Withdrawn in the export: the next read and the next route stop.
	r.drop(t, "ggz-oost", "ggz-3.csv", ggzConsentExport("trajecttoewijzing", "ingetrokken"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-3.csv", 120*time.Second)
	if rec, _, _ := consentCounts(t, r, "ggz-oost", "ggz-3.csv"); rc.Counts.Updated != 1 || rec != 1 {
		t.Fatalf("third export: receipt %+v, %d consents recorded", rc.Counts, rec)
	}
	if got := seen(client); slices.Contains(got, "ggz-oost") {
		t.Fatalf("the read right after the withdrawal still shows %v", got)
	}
	waitRouted(t, ctx, db, h, rc.DocumentID)
	time.Sleep(2 * time.Second) // a delivery, had there been one, would be written by now
	if n := pickups(); n != 2 {
		t.Fatalf("%d pickup files after the withdrawal, want still 2", n)
	}

	// The audit trail: the grant and the withdrawal, recorded by GGZ Oost's
	// system in its role, nothing for the repeated statement.
	rows, err := db.Query(ctx, `SELECT action, outcome, user_id, organisation, role, client, source FROM audit_log
		WHERE event = 'consent_change' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, outcome, user, org, role, cl, source string
		if err := rows.Scan(&action, &outcome, &user, &org, &role, &cl, &source); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{action, outcome, user, org, role, cl, source}, "/"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"grant/success/ggz-oost/ggz-oost/ketenpartner-systeem/" + client + "/pipeline",
		"withdraw/success/ggz-oost/ggz-oost/ketenpartner-systeem/" + client + "/pipeline"}
	if !slices.Equal(got, want) {
		t.Fatalf("consent changes in the audit trail:\n%q\nwant\n%q", got, want)
	}
	var recordedBy string
	if err := db.QueryRow(ctx, `SELECT string_agg(recorded_by_kind || ':' || recorded_by_id || ':' || source || ':' || state, ',' ORDER BY id) FROM consents`).
		Scan(&recordedBy); err != nil || recordedBy != "partner:ggz-oost:partner:ggz-oost:given,partner:ggz-oost:partner:ggz-oost:withdrawn" {
		t.Fatalf("consent rows %q, %v", recordedBy, err)
	}
	h.stop(t)
	if strings.Contains(h.logs.String(), "111222333") || strings.Contains(h.logs.String(), "Berg") {
		t.Fatal("the hub's log holds personal data")
	}
}
