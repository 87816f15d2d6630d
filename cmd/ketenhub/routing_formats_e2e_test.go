package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/route"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// receiveHomeless is the subscription of the receiving partners below:
// the homeless clients of Eindhoven, as files in their own format.
const receiveHomeless = `export:
  kind: delta
receive:
  purpose: zorgcoordinatie
  select:
    target_groups: [feitelijk_dakloos]
    municipalities: [Eindhoven]
  pickup:
    format: adapter
`

// ggzNoordYAML is a GGZ organisation with a FHIR server: it receives as a
// FHIR transaction Bundle.
const ggzNoordYAML = `id: ggz-noord
name: GGZ Noord
adapter:
  name: fhir
  config:
    output:
      format: transaction
` + receiveHomeless

// thuishulpYAML is a Wmo provider that imports iWmo messages: it receives
// WMO301 messages, one per file.
const thuishulpYAML = `id: thuishulp-oost
name: Thuishulp Oost
adapter:
  name: iwmo
  config:
    role: aanbieder
    codes: ["98026987"]
    message_types: [WMO301]
    municipalities: {"0772": Eindhoven}
    output:
      afzender: "0772"
      product_category: "06"
` + receiveHomeless

// TestRoutingToFHIRAndIWmo: a registration that GGZ Oost drops as CSV
// reaches, once the client consents, a partner on the fhir adapter as a
// FHIR transaction Bundle and a partner on the iwmo adapter as a WMO301
// message, each in its own pickup folder with a sidecar; each file reads
// back through its partner's own adapter (ketenhub partner test) into the
// client GGZ Oost registered, and names the delivery id where the partner
// looks for it.
func TestRoutingToFHIRAndIWmo(t *testing.T) {
	fhirBin, iwmoBin := pluginBinary(t, "fhir"), pluginBinary(t, "iwmo")
	r := newRegion(t, map[string]string{"ggz-noord": ggzNoordYAML, "thuishulp-oost": thuishulpYAML})
	patch := func(file, old, extra string) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), old, old+extra, 1)
		if s == string(b) {
			t.Fatalf("%s has no %q to add to", file, old)
		}
		mustWrite(t, file, []byte(s))
	}
	patch(r.config, "adapters:\n", "  fhir:\n    binary: "+fhirBin+"\n  iwmo:\n    binary: "+iwmoBin+"\n")
	patch(filepath.Join(r.dir, "roles.yaml"), "\npartners:\n", "  ggz-noord: opvang-systeem\n  thuishulp-oost: opvang-systeem\n")
	h := r.start(t)
	ctx := waitCtx(t, 5*time.Minute)
	db := r.connect(t, ctx)

	r.drop(t, "ggz-oost", "ggz-1.csv", ggzExport("triage"))
	rc := r.waitReceipt(t, h, "ggz-oost", "ggz-1.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	client := h.chainClient(t, "ggz-oost", "ggz-9000001")
	for _, p := range []string{"ggz-noord", "thuishulp-oost"} {
		if ds := deliveries(t, h, p); len(ds) != 0 {
			t.Fatalf("delivered to %s without consent: %+v", p, ds)
		}
		recordConsentFor(t, ctx, db, client, p, consent.Given)
	}

	r.drop(t, "ggz-oost", "ggz-2.csv", ggzExport("zorgvraagverduidelijking"))
	rc = r.waitReceipt(t, h, "ggz-oost", "ggz-2.csv", 120*time.Second)
	waitRouted(t, ctx, db, h, rc.DocumentID)
	want := sdk.Client{BSN: "111222333", Surname: "Berg", SurnamePrefix: "van den", Initials: "A.H.", FirstNames: "Anna",
		BirthDate: "1970-03-05", Gender: "vrouw"}
	for _, tt := range []struct{ partner, pattern, mediaType string }{
		{"ggz-noord", "*-ggz-oost-*.json", "application/fhir+json; fhirVersion=4.0"},
		{"thuishulp-oost", "*-ggz-oost-*.xml", "application/xml; charset=utf-8"},
	} {
		file := waitFileFor(t, h, filepath.Join(r.dir, "data", "pickup", tt.partner, tt.pattern), 120*time.Second)
		var sc route.Sidecar
		sb, err := os.ReadFile(file + route.SidecarSuffix)
		if err != nil || json.Unmarshal(sb, &sc) != nil || len(sc.Items) != 1 || sc.Items[0].Operation != "new" ||
			sc.Items[0].RecordKey != "ggz-9000001" || sc.MediaType != tt.mediaType {
			t.Fatalf("%s: sidecar %s: %v", tt.partner, sb, err)
		}
		id := sc.Items[0].DeliveryID
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		switch tt.partner {
		case "ggz-noord":
			if !strings.Contains(string(data), `"source":"https://ketenhub.nl/fhir/partner/ggz-oost#`+id+`"`) ||
				!strings.Contains(string(data), `"code":"zorgvraagverduidelijking"`) {
				t.Errorf("the Bundle names no delivery %s or process step:\n%s", id, data)
			}
		case "thuishulp-oost":
			if !strings.Contains(string(data), "<iwmo:Identificatie>"+strings.TrimPrefix(id, "dlv_")[:12]+"</iwmo:Identificatie>") ||
				!strings.Contains(string(data), "Ketenhub-levering "+id+" van ggz-oost") {
				t.Errorf("the message names no delivery %s:\n%s", id, data)
			}
		}
		rep := partnerTest(t, r, tt.partner, file)
		if len(rep.Errors) != 0 || len(rep.Records) != 1 || rep.Counts.Valid != 1 {
			t.Fatalf("%s reads its file back as %+v", tt.partner, rep)
		}
		var got sdk.Registration
		if err := json.Unmarshal(rep.Records[0].Registration, &got); err != nil {
			t.Fatal(err)
		}
		if got.Client != want || got.Operation != sdk.OpNew {
			t.Errorf("%s reads back %s %+v, want new %+v", tt.partner, got.Operation, got.Client, want)
		}
		if strings.Contains(string(data), "diagnosis") {
			t.Errorf("%s got data its role may not see", tt.partner)
		}
		ds := waitDeliveries(t, h, tt.partner, 1, "delivered")
		if ds[0].DeliveryID != id {
			t.Errorf("%s: delivery %+v, sidecar names %s", tt.partner, ds[0], id)
		}
	}
	h.stop(t)
	if strings.Contains(h.logs.String(), "111222333") || strings.Contains(h.logs.String(), "Berg") {
		t.Fatal("the hub's log holds personal data of the routed registration")
	}
}

