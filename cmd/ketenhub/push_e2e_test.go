package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub"
)

// pushResult is the part of a push's answer the tests look at.
type pushResult struct {
	DocumentID string `json:"document_id"`
	Status     string `json:"status"`
	Duplicate  bool   `json:"duplicate"`
	Location   string `json:"location"`
	Counts     struct {
		Records, Inserted, Updated, Unchanged, Rejected int64
	} `json:"counts"`
	Records []struct {
		Index     int    `json:"index"`
		RecordKey string `json:"record_key"`
		Status    string `json:"status"`
		Outcome   string `json:"outcome"`
		ClientID  string `json:"client_id"`
		Errors    []struct {
			Field, Code, Message string
		} `json:"errors"`
	} `json:"records"`
	Errors []struct{ Code, Message string } `json:"errors"`
}

// problemBody is a problem+json answer, with the fields of a push that is
// no JSON.
type problemBody struct {
	Status     int    `json:"status"`
	Code       string `json:"code"`
	Detail     string `json:"detail"`
	DocumentID string `json:"document_id"`
	Offset     int64  `json:"offset"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
}

// post sends body to path with the Authorization header authz, the media
// type ct and the further headers (name, value, ...), and returns the status
// and the answer.
func (h *hubProc) post(t *testing.T, authz, path, ct string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// push posts a JSON body and decodes the answer, which must have status want.
func (h *hubProc) push(t *testing.T, authz, path, ct string, body []byte, want int, header ...string) pushResult {
	t.Helper()
	code, out := h.post(t, authz, path, ct, body, header...)
	if code != want {
		t.Fatalf("POST %s: status %d, want %d: %s\n%s", path, code, want, out, tail(h.logs.String(), 3000))
	}
	var res pushResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("POST %s: %v: %s", path, err, out)
	}
	return res
}

// problem posts and decodes a problem+json answer with status want.
func (h *hubProc) problem(t *testing.T, authz, path, ct string, body []byte, want int, header ...string) problemBody {
	t.Helper()
	code, out := h.post(t, authz, path, ct, body, header...)
	var p problemBody
	if err := json.Unmarshal(out, &p); err != nil || code != want || p.Status != want {
		t.Fatalf("POST %s: status %d (%v), want %d: %s", path, code, err, want, out)
	}
	return p
}

func jsonpushSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "plugins", "jsonpush", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJSONPushEndToEnd runs the example debt-help partner (jsonpush adapter,
// plugins/jsonpush/testdata/schuldhulp.yaml) on a hub with the built hub and
// adapter binaries and a real PostgreSQL, and pushes over real HTTP with the
// partner's API key: the answer per record, the registrations in the feed,
// a repeat recognised, unchanged and changed records, broken records with
// their fields, a body that is no JSON stored and answered with where it
// goes wrong, refusals for other callers, and another partner's file drop
// going its own way meanwhile.
func TestJSONPushEndToEnd(t *testing.T) {
	r := newRegion(t, map[string]string{"schuldhulp": string(jsonpushSample(t, "schuldhulp.yaml"))})
	r.addAdapter(t, "jsonpush", pluginBinary(t, "jsonpush"))
	r.addPartnerSystem(t, "schuldhulp", "ketenpartner-systeem")
	r.setIngest(t, "push_max_bytes", "65536")
	r.setIngest(t, "push_wait", "25s") // the answer 202 is hub/api's TestPushRegistrations
	h := r.start(t)
	h.waitPartner(t, "schuldhulp", "running", func(st hub.PartnerStatus) bool { return st.State == hub.PartnerRunning })
	key := r.keys["schuldhulp"]
	const path = "/v1/partners/schuldhulp/registrations"
	sample := jsonpushSample(t, "schuldhulp.json")

	// Another partner drops its export meanwhile.
	r.drop(t, "ggz-oost", "ggz-oost.csv", fixture(t, "ggz-oost.csv"))

	first := h.push(t, key, path+"?purpose=aanmelding", "application/json", sample, 200, "Idempotency-Key", "shv-20250301-1")
	if first.Status != "done" || first.Duplicate || len(first.Records) != 40 || first.Counts.Inserted != 40 || first.Location != "/v1/partners/schuldhulp/documents/"+first.DocumentID {
		t.Fatalf("first push: %+v", first)
	}
	clients := map[string]string{}
	for i, rec := range first.Records {
		if want := fmt.Sprintf("SHV-2025-%04d", i+1); rec.Index != i || rec.RecordKey != want || rec.Status != "accepted" || rec.Outcome != "inserted" ||
			!strings.HasPrefix(rec.ClientID, "kc-") || len(rec.Errors) != 0 {
			t.Fatalf("record %d: %+v", i, rec)
		}
		clients[rec.RecordKey] = rec.ClientID
	}

	t.Run("Feed", func(t *testing.T) {
		n := 0
		for _, it := range h.feed(t) {
			if it.Partner != "schuldhulp" {
				continue
			}
			n++
			if it.ClientID != clients[it.RecordKey] || it.Status != "active" {
				t.Errorf("feed item %s: client %s, status %s; the push said %s", it.RecordKey, it.ClientID, it.Status, clients[it.RecordKey])
			}
		}
		if n != 40 {
			t.Errorf("%d registrations of schuldhulp in the feed, want 40", n)
		}
	})
	t.Run("LinksAudited", func(t *testing.T) {
		type entry struct {
			Type       string   `json:"type"`
			Source     string   `json:"source"`
			User       string   `json:"user"`
			Categories []string `json:"categories"`
		}
		var report struct {
			Entries []entry `json:"entries"`
		}
		officer := r.token(t, "fg-1", "gemeente-szw", "privacy-officer")
		if code := h.getJSONAs(t, officer, "/v1/audit/clients/"+clients["SHV-2025-0001"], &report); code != 200 {
			t.Fatalf("audit report: status %d", code)
		}
		if !slices.ContainsFunc(report.Entries, func(e entry) bool {
			return e.Type == "disclosure" && e.User == "schuldhulp" && e.Source == "POST /v1/partners/{partner}/registrations" && slices.Equal(e.Categories, []string{"link"})
		}) {
			t.Errorf("no audited disclosure of the link to schuldhulp: %+v", report.Entries)
		}
	})
	t.Run("Repeat", func(t *testing.T) {
		again := h.push(t, key, path, "application/json", sample, 200)
		if !again.Duplicate || again.DocumentID != first.DocumentID || len(again.Records) != 40 || again.Records[7].Outcome != "inserted" {
			t.Errorf("repeat: %+v", again)
		}
		if again.Records[0].ClientID != "" {
			t.Error("a push without purpose shows chain clients")
		}
		other := bytes.Replace(sample, []byte("SHV-registratie 4.2"), []byte("SHV-registratie 4.3"), 1)
		p := h.problem(t, key, path, "application/json", other, 409, "Idempotency-Key", "shv-20250301-1")
		if p.Code != "conflict" || !strings.Contains(p.Detail, first.DocumentID) {
			t.Errorf("the same key for other content: %+v", p)
		}
	})
	t.Run("UnchangedAsNDJSON", func(t *testing.T) {
		res := h.push(t, key, path, "application/x-ndjson", jsonpushSample(t, "schuldhulp.ndjson"), 200)
		if res.Duplicate || res.Counts.Unchanged != 40 || len(res.Records) != 40 {
			t.Fatalf("ndjson push: %+v", res)
		}
		for _, rec := range res.Records {
			if rec.Status != "unchanged" || rec.RecordKey != fmt.Sprintf("SHV-2025-%04d", rec.Index+1) {
				t.Fatalf("ndjson record %+v", rec)
			}
		}
	})
	t.Run("Changed", func(t *testing.T) {
		changed := bytes.Replace(sample, []byte(`"geboortedatum": "12-06-1965"`), []byte(`"geboortedatum": "13-06-1965"`), 1)
		if bytes.Equal(changed, sample) {
			t.Fatal("the sample lost the birth date this test changes")
		}
		res := h.push(t, key, path, "application/json", changed, 200)
		if res.Counts.Updated != 1 || res.Counts.Unchanged != 39 || res.Records[1].Outcome != "updated" || res.Records[1].Status != "accepted" || res.Records[0].Status != "unchanged" {
			t.Errorf("changed push: counts %+v, records 0 and 1: %+v %+v", res.Counts, res.Records[0], res.Records[1])
		}
	})
	t.Run("BrokenRecords", func(t *testing.T) {
		res := h.push(t, key, path, "application/json", jsonpushSample(t, "broken-schuldhulp.json"), 200)
		if len(res.Records) != 13 {
			t.Fatalf("broken push: %d records: %+v", len(res.Records), res)
		}
		want := []string{"accepted", "rejected /persoon/geboortedatum FIELD_DATE", "rejected /persoon/geslacht FIELD_VALUE",
			"rejected /persoon/bsn FIELD_FORMAT", "rejected /dossiernummer FIELD_REQUIRED", "rejected /dossiernummer RECORD_DUPLICATE",
			"rejected /persoon/geslachtsnaam FIELD_FORMAT", "rejected /persoon/geslachtsnaam FIELD_REQUIRED",
			"rejected /leefgebieden/0/score FIELD_VALUE /leefgebieden/1/gebied FIELD_FORMAT", "rejected /leefgebieden FIELD_FORMAT",
			"rejected  FIELD_FORMAT", "rejected /gemeld FIELD_DATE /mutatie FIELD_VALUE", "accepted"}
		for i, rec := range res.Records {
			got := rec.Status
			for _, e := range rec.Errors {
				got += " " + e.Field + " " + e.Code
				if e.Message == "" || strings.Contains(e.Message, "Kouwenhoven") || strings.Contains(e.Message, "1922-09-31") {
					t.Errorf("record %d: message %q", i, e.Message)
				}
			}
			if rec.Index != i || got != want[i] {
				t.Errorf("record %d: %s, want %s", rec.Index, got, want[i])
			}
		}
	})
	t.Run("NoJSON", func(t *testing.T) {
		body := append(bytes.Clone(sample[:200]), []byte("\n  ]")...)
		p := h.problem(t, key, path, "application/json", body, 400)
		if p.Code != "invalid" || p.DocumentID == "" || p.Line == 0 || p.Column == 0 || p.Offset == 0 || !strings.Contains(p.Detail, fmt.Sprintf("regel %d, kolom %d", p.Line, p.Column)) {
			t.Fatalf("no JSON: %+v", p)
		}
		var doc struct {
			Status  string   `json:"status"`
			Size    int64    `json:"size"`
			Receipt *receipt `json:"receipt"`
		}
		if code := h.getJSON(t, "/v1/documents/"+p.DocumentID, &doc); code != 200 || doc.Status != "failed" || doc.Size != int64(len(body)) ||
			doc.Receipt == nil || len(doc.Receipt.Errors) != 1 || doc.Receipt.Errors[0].Code != "DOC_SYNTAX" {
			t.Errorf("the stored document: status %d, %+v", code, doc)
		}
		var res pushResult
		if code := h.getJSONAs(t, key, "/v1/partners/schuldhulp/documents/"+p.DocumentID, &res); code != 200 || res.Status != "failed" ||
			len(res.Errors) != 1 || res.Errors[0].Code != "DOC_SYNTAX" || len(res.Records) != 0 {
			t.Errorf("the result of the refused push: status %d, %+v", code, res)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		h.problem(t, r.keys["ggz-oost"], path, "application/json", sample, 403)
		h.problem(t, r.token(t, "rv-1", "gemeente-szw", "regievoerder"), path, "application/json", sample, 403)
		h.problem(t, "Bearer "+h.token, path, "application/json", sample, 403)
		h.problem(t, "", path, "application/json", sample, 401)
		p := h.problem(t, r.keys["ggz-oost"], "/v1/partners/ggz-oost/registrations", "application/json", sample, 409)
		if !strings.Contains(p.Detail, "dropmap") {
			t.Errorf("a partner whose adapter reads no pushes: %+v", p)
		}
		h.problem(t, key, path, "text/csv", fixture(t, "ggz-oost.csv"), 415)
		h.problem(t, key, path, "application/json", bytes.Repeat([]byte(" "), 70000), 413)
	})
	t.Run("ResultAgain", func(t *testing.T) {
		var res pushResult
		if code := h.getJSONAs(t, key, first.Location, &res); code != 200 || res.DocumentID != first.DocumentID || len(res.Records) != 40 {
			t.Errorf("result again: status %d, %+v", code, res)
		}
		if code := h.getJSONAs(t, r.keys["ggz-oost"], first.Location, nil); code != 403 {
			t.Errorf("another partner reads the result: status %d", code)
		}
	})
	t.Run("LogsHoldNoPersonalData", func(t *testing.T) {
		logs := h.logs.String()
		for _, v := range []string{"999990469", "Jansons", "Hélen", "04-01-1948", "1948-01-04", "Kouwenhoven", "999993653"} {
			if strings.Contains(logs, v) {
				t.Errorf("the hub's log holds %q from a push", v)
			}
		}
	})
	t.Run("OtherPartnerUnaffected", func(t *testing.T) {
		rc := r.waitReceipt(t, h, "ggz-oost", "ggz-oost.csv", 60*time.Second)
		if rc.Status != "done" || rc.Counts.Records != int64(lines(fixture(t, "ggz-oost.csv"))) || rc.Counts.Inserted != rc.Counts.Records {
			t.Errorf("ggz-oost's drop: %+v", rc)
		}
	})
}
