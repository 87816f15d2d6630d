package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
)

// partner reads GET /v1/partners/{id}; the status code says whether the hub
// runs the partner.
func (h *hubProc) partner(t *testing.T, id string) (hub.PartnerStatus, int) {
	t.Helper()
	var st hub.PartnerStatus
	code := h.getJSON(t, "/v1/partners/"+id, &st)
	return st, code
}

// waitPartner polls a partner's status until cond holds.
func (h *hubProc) waitPartner(t *testing.T, id, what string, cond func(hub.PartnerStatus) bool) hub.PartnerStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var st hub.PartnerStatus
	for time.Now().Before(deadline) {
		var code int
		if st, code = h.partner(t, id); code == http.StatusOK && cond(st) {
			return st
		}
		select {
		case <-h.done:
			t.Fatalf("hub exited while waiting for %s: %s\n%s", id, what, tail(h.logs.String(), 4000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	b, _ := json.Marshal(st)
	t.Fatalf("partner %s: no %s after 60s; last status %s\n%s", id, what, b, tail(h.logs.String(), 4000))
	return st
}

// revisions reads a partner's configuration history, newest first.
func (h *hubProc) revisions(t *testing.T, id string) []hub.PartnerRevision {
	t.Helper()
	var list struct {
		Items []hub.PartnerRevision `json:"items"`
	}
	if code := h.getJSON(t, "/v1/partners/"+id+"/revisions", &list); code != http.StatusOK {
		t.Fatalf("revisions of %s: status %d", id, code)
	}
	return list.Items
}

// document reads a document's status and failure.
func (h *hubProc) document(t *testing.T, id string) hub.Document {
	t.Helper()
	var doc hub.Document
	if code := h.getJSON(t, "/v1/documents/"+id, &doc); code != http.StatusOK {
		t.Fatalf("document %s: status %d", id, code)
	}
	return doc
}

// writeAtomic replaces a file the way an editor or a deployment does: a new
// file renamed over the old one.
func writeAtomic(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
	if err := os.WriteFile(tmp, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (r *region) partnerFile(name string) string {
	return filepath.Join(r.dir, "partners", name+".yaml")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// otherPartnersIngest drops a file for each partner in files and checks
// that each is processed completely within a minute: a broken partner does
// not hold them up.
func (r *region) otherPartnersIngest(t *testing.T, h *hubProc, prefix string, files map[string]string) {
	t.Helper()
	for partner, name := range files {
		r.drop(t, partner, prefix+name, fixture(t, name))
	}
	for partner, name := range files {
		rc := r.waitReceipt(t, h, partner, prefix+name, 60*time.Second)
		if rc.Status != hub.DocDone || rc.Counts.Records != int64(lines(fixture(t, name))) || rc.Counts.Inserted+rc.Counts.Unchanged+rc.Counts.Updated == 0 {
			t.Fatalf("%s of %s while another partner was broken: %s %+v", name, partner, rc.Status, rc.Counts)
		}
	}
}

// TestCorruptAdapterBinary replaces a pinned adapter binary on disk while
// its process runs and kills the process: the restart finds the checksum
// wrong, that partner alone is disabled with a visible reason and its file
// fails with that reason, while the other partners keep ingesting.
func TestCorruptAdapterBinary(t *testing.T) {
	_, csvBin := binaries(t)
	pinnedYAML := strings.Replace(string(readFile(t, filepath.Join(repoRoot(), "config", "partners", "opvang-zuid.yaml"))),
		"id: opvang-zuid", "id: opvang-pinned", 1)
	pinnedYAML = strings.Replace(pinnedYAML, "  name: csv\n", "  name: csv-pinned\n", 1)
	r := newRegion(t, map[string]string{"opvang-pinned": pinnedYAML})
	orig := readFile(t, csvBin)
	pinned := filepath.Join(r.dir, "adapters", "ketenhub-csv-pinned")
	mustWrite(t, pinned, orig)
	if err := os.Chmod(pinned, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(orig)
	hubYAML := strings.Replace(string(readFile(t, r.config)), "adapters:\n",
		"adapters:\n  csv-pinned:\n    binary: "+pinned+"\n    sha256: "+hex.EncodeToString(sum[:])+"\n", 1)
	mustWrite(t, r.config, []byte(hubYAML))

	h := r.start(t)
	r.drop(t, "opvang-pinned", "first.csv", fixture(t, "opvang-zuid.csv"))
	if rc := r.waitReceipt(t, h, "opvang-pinned", "first.csv", 60*time.Second); rc.Status != hub.DocDone || rc.Counts.Inserted == 0 {
		t.Fatalf("pinned partner before the binary changed: %+v", rc)
	}
	if st, _ := h.partner(t, "opvang-pinned"); st.State != hub.PartnerRunning || st.Adapter == nil || st.Adapter.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("pinned partner: %+v", st)
	}
	ggz := h.waitPartner(t, "ggz-oost", "adapter", func(st hub.PartnerStatus) bool { return st.Adapter != nil })

	// A deployment puts another binary in place, and the process ends.
	writeAtomic(t, pinned, append(bytes.Clone(orig), "tampered"...), 0o755)
	if err := syscall.Kill(childPID(t, h.cmd.Process.Pid, "ketenhub-csv-pinned", "opvang-pinned"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.drop(t, "opvang-pinned", "second.csv", fixture(t, "broken-opvang-zuid.csv"))
	r.otherPartnersIngest(t, h, "during-", map[string]string{"ggz-oost": "ggz-oost.csv", "gemeente-szw": "gemeente-szw.csv", "opvang-zuid": "opvang-zuid.csv"})

	st := h.waitPartner(t, "opvang-pinned", "disabled state", func(st hub.PartnerStatus) bool { return st.State == hub.PartnerDisabled })
	if st.Reason == nil || st.Reason.Code != "ADAPTER_CHECKSUM" || !strings.Contains(st.Reason.Message, "sha256") || !strings.Contains(st.Reason.Message, pinned) {
		t.Errorf("disabled without a visible reason: %+v", st.Reason)
	}
	rc := r.waitReceipt(t, h, "opvang-pinned", "second.csv", 60*time.Second)
	if doc := h.document(t, rc.DocumentID); rc.Status != hub.DocFailed || !strings.Contains(doc.Failure, "sha256") {
		t.Errorf("file of the disabled partner: status %s, failure %q", rc.Status, doc.Failure)
	}
	// Only that partner: the others run the adapter they ran before.
	var list struct {
		Items []hub.PartnerStatus `json:"items"`
	}
	h.getJSON(t, "/v1/partners", &list)
	for _, p := range list.Items {
		if want := p.ID != "opvang-pinned"; (p.State == hub.PartnerRunning) != want {
			t.Errorf("partner %s: state %s", p.ID, p.State)
		}
	}
	if now, _ := h.partner(t, "ggz-oost"); now.Adapter.PID != ggz.Adapter.PID && ggz.Adapter.PID != 0 || now.Adapter.Restarts != 0 {
		t.Errorf("ggz-oost's adapter was restarted: before %+v, now %+v", ggz.Adapter, now.Adapter)
	}
	resp, err := http.Get(h.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ketenhub_adapter_disabled{partner="opvang-pinned"} 1`, `ketenhub_adapter_disabled{partner="ggz-oost"} 0`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The operator puts the right binary back and touches the partner file:
	// the partner runs again, and the failed file can be replayed.
	writeAtomic(t, pinned, orig, 0o755)
	now := time.Now()
	if err := os.Chtimes(r.partnerFile("opvang-pinned"), now, now); err != nil {
		t.Fatal(err)
	}
	h.waitPartner(t, "opvang-pinned", "running again", func(st hub.PartnerStatus) bool { return st.State == hub.PartnerRunning })
	var replayed hub.Document
	if code := h.postJSON(t, "Bearer "+h.token, "/v1/documents/"+rc.DocumentID+"/replay", nil, &replayed); code != http.StatusAccepted {
		t.Fatalf("replay: status %d", code)
	}
	if again := h.waitDocument(t, replayed.ID, 60*time.Second); again.Status != hub.DocDone || again.Counts.Inserted == 0 {
		t.Fatalf("replayed file: %s %+v", again.Status, again.Counts)
	}
}

// TestReloadRefused changes a partner file into one with errors, first in
// the file's own schema and then in the adapter's configuration: each is
// refused with file:line:col in the log and the API, the revision that ran
// keeps processing that partner's files, and the other partners are not
// touched. The corrected file is applied.
func TestReloadRefused(t *testing.T) {
	r := newRegion(t, nil)
	h := r.start(t)
	before, _ := h.partner(t, "ggz-oost")
	if before.Revision == nil || before.State != hub.PartnerRunning {
		t.Fatalf("ggz-oost at start: %+v", before)
	}
	path := r.partnerFile("ggz-oost")
	orig := readFile(t, path)

	bad := strings.Replace(string(orig), "kind: full", "kind: soms", 1)
	writeAtomic(t, path, []byte(bad), 0o640)
	st := h.waitPartner(t, "ggz-oost", "refused revision", func(st hub.PartnerStatus) bool {
		return st.Refused != nil && st.Refused.Hash == config.RevisionOf([]byte(bad))
	})
	if st.State != hub.PartnerRunning || st.Revision.Hash != before.Revision.Hash {
		t.Errorf("after a refused change: state %s, revision %+v, want the old one running", st.State, st.Revision)
	}
	if e := st.Refused.Errors; len(e) != 1 || e[0].Field != "export.kind" || e[0].Code != "CONFIG_ENUM" || e[0].Line == 0 || e[0].Column == 0 ||
		!strings.HasSuffix(e[0].File, "ggz-oost.yaml") {
		t.Errorf("refused problems: %+v", e)
	}
	if !regexp.MustCompile(`ggz-oost\.yaml:\d+:\d+: export\.kind: .*\[CONFIG_ENUM\]`).MatchString(h.logs.String()) {
		t.Errorf("the log does not name file:line:col of the problem:\n%s", tail(h.logs.String(), 3000))
	}
	// The old revision keeps processing; the other partners are not touched.
	r.otherPartnersIngest(t, h, "refused-", map[string]string{"ggz-oost": "ggz-oost.csv", "opvang-zuid": "opvang-zuid.csv"})

	badAdapter := strings.Replace(string(orig), `date_layouts: ["02-01-2006"]`, `date_layouts: ["jjjj-mm-dd"]`, 1)
	writeAtomic(t, path, []byte(badAdapter), 0o640)
	st = h.waitPartner(t, "ggz-oost", "refused adapter configuration", func(st hub.PartnerStatus) bool {
		return st.Refused != nil && st.Refused.Hash == config.RevisionOf([]byte(badAdapter))
	})
	if e := st.Refused.Errors; len(e) == 0 || !strings.HasPrefix(e[0].Field, "adapter.config.date_layouts") || e[0].Line == 0 {
		t.Errorf("refused adapter configuration: %+v", e)
	}
	if st.State != hub.PartnerRunning || st.Revision.Hash != before.Revision.Hash {
		t.Errorf("after a refused adapter configuration: state %s, revision %+v", st.State, st.Revision)
	}
	r.drop(t, "ggz-oost", "still.csv", []byte(strings.Replace(string(fixture(t, "ggz-oost.csv")), "\n", "\r\n", -1)))
	if rc := r.waitReceipt(t, h, "ggz-oost", "still.csv", 60*time.Second); rc.Status != hub.DocDone || rc.Counts.Rejected != 0 {
		t.Fatalf("the old revision did not process the file: %s %+v %+v", rc.Status, rc.Counts, rc.Errors)
	}

	fixed := strings.Replace(string(orig), "name: GGZ Oost", "name: GGZ Oost (hersteld)", 1)
	writeAtomic(t, path, []byte(fixed), 0o640)
	st = h.waitPartner(t, "ggz-oost", "the corrected revision", func(st hub.PartnerStatus) bool {
		return st.Revision.Hash == config.RevisionOf([]byte(fixed))
	})
	if st.Refused != nil || st.Name != "GGZ Oost (hersteld)" || st.State != hub.PartnerRunning {
		t.Errorf("corrected revision: %+v", st)
	}

	revs := h.revisions(t, "ggz-oost")
	var statuses []string
	for _, rv := range revs {
		statuses = append(statuses, rv.Status)
	}
	if got := strings.Join(statuses, ","); got != "applied,refused,refused,applied" {
		t.Fatalf("history %s, want applied,refused,refused,applied (newest first)", got)
	}
	if !strings.Contains(revs[2].Diff, "-  kind: full\n+  kind: soms\n") || len(revs[2].Errors) != 1 {
		t.Errorf("refused revision's diff and errors: %q %+v", revs[2].Diff, revs[2].Errors)
	}
	if !strings.HasPrefix(revs[3].Diff, "--- /dev/null\n") || revs[3].Hash != before.Revision.Hash {
		t.Errorf("first revision: %+v", revs[3])
	}
}

// TestReloadValueTable changes a value table in a partner file while the
// hub runs: the partner's next file is mapped with the new table, its
// earlier records stay as they were, another partner's adapter is not
// touched, and the history shows the diff. A new partner file starts a
// partner; removing it stops the partner and keeps its history.
func TestReloadValueTable(t *testing.T) {
	r := newRegion(t, nil)
	h := r.start(t)
	ggzBefore := h.waitPartner(t, "ggz-oost", "adapter", func(st hub.PartnerStatus) bool { return st.Adapter != nil })
	r.drop(t, "opvang-zuid", "a.csv", fixture(t, "opvang-zuid.csv"))
	r.waitReceipt(t, h, "opvang-zuid", "a.csv", 60*time.Second)

	path := r.partnerFile("opvang-zuid")
	orig := readFile(t, path)
	changed := strings.Replace(string(orig), `map: {"1": man, "2": vrouw, "": onbekend}`, `map: {"1": vrouw, "2": man, "": onbekend}`, 1)
	if changed == string(orig) {
		t.Fatal("value table not found in opvang-zuid.yaml")
	}
	writeAtomic(t, path, []byte(changed), 0o640)
	st := h.waitPartner(t, "opvang-zuid", "new revision", func(st hub.PartnerStatus) bool {
		return st.Revision.Hash == config.RevisionOf([]byte(changed))
	})
	if st.Refused != nil || st.State != hub.PartnerRunning {
		t.Fatalf("after the change: %+v", st)
	}
	header := strings.SplitAfter(string(fixture(t, "opvang-zuid.csv")), "\n")[0]
	r.drop(t, "opvang-zuid", "b.csv", []byte(header+
		"opv-8000001,,Bakker,J.,,1970-01-01,1,zorgmijder,Best,triage,K. Jansen (IMW),stabiel,stabiel,stabiel\n"+
		"opv-8000002,,Visser,M.,,1971-02-02,2,zorgmijder,Best,triage,K. Jansen (IMW),stabiel,stabiel,stabiel\n"))
	if rc := r.waitReceipt(t, h, "opvang-zuid", "b.csv", 60*time.Second); rc.Counts.Inserted != 2 {
		t.Fatalf("b.csv: %+v %+v", rc.Counts, rc.Errors)
	}
	r.otherPartnersIngest(t, h, "", map[string]string{"ggz-oost": "ggz-oost.csv"})

	gender := map[string]string{}
	for _, it := range h.feed(t) {
		var reg struct {
			Client struct {
				Gender string `json:"gender"`
			} `json:"client"`
		}
		if err := json.Unmarshal(it.Registration, &reg); err != nil {
			t.Fatal(err)
		}
		gender[it.RecordKey] = reg.Client.Gender
	}
	// opv-0000002 has code 1 in a.csv, mapped before the change.
	for key, want := range map[string]string{"opv-0000002": "man", "opv-8000001": "vrouw", "opv-8000002": "man"} {
		if gender[key] != want {
			t.Errorf("%s: gender %q, want %q", key, gender[key], want)
		}
	}
	ggzNow, _ := h.partner(t, "ggz-oost")
	if ggzNow.Adapter.PID != ggzBefore.Adapter.PID && ggzBefore.Adapter.PID != 0 || ggzNow.Revision.AppliedAt != ggzBefore.Revision.AppliedAt {
		t.Errorf("ggz-oost was touched by opvang-zuid's reload: before %+v %+v, now %+v %+v",
			ggzBefore.Adapter, ggzBefore.Revision, ggzNow.Adapter, ggzNow.Revision)
	}
	revs := h.revisions(t, "opvang-zuid")
	if len(revs) != 2 || revs[0].Status != hub.RevisionApplied || revs[0].Hash != config.RevisionOf([]byte(changed)) ||
		!strings.Contains(revs[0].Diff, `-        map: {"1": man, "2": vrouw, "": onbekend}`+"\n"+`+        map: {"1": vrouw, "2": man, "": onbekend}`) {
		t.Fatalf("history after the change: %+v", revs)
	}

	t.Run("AddAndRemovePartner", func(t *testing.T) {
		extra := strings.Replace(string(orig), "id: opvang-zuid", "id: opvang-extra", 1)
		writeAtomic(t, r.partnerFile("opvang-extra"), []byte(extra), 0o640)
		h.waitPartner(t, "opvang-extra", "start", func(st hub.PartnerStatus) bool { return st.State == hub.PartnerRunning })
		r.drop(t, "opvang-extra", "x.csv", fixture(t, "opvang-zuid.csv"))
		if rc := r.waitReceipt(t, h, "opvang-extra", "x.csv", 60*time.Second); rc.Counts.Inserted == 0 {
			t.Fatalf("new partner's file: %+v", rc.Counts)
		}
		if err := os.Remove(r.partnerFile("opvang-extra")); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, code := h.partner(t, "opvang-extra"); code == http.StatusNotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("removed partner still runs")
			}
			time.Sleep(50 * time.Millisecond)
		}
		r.drop(t, "opvang-extra", "y.csv", fixture(t, "broken-opvang-zuid.csv"))
		time.Sleep(2 * time.Second) // well past the partner's stable_after
		if _, err := os.Stat(filepath.Join(r.dropDir("opvang-extra"), "y.csv")); err != nil {
			t.Fatalf("a removed partner's file was taken: %v", err)
		}
		revs := h.revisions(t, "opvang-extra")
		if len(revs) != 2 || revs[0].Status != hub.RevisionRemoved || !strings.Contains(revs[0].Diff, "+++ /dev/null") || revs[1].Status != hub.RevisionApplied {
			t.Fatalf("history of the removed partner: %+v", revs)
		}
		var docs struct {
			Items []hub.Document `json:"items"`
		}
		if h.getJSON(t, "/v1/partners/opvang-extra/documents", &docs); len(docs.Items) != 1 {
			t.Fatalf("documents of the removed partner: %+v", docs.Items)
		}
	})
}

// TestSlowAdapterDelaysNoOne adds a partner whose adapter never answers its
// start: while it is starting, another partner's reload is applied and the
// other partners' files are processed; stopping the hub gives up the start
// at once.
func TestSlowAdapterDelaysNoOne(t *testing.T) {
	r := newRegion(t, nil)
	hangs := filepath.Join(r.dir, "adapters", "hangs")
	mustWrite(t, hangs, []byte("#!/bin/sh\nexec sleep 600\n"))
	if err := os.Chmod(hangs, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, r.config, []byte(strings.Replace(string(readFile(t, r.config)), "adapters:\n",
		"adapters:\n  hangs:\n    binary: "+hangs+"\n", 1)))
	h := r.start(t)

	slow := strings.Replace(string(readFile(t, r.partnerFile("opvang-zuid"))), "id: opvang-zuid", "id: traag", 1)
	writeAtomic(t, r.partnerFile("traag"), []byte(strings.Replace(slow, "  name: csv\n", "  name: hangs\n", 1)), 0o640)
	h.waitPartner(t, "traag", "starting", func(st hub.PartnerStatus) bool { return st.State == hub.PartnerStarting })

	ggz := strings.Replace(string(readFile(t, r.partnerFile("ggz-oost"))), "name: GGZ Oost", "name: GGZ Oost Brabant", 1)
	writeAtomic(t, r.partnerFile("ggz-oost"), []byte(ggz), 0o640)
	h.waitPartner(t, "ggz-oost", "reload beside a slow start", func(st hub.PartnerStatus) bool { return st.Name == "GGZ Oost Brabant" })
	r.otherPartnersIngest(t, h, "", map[string]string{"ggz-oost": "ggz-oost.csv", "opvang-zuid": "opvang-zuid.csv"})
	if st, _ := h.partner(t, "traag"); st.State != hub.PartnerStarting {
		t.Fatalf("the slow partner: %+v", st)
	}

	began := time.Now()
	h.stop(t)
	t.Logf("the hub stopped in %s", time.Since(began).Round(time.Millisecond))
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("stopping the hub took %s while an adapter was starting", took)
	}
}