// connect opens a connection to the region's database, closed when the
// test ends.
func (r *region) connect(t *testing.T, ctx context.Context) *pgx.Conn {
	t.Helper()
	db, err := pgx.Connect(ctx, r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}

// chainClient returns the chain client of a partner's registration in the
// feed.
func (h *hubProc) chainClient(t *testing.T, partner, recordKey string) string {
	t.Helper()
	for _, it := range h.feed(t) {
		if it.Partner == partner && it.RecordKey == recordKey && it.ClientID != "" {
			return it.ClientID
		}
	}
	t.Fatalf("the registration %s of %s has no chain client", recordKey, partner)
	return ""
}

// partnerTest reads a file through a partner's own adapter binary with
// `ketenhub partner test --json`.
func partnerTest(t *testing.T, r *region, partner, file string) partnerTestReport {
	t.Helper()
	hubBin, _ := binaries(t)
	cmd := exec.Command(hubBin, "partner", "test", "--config", r.config, "--json", partner, file)
	cmd.Env = append(os.Environ(), EnvDatabaseURL+"=postgres://nobody@127.0.0.1:1/none")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var rep partnerTestReport
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		t.Fatalf("ketenhub partner test %s: %v, %v\n%s%s", partner, err, jerr, out, stderr.String())
	}
	return rep
}
