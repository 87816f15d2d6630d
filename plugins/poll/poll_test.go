package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/polltest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// t0 is when the made-up persons of the fakes start changing.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// restAdapter returns an adapter configured with testdata/config/rest.json
// against url.
func restAdapter(t *testing.T, url string, over map[string]any) *adapter {
	t.Helper()
	withSecret(t)
	if over == nil {
		over = map[string]any{}
	}
	over["url"] = url
	return mustAdapter(t, configWith(t, "rest", over))
}

// pollOnce polls from cursor and returns the result and the page written.
func pollOnce(t *testing.T, a sdk.Poller, cursor string) (sdk.PollResult, []byte, error) {
	t.Helper()
	var page bytes.Buffer
	res, err := a.Poll(context.Background(), sdk.PollRequest{Partner: testPartner, Cursor: cursor}, &page)
	return res, page.Bytes(), err
}

// pollAll polls from cursor until the service has nothing more, decoding
// every page, and returns the record keys in order and the last cursor.
func pollAll(t *testing.T, a *adapter, cursor string) (keys []string, last string) {
	t.Helper()
	for range 100 {
		res, page, err := pollOnce(t, a, cursor)
		if err != nil {
			t.Fatalf("Poll(%q): %v", cursor, err)
		}
		if res.Problem != nil {
			t.Fatalf("Poll(%q): problem %+v", cursor, res.Problem)
		}
		if (len(page) > 0) != (res.Items > 0) {
			t.Fatalf("Poll(%q) wrote %d bytes for %d items", cursor, len(page), res.Items)
		}
		if len(page) > 0 {
			w := decode(t, a, page)
			sdktest.CheckRecords(t, w.Records())
			if errs := w.Errors(); len(errs) > 0 {
				t.Fatalf("page from %q has record errors: %+v", cursor, errs)
			}
			for _, r := range w.Records() {
				keys = append(keys, r.RecordKey)
			}
		}
		cursor = res.NextCursor
		if !res.More {
			return keys, cursor
		}
	}
	t.Fatal("Poll never ends")
	return nil, ""
}

func TestPollRESTPaging(t *testing.T) {
	persons := polltest.People("GGZN", 10, t0, time.Minute)
	srv := polltest.NewREST(testToken, persons...)
	defer srv.Close()
	a := restAdapter(t, srv.URL, nil)

	keys, cursor := pollAll(t, a, "")
	if len(keys) != 10 || keys[0] != "GGZN-0001" || keys[9] != "GGZN-0010" {
		t.Fatalf("keys %v", keys)
	}
	if srv.Requests() != 3 { // pages of page_size 4: 4, 4, 2
		t.Errorf("%d requests, want 3", srv.Requests())
	}
	t.Run("NothingNew", func(t *testing.T) {
		res, page, err := pollOnce(t, a, cursor)
		if err != nil || res.Items != 0 || len(page) != 0 || res.NextCursor != cursor || res.More {
			t.Fatalf("result %+v, %d bytes, %v", res, len(page), err)
		}
	})
	t.Run("Grows", func(t *testing.T) {
		srv.Add(polltest.People("GGZN-NEW", 2, t0.Add(time.Hour), time.Minute)...)
		keys, _ := pollAll(t, a, cursor)
		if len(keys) != 2 || !strings.HasPrefix(keys[0], "GGZN-NEW") {
			t.Fatalf("keys %v", keys)
		}
	})
}

func TestPollRESTSince(t *testing.T) {
	persons := polltest.People("GGZN", 6, t0, time.Minute)
	srv := polltest.NewREST(testToken, persons...)
	defer srv.Close()
	a := restAdapter(t, srv.URL, map[string]any{"rest": map[string]any{
		"items": "/data", "cursor": map[string]any{"param": "cursor", "since_field": "/gewijzigd_op"}}})
	res, page, err := pollOnce(t, a, "")
	if err != nil || res.Problem != nil {
		t.Fatalf("Poll: %+v, %v", res, err)
	}
	want := persons[5].Changed.UTC().Format(time.RFC3339Nano)
	if res.Items != 6 || res.NextCursor != want || res.More || len(page) == 0 {
		t.Fatalf("result %+v, want cursor %s", res, want)
	}
}

