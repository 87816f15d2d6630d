package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/plugins/polltest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// pollToken is the secret of the fake REST service; the hub has it in its
// environment and passes it to the adapter through adapter.env.
const pollToken = "e2e-ggz-noord-token-0123456789"

// restPartner is a partner polled over REST: pages of 10 by cursor.
const restPartner = `id: ggz-noord
name: GGZ Noord (REST)
adapter:
  name: poll
  env: [GGZ_NOORD_TOKEN]
  config:
    mode: rest
    url: %s/v1/clienten
    auth: {secret_env: GGZ_NOORD_TOKEN}
    page_size: 10
    rest:
      items: /data
      page_size_param: limit
      more: /meta/has_more
      cursor: {param: cursor, next: /meta/next_cursor}
    mapping:
      initials_from_first_names: true
      fields:
        /dossiernummer: source.record_key
        /bsn: client.bsn
        /naam/achternaam: client.surname
        /naam/voorvoegsel: client.surname_prefix
        /naam/voornamen: client.first_names
        /geboortedatum: client.birth_date
        /geslacht: client.gender
        /gemeente: municipality
        /gewijzigd_op: registered_at
      values:
        client.gender: {map: {M: man, V: vrouw, O: onbekend}}
poll:
  interval: 300ms
  timeout: %s
  max_backoff: 600ms
`

// stufPartner is a partner polled as a StUF-BG person service, 5 persons a
// page.
const stufPartner = `id: brp-eindhoven
name: Gemeente Eindhoven, BRP (StUF-BG)
adapter:
  name: poll
  config:
    mode: stuf-bg
    url: %s/StUF-BG
    page_size: 5
    stuf:
      zender: {organisatie: Ketenhub, applicatie: Ketenhub}
      ontvanger: {organisatie: "0772", applicatie: BRP}
      start: "20250101"
    mapping:
      values:
        municipality: {map: {"0772": Eindhoven, "0794": Helmond}, unknown: keep}
poll:
  interval: 300ms
  timeout: 2s
  max_backoff: 600ms
`

