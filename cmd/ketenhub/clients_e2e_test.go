package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/identity"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// partition is the set of chain clients as sorted lists of partner/record
// keys: what client recognition made of the example region.
type partition []string

func clientPartition(feed []feedItem) (partition, map[string][]feedItem) {
	groups := map[string][]string{}
	byClient := map[string][]feedItem{}
	for _, it := range feed {
		groups[it.ClientID] = append(groups[it.ClientID], it.Partner+"/"+it.RecordKey)
		byClient[it.ClientID] = append(byClient[it.ClientID], it)
	}
	var p partition
	for _, g := range groups {
		sort.Strings(g)
		p = append(p, strings.Join(g, " "))
	}
	sort.Strings(p)
	return p, byClient
}

// TestExampleClients drops the three example exports in different orders and
// checks that client recognition makes the same chain clients each time, the
// ones in testdata/example-clients.golden (reviewed by hand: each line is one
// person), that no client holds two valid BSNs, and that a split and a merge
// through the API leave every registration accounted for.
func TestExampleClients(t *testing.T) {
	orders := [][]string{
		{"ggz-oost", "opvang-zuid", "gemeente-szw"},
		{"gemeente-szw", "opvang-zuid", "ggz-oost"},
		{"opvang-zuid", "gemeente-szw", "ggz-oost"},
	}
	golden := filepath.Join("testdata", "example-clients.golden")
	var first partition
	for i, order := range orders {
		r := newRegion(t, nil)
		h := r.start(t)
		for _, partner := range order {
			r.drop(t, partner, partner+".csv", fixture(t, partner+".csv"))
			if rc := r.waitReceipt(t, h, partner, partner+".csv", 60*time.Second); rc.Status != "done" {
				t.Fatalf("%s: receipt %+v", partner, rc)
			}
		}
		feed := h.feed(t)
		p, byClient := clientPartition(feed)
		for _, it := range feed {
			if it.ClientID == "" {
				t.Fatalf("%s/%s has no chain client", it.Partner, it.RecordKey)
			}
		}
		for id, items := range byClient {
			bsns := map[string]bool{}
			for _, it := range items {
				var reg struct {
					Client struct {
						BSN string `json:"bsn"`
					} `json:"client"`
				}
				if err := json.Unmarshal(it.Registration, &reg); err != nil {
					t.Fatal(err)
				}
				if b, ok := identity.CheckBSN(reg.Client.BSN); ok {
					bsns[b] = true
				}
			}
			if len(bsns) > 1 {
				t.Errorf("client %s holds %d different valid BSNs: %v", id, len(bsns), p)
			}
		}
		if i == 0 {
			first = p
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(strings.Join(p, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p, "\n") + "\n"; got != string(want) {
				t.Errorf("chain clients differ from %s (run with -update after reviewing):\n%s", golden, diffLines(string(want), got))
			}
			correctThroughAPI(t, h, feed, byClient)
		} else if strings.Join(p, "\n") != strings.Join(first, "\n") {
			t.Errorf("order %v gives other chain clients than %v:\n%s", order, orders[0], diffLines(strings.Join(first, "\n"), strings.Join(p, "\n")))
		}
		h.stop(t)
	}
}

// correctThroughAPI splits a client and merges it back, and checks the feed
// after each step.
func correctThroughAPI(t *testing.T, h *hubProc, feed []feedItem, byClient map[string][]feedItem) {
	t.Helper()
	var client string
	for id, items := range byClient {
		if len(items) >= 2 && (client == "" || id < client) {
			client = id
		}
	}
	if client == "" {
		t.Fatal("no chain client with two registrations in the example region")
	}
	moved := byClient[client][0]
	var split struct {
		NewClientID string `json:"new_client_id"`
	}
	body := map[string]any{"registrations": []map[string]string{{"partner": moved.Partner, "record_key": moved.RecordKey}}, "reason": "test: toch twee personen"}
	if code := h.postJSON(t, h.reader, "/v1/clients/"+client+"/split?purpose=aanmelding", map[string]any{"registrations": body["registrations"]}, nil); code != 400 {
		t.Fatalf("split without a reason: status %d, want 400", code)
	}
	if code := h.postJSON(t, h.reader, "/v1/clients/"+client+"/split?purpose=aanmelding", body, &split); code != 201 || split.NewClientID == "" {
		t.Fatalf("split: status %d %+v", code, split)
	}
	after := h.feed(t)
	if len(after) != len(feed) {
		t.Fatalf("split changed the number of registrations: %d, was %d", len(after), len(feed))
	}
	for _, it := range after {
		if it.Partner == moved.Partner && it.RecordKey == moved.RecordKey && it.ClientID != split.NewClientID {
			t.Fatalf("split registration has client %s, want %s", it.ClientID, split.NewClientID)
		}
	}
	var ov struct {
		ClientID      string `json:"client_id"`
		Registrations []struct {
			Partner string `json:"partner"`
		} `json:"registrations"`
	}
	if code := h.postJSON(t, h.reader, "/v1/clients/"+client+"/merge?purpose=aanmelding", map[string]string{"client_id": split.NewClientID, "reason": "test: toch één persoon"}, &ov); code != 200 {
		t.Fatalf("merge: status %d", code)
	}
	merged := h.feed(t)
	p0, _ := clientPartition(feed)
	p1, _ := clientPartition(merged)
	if strings.Join(p0, "\n") != strings.Join(p1, "\n") {
		t.Fatalf("split and merge did not restore the clients:\n%s", diffLines(strings.Join(p0, "\n"), strings.Join(p1, "\n")))
	}
	// The old id still resolves, to the survivor.
	var old struct {
		ClientID   string `json:"client_id"`
		MergedFrom string `json:"merged_from"`
	}
	if code := h.getJSONAs(t, h.reader, "/v1/clients/"+split.NewClientID+"?purpose=aanmelding", &old); code != 200 || old.ClientID != client || old.MergedFrom != split.NewClientID {
		t.Fatalf("merged id: status %d %+v", code, old)
	}
	var hist struct {
		Items []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
			Reason string `json:"reason"`
		} `json:"items"`
	}
	if code := h.getJSONAs(t, h.reader, "/v1/clients/"+client+"/history?purpose=aanmelding", &hist); code != 200 || len(hist.Items) != 2 ||
		hist.Items[0].Action != "split" || hist.Items[1].Action != "merge" || hist.Items[1].Reason == "" {
		t.Fatalf("history: status %d %+v", code, hist)
	}
	// The intake lookup finds the client by its BSN or by name and birth date.
	var reg struct {
		Client map[string]string `json:"client"`
	}
	if err := json.Unmarshal(moved.Registration, &reg); err != nil {
		t.Fatal(err)
	}
	var found struct {
		Candidates []struct {
			ClientID string `json:"client_id"`
			Grade    string `json:"grade"`
		} `json:"candidates"`
	}
	if code := h.postJSON(t, h.reader, "/v1/clients/lookup?purpose=aanmelding", reg.Client, &found); code != 200 || len(found.Candidates) == 0 || found.Candidates[0].ClientID != client {
		t.Fatalf("lookup: status %d %+v", code, found)
	}
	var reviews struct {
		Items []json.RawMessage `json:"items"`
	}
	if code := h.getJSONAs(t, h.reader, "/v1/reviews?purpose=aanmelding", &reviews); code != 200 {
		t.Fatalf("reviews: status %d", code)
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got string) string {
	w := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	g := map[string]bool{}
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	return b.String()
}