func TestPollRESTProblems(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantCode   string
		wantCursor string
		wantItems  int
	}{
		{"NoJSON", `<html>onderhoud</html>`, sdk.CodePollResponse, "c1", 0},
		{"CutOff", `{"data": [{"dossiernummer": "A"`, sdk.CodePollResponse, "c1", 0},
		{"NoItems", `{"items": [], "meta": {"next_cursor": "c2"}}`, sdk.CodePollResponse, "c2", 0},
		{"CursorObject", `{"data": [{"dossiernummer": "A"}], "meta": {"next_cursor": {"p": 2}}}`, sdk.CodePollResponse, "c1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tt.body)) }))
			defer srv.Close()
			res, page, err := pollOnce(t, restAdapter(t, srv.URL, nil), "c1")
			if err != nil {
				t.Fatal(err)
			}
			if res.Problem == nil || res.Problem.Code != tt.wantCode || res.NextCursor != tt.wantCursor || res.Items != tt.wantItems || res.More {
				t.Fatalf("result %+v, problem %+v", res, res.Problem)
			}
			if string(page) != tt.body {
				t.Errorf("a page with a problem is written as it came; got %q", page)
			}
		})
	}
}

func TestPollErrors(t *testing.T) {
	tests := []struct {
		failure  polltest.Failure
		wantCode string
	}{
		{polltest.Status500, sdk.CodePollHTTP},
		{polltest.Refuse, sdk.CodePollAuth},
		{polltest.Hang, sdk.CodePollTimeout},
	}
	for _, tt := range tests {
		t.Run(string(tt.failure), func(t *testing.T) {
			srv := polltest.NewREST(testToken, polltest.People("GGZN", 2, t0, time.Minute)...)
			defer srv.Close()
			srv.SetFailure(tt.failure)
			a := restAdapter(t, srv.URL, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := a.Poll(ctx, sdk.PollRequest{Partner: testPartner}, &bytes.Buffer{})
			var pe *sdk.PollError
			if !errors.As(err, &pe) || pe.Code != tt.wantCode || pe.Message == "" {
				t.Fatalf("err = %v, want code %s", err, tt.wantCode)
			}
		})
	}
	t.Run("WrongSecret", func(t *testing.T) {
		srv := polltest.NewREST("een ander geheim", polltest.People("GGZN", 1, t0, time.Minute)...)
		defer srv.Close()
		_, _, err := pollOnce(t, restAdapter(t, srv.URL, nil), "")
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollAuth {
			t.Fatalf("err = %v, want POLL_AUTH", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, _, err := pollOnce(t, restAdapter(t, url, nil), "")
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollConnect || !strings.Contains(pe.Message, "127.0.0.1") {
			t.Fatalf("err = %v, want POLL_CONNECT naming the host", err)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		srv := polltest.NewREST(testToken, polltest.People("GGZN", 40, t0, time.Minute)...)
		defer srv.Close()
		a := restAdapter(t, srv.URL, map[string]any{"max_page_bytes": 1024, "page_size": 40})
		_, _, err := pollOnce(t, a, "")
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollResponse {
			t.Fatalf("err = %v, want POLL_RESPONSE", err)
		}
	})
	t.Run("OtherPartner", func(t *testing.T) {
		a := restAdapter(t, "http://127.0.0.1:1/", nil)
		_, err := a.Poll(context.Background(), sdk.PollRequest{Partner: "iemand-anders"}, &bytes.Buffer{})
		var pe *sdk.PollError
		if err == nil || errors.As(err, &pe) {
			t.Fatalf("err = %v, want a plain error", err)
		}
	})
}

// stufAdapter returns an adapter configured with
// testdata/config/stuf-bg.json against url.
func stufAdapter(t *testing.T, url string, over map[string]any) *adapter {
	t.Helper()
	if over == nil {
		over = map[string]any{}
	}
	over["url"] = url
	return mustAdapter(t, configWith(t, "stuf-bg", over))
}

func TestPollStUF(t *testing.T) {
	// Three persons share a tijdstip, across the page boundary.
	persons := polltest.People("P", 7, t0, time.Minute)
	for i := 3; i < 6; i++ {
		persons[i].Changed = persons[3].Changed
	}
	srv := polltest.NewStUF(persons...)
	defer srv.Close()
	a := stufAdapter(t, srv.URL, map[string]any{"page_size": 2})

	keys, cursor := pollAll(t, a, "")
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	if len(seen) != 7 {
		t.Fatalf("got %d distinct persons (%v), want 7", len(seen), keys)
	}
	if want := "20250301090600000;1"; cursor != want {
		t.Errorf("cursor %q, want %q", cursor, want)
	}
	// The last request asked from the shared tijdstip, past the three
	// persons held there: page_size 2 + 3.
	req := string(srv.LastRequest())
	for _, want := range []string{"<BG:npsLv01>", "<StUF:tijdstipRegistratie>20250301090300000</StUF:tijdstipRegistratie>",
		"<StUF:maximumAantal>5</StUF:maximumAantal>", `<BG:geslachtsnaam xsi:nil="true"/>`, "<StUF:organisatie>Ketenhub</StUF:organisatie>"} {
		if !strings.Contains(req, want) {
			t.Errorf("the npsLv01 lacks %s:\n%s", want, req)
		}
	}
	t.Run("NothingNew", func(t *testing.T) {
		res, page, err := pollOnce(t, a, cursor)
		if err != nil || res.Items != 0 || len(page) != 0 || res.NextCursor != cursor {
			t.Fatalf("result %+v, %d bytes, %v", res, len(page), err)
		}
	})
	t.Run("SameTijdstip", func(t *testing.T) {
		late := polltest.People("Q", 1, persons[6].Changed, 0)
		srv.Add(late...)
		keys, next := pollAll(t, a, cursor)
		if !strings.Contains(strings.Join(keys, ","), "Q-0001") || next != "20250301090600000;2" {
			t.Fatalf("keys %v, cursor %q", keys, next)
		}
	})
}

func TestPollStUFErrors(t *testing.T) {
	t.Run("Fault", func(t *testing.T) {
		srv := polltest.NewStUF()
		defer srv.Close()
		srv.SetFailure(polltest.Fault)
		_, _, err := pollOnce(t, stufAdapter(t, srv.URL, nil), "")
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollFault || !strings.Contains(pe.Message, "StUF046") {
			t.Fatalf("err = %v, want POLL_FAULT with the StUF code", err)
		}
		if strings.Contains(pe.Message, "999990007") {
			t.Errorf("the message passes on the fault's text, with a BSN: %s", pe.Message)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		srv := polltest.NewStUF(polltest.People("P", 3, t0, time.Minute)...)
		defer srv.Close()
		srv.SetFailure(polltest.Malformed)
		res, page, err := pollOnce(t, stufAdapter(t, srv.URL, nil), "20250301080000000")
		if err != nil || res.Problem == nil || res.Problem.Code != sdk.CodePollResponse || len(page) == 0 || res.NextCursor != "20250301080000000" {
			t.Fatalf("result %+v, %v", res, err)
		}
	})
	t.Run("BadCursor", func(t *testing.T) {
		_, _, err := pollOnce(t, stufAdapter(t, "http://127.0.0.1:1/", nil), "eyJwIjoyfQ")
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollCursor {
			t.Fatalf("err = %v, want POLL_CURSOR", err)
		}
	})
	t.Run("NoTijdstippen", func(t *testing.T) {
		sample := readFile(t, "stuf-bg/StufBgResponse.xml")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", "Sat, 01 Mar 2025 09:30:00 GMT")
			_, _ = w.Write(sample)
		}))
		defer srv.Close()
		res, page, err := pollOnce(t, stufAdapter(t, srv.URL, nil), "")
		if err != nil || res.Problem != nil || res.Items != 1 || !bytes.Equal(page, sample) {
			t.Fatalf("result %+v, %v", res, err)
		}
		if want := "20250301103000000"; res.NextCursor != want {
			t.Errorf("cursor %q, want the service's time of the answer %q", res.NextCursor, want)
		}
	})
}

// TestPollOverGRPC polls and decodes through sdk.TestClient, the hub's
// real path without a binary.
func TestPollOverGRPC(t *testing.T) {
	withSecret(t)
	srv := polltest.NewREST(testToken, polltest.People("GGZN", 3, t0, time.Minute)...)
	defer srv.Close()
	hub := sdk.TestClient(t, newAdapter())
	if err := hub.Configure(context.Background(), testPartner, configWith(t, "rest", map[string]any{"url": srv.URL})); err != nil {
		t.Fatal(err)
	}
	res, page, err := pollOnce(t, hub.(sdk.Poller), "")
	if err != nil || res.Items != 3 || res.Problem != nil {
		t.Fatalf("result %+v, %v", res, err)
	}
	w := decode(t, hub, page)
	if len(w.Records()) != 3 || len(w.Errors()) != 0 {
		t.Fatalf("%d records, errors %+v", len(w.Records()), w.Errors())
	}
}