// TestPollPartners polls a REST service and a StUF-BG service through the
// built poll adapter on a real PostgreSQL: every person arrives in the feed
// once, the cursors advance and survive a restart of the hub without
// duplicates, new persons arrive, a service that hangs (with a timeout of
// ten minutes) does not hold up another partner's drop meanwhile, a
// reloaded partner file restarts the polling with its new timeout, and an
// HTTP error and a malformed page give coded errors in the partner's state
// while the malformed page is stored and quarantined (DOC_SYNTAX).
func TestPollPartners(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	rest := polltest.NewREST(pollToken, polltest.People("GGZN", 25, t0, time.Minute)...)
	defer rest.Close()
	stuf := polltest.NewStUF(polltest.People("BRP", 12, t0, time.Minute)...)
	defer stuf.Close()
	t.Setenv("GGZ_NOORD_TOKEN", pollToken) // the hub's environment, which the region's commands get
	r := newRegion(t, map[string]string{
		"ggz-noord":     fmt.Sprintf(restPartner, rest.URL, "10m"),
		"brp-eindhoven": fmt.Sprintf(stufPartner, stuf.URL),
	})
	r.addAdapter(t, "poll", pluginBinary(t, "poll"))
	h := r.start(t)

	waitFeed(t, h, map[string]int{"ggz-noord": 25, "brp-eindhoven": 12})
	restState := h.waitPartner(t, "ggz-noord", "three pages", func(st hub.PartnerStatus) bool {
		return st.Poll != nil && st.Poll.Pages == 3 && st.Poll.LastSuccessAt != nil
	})
	stufState := h.waitPartner(t, "brp-eindhoven", "its pages", func(st hub.PartnerStatus) bool {
		return st.Poll != nil && strings.HasSuffix(st.Poll.Cursor, ";1") && st.Poll.LastSuccessAt != nil
	})
	if restState.Poll.Cursor == "" || restState.Poll.LastError != nil || restState.Poll.Interval != "300ms" {
		t.Errorf("ggz-noord poll state %+v", restState.Poll)
	}
	docs := h.documents(t, "ggz-noord")
	if len(docs) != 3 || docs[0].Source != "poll" {
		t.Fatalf("ggz-noord has %d documents, want its 3 pages: %+v", len(docs), docs)
	}
	for _, d := range docs {
		if rc := h.waitDocument(t, d.ID, time.Minute); rc.Status != hub.DocDone || rc.Counts.Rejected != 0 {
			t.Errorf("page %s: %s %+v %+v", d.OriginalName, rc.Status, rc.Counts, rc.Errors)
		}
	}

	outer := t // the restarted hub lives on after the subtest
	t.Run("RestartKeepsCursor", func(t *testing.T) {
		h.stop(t)
		restBefore, stufBefore := rest.Requests(), stuf.Requests()
		h = r.start(outer)
		st := h.waitPartner(t, "ggz-noord", "polls after the restart", func(st hub.PartnerStatus) bool {
			return st.Poll != nil && st.Poll.LastPollAt != nil && rest.Requests() > restBefore+1 && stuf.Requests() > stufBefore+1
		})
		if st.Poll.Cursor != restState.Poll.Cursor || st.Poll.Pages != 3 {
			t.Errorf("after the restart the poll state is %+v, before %+v", st.Poll, restState.Poll)
		}
		if st, _ := h.partner(t, "brp-eindhoven"); st.Poll == nil || st.Poll.Cursor != stufState.Poll.Cursor {
			t.Errorf("brp-eindhoven after the restart: %+v, before %+v", st.Poll, stufState.Poll)
		}
		if n := len(h.documents(t, "ggz-noord")); n != 3 {
			t.Errorf("%d documents after the restart; nothing new was there to store", n)
		}
		waitFeed(t, h, map[string]int{"ggz-noord": 25, "brp-eindhoven": 12})
	})

	t.Run("NewPersonsArrive", func(t *testing.T) {
		rest.Add(polltest.People("GGZN-NIEUW", 3, t0.Add(time.Hour), time.Minute)...)
		stuf.Add(polltest.People("BRP-NIEUW", 2, t0.Add(time.Hour), time.Minute)...)
		waitFeed(t, h, map[string]int{"ggz-noord": 28, "brp-eindhoven": 14})
	})

	t.Run("HangingServiceHoldsUpNoOne", func(t *testing.T) {
		before := rest.Requests()
		rest.SetFailure(polltest.Hang)
		hanging := h.waitPartner(t, "ggz-noord", "a poll that hangs", func(st hub.PartnerStatus) bool {
			return st.Poll != nil && st.Poll.State == "polling" && rest.Requests() > before
		})
		r.otherPartnersIngest(t, h, "tijdens-hang-", map[string]string{"ggz-oost": "ggz-oost.csv"})
		if st, _ := h.partner(t, "ggz-noord"); st.Poll == nil || st.Poll.State != "polling" {
			t.Fatalf("the hanging poll ended before the other partner's drop was done: %+v", st.Poll)
		}
		// A shorter timeout, applied while the hub runs, ends the hang.
		revision := restState.Revision.Hash
		writeAtomic(t, r.partnerFile("ggz-noord"), fmt.Appendf(nil, restPartner, rest.URL, "1s"), 0o640)
		st := h.waitPartner(t, "ggz-noord", "a timeout after the reload", func(st hub.PartnerStatus) bool {
			return st.Revision != nil && st.Revision.Hash != revision && st.Poll != nil && st.Poll.LastError != nil &&
				st.Poll.LastError.Code == sdk.CodePollTimeout
		})
		if st.Poll.Cursor != hanging.Poll.Cursor {
			t.Errorf("the cursor moved without a page: %q, was %q", st.Poll.Cursor, hanging.Poll.Cursor)
		}
	})

	t.Run("HTTPError", func(t *testing.T) {
		rest.SetFailure(polltest.Status500)
		st := h.waitPartner(t, "ggz-noord", "POLL_HTTP", func(st hub.PartnerStatus) bool {
			return st.Poll != nil && st.Poll.LastError != nil && st.Poll.LastError.Code == sdk.CodePollHTTP
		})
		if !strings.Contains(st.Poll.LastError.Message, "500") || st.Poll.Failures < 1 {
			t.Errorf("poll state %+v", st.Poll)
		}
	})

	t.Run("MalformedPage", func(t *testing.T) {
		rest.SetFailure(polltest.Malformed)
		st := h.waitPartner(t, "ggz-noord", "POLL_RESPONSE", func(st hub.PartnerStatus) bool {
			return st.Poll != nil && st.Poll.LastError != nil && st.Poll.LastError.Code == sdk.CodePollResponse
		})
		doc := h.waitDocument(t, st.Poll.LastDocument, time.Minute)
		if len(doc.Errors) == 0 || doc.Errors[0].Code != sdk.CodeSyntax {
			t.Errorf("the malformed page's receipt: %s %+v", doc.Status, doc.Errors)
		}
		rest.SetFailure(polltest.OK)
		h.waitPartner(t, "ggz-noord", "recovery", func(st hub.PartnerStatus) bool {
			return st.Poll != nil && st.Poll.Failures == 0 && st.Poll.LastError == nil
		})
		waitFeed(t, h, map[string]int{"ggz-noord": 28, "brp-eindhoven": 14})
	})
}

// documents lists a partner's documents, newest first.
func (h *hubProc) documents(t *testing.T, partner string) []hub.Document {
	t.Helper()
	var list struct {
		Items []hub.Document `json:"items"`
	}
	if code := h.getJSON(t, "/v1/partners/"+partner+"/documents", &list); code != 200 {
		t.Fatalf("documents of %s: status %d", partner, code)
	}
	return list.Items
}

// waitFeed waits until the feed holds exactly want registrations per
// partner, each record key once, and fails when it holds more.
func waitFeed(t *testing.T, h *hubProc, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := map[string][]string{}
		for _, it := range h.feed(t) {
			if _, ok := want[it.Partner]; ok {
				got[it.Partner] = append(got[it.Partner], it.RecordKey)
			}
		}
		done := true
		for p, n := range want {
			keys := slices.Clone(got[p])
			slices.Sort(keys)
			if len(slices.Compact(keys)) != len(got[p]) || len(got[p]) > n {
				t.Fatalf("the feed has %d registrations of %s, %d distinct; want %d", len(got[p]), p, len(slices.Compact(keys)), n)
			}
			done = done && len(got[p]) == n
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed has %v registrations, want %v\n%s", counts(got), want, tail(h.logs.String(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func counts(m map[string][]string) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}
