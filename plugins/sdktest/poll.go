package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// PollConfig is what RunPoll needs to know about the adapter under test.
type PollConfig struct {
	// Partner is the partner id the adapter is configured for.
	Partner string
	// AdapterConfig is a configuration that points the adapter at a
	// service the test runs (a fake, such as plugins/polltest's), which
	// does not change while RunPoll runs.
	AdapterConfig []byte
	// WantRecords is the number of records all pages of the service give,
	// or -1.
	WantRecords int
	// MaxPages bounds the pages RunPoll fetches in one walk; default 100.
	MaxPages int
}

// pollCodes are the codes of sdk.PollError.
var pollCodes = map[string]bool{sdk.CodePollConnect: true, sdk.CodePollTimeout: true, sdk.CodePollAuth: true,
	sdk.CodePollHTTP: true, sdk.CodePollFault: true, sdk.CodePollResponse: true, sdk.CodePollCursor: true, sdk.CodePollFailed: true}

// RunPoll runs the conformance checks of the optional sdk.Poller
// capability against adapter a, which must implement it, configured for a
// service the test runs. Like Run it serves a through sdk.TestClient and
// names its subtests after the property they check:
//
//   - Describe: the capability sdk.CapabilityPoll is reported.
//   - Pages: from the cursor "" on, Poll gives pages until it says there is
//     no more; a page is written exactly when it has items or a problem,
//     every problem has an sdk.CodePoll* code and a message, every page
//     written decodes with the same adapter by the rules of Run's Decode
//     check (records of the partner, unique keys within a page, known
//     codes), and all pages give WantRecords records.
//   - NoPersonalDataInCursor: no cursor holds the BSN of a record: the hub
//     shows cursors to ICT staff and keeps them in its database.
//   - CaughtUp: a poll from the last cursor writes nothing and keeps it.
//   - Deterministic: a second walk gives the same cursors and pages (up to
//     their names), as the hub's retry of a page it could not store
//     expects.
//   - OtherPartner: Poll for a partner the adapter is not configured for
//     returns an error.
//   - Cancellation: Poll with a cancelled context returns an error within a
//     few seconds, called directly (over gRPC the hub side returns anyway).
func RunPoll(t *testing.T, a sdk.Adapter, cfg PollConfig) {
	t.Helper()
	if cfg.Partner == "" {
		t.Fatal("sdktest: PollConfig.Partner is empty")
	}
	direct, ok := a.(sdk.Poller)
	if !ok {
		t.Fatalf("sdktest: the adapter (%T) does not implement sdk.Poller", a)
	}
	if cfg.MaxPages == 0 {
		cfg.MaxPages = 100
	}
	hub := sdk.TestClient(t, a)
	if err := hub.Configure(t.Context(), cfg.Partner, cfg.AdapterConfig); err != nil {
		t.Fatalf("Configure(%q, PollConfig.AdapterConfig) = %v", cfg.Partner, err)
	}
	s := &pollSuite{cfg: cfg, hub: hub, poller: hub.(sdk.Poller), direct: direct}
	t.Run("Describe", s.describe)
	first := s.walk(t)
	t.Run("Pages", func(t *testing.T) { s.checkPages(t, first) })
	t.Run("NoPersonalDataInCursor", func(t *testing.T) { s.noBSNInCursors(t, first) })
	t.Run("CaughtUp", func(t *testing.T) { s.caughtUp(t, first) })
	t.Run("Deterministic", func(t *testing.T) {
		second := s.walk(t)
		if len(second) != len(first) {
			t.Fatalf("a second walk gives %d pages, the first %d", len(second), len(first))
		}
		for i := range first {
			a, b := first[i], second[i]
			if a.res.NextCursor != b.res.NextCursor || a.res.More != b.res.More || a.res.Items != b.res.Items || !bytes.Equal(a.data, b.data) {
				t.Errorf("page %d differs the second time: cursor %q/%q, more %v/%v, items %d/%d, %d/%d bytes", i+1,
					a.res.NextCursor, b.res.NextCursor, a.res.More, b.res.More, a.res.Items, b.res.Items, len(a.data), len(b.data))
			}
		}
	})
	t.Run("OtherPartner", func(t *testing.T) {
		if _, err := s.poller.Poll(t.Context(), sdk.PollRequest{Partner: cfg.Partner + "-ander"}, io.Discard); err == nil {
			t.Error("Poll for another partner than the configured one returns no error")
		}
	})
	t.Run("Cancellation", s.cancellation)
}

// pollSuite holds one RunPoll.
type pollSuite struct {
	cfg    PollConfig
	hub    sdk.Adapter // the hub's view, over gRPC
	poller sdk.Poller  // the same, as Poller
	direct sdk.Poller  // the adapter itself
}

// polledPage is one Poll of a walk.
type polledPage struct {
	from string
	res  sdk.PollResult
	data []byte
}

func (s *pollSuite) describe(t *testing.T) {
	d, err := s.hub.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if !slices.Contains(d.Capabilities, sdk.CapabilityPoll) {
		t.Errorf("Describe gives Capabilities %q, without %q", d.Capabilities, sdk.CapabilityPoll)
	}
}

// walk polls from "" until the service has no more.
func (s *pollSuite) walk(t *testing.T) []polledPage {
	t.Helper()
	var pages []polledPage
	cursor := ""
	for range s.cfg.MaxPages {
		var buf bytes.Buffer
		res, err := s.poller.Poll(t.Context(), sdk.PollRequest{Partner: s.cfg.Partner, Cursor: cursor}, &buf)
		if err != nil {
			t.Fatalf("Poll from cursor %q: %v", cursor, err)
		}
		pages = append(pages, polledPage{from: cursor, res: res, data: buf.Bytes()})
		cursor = res.NextCursor
		if !res.More {
			return pages
		}
	}
	t.Fatalf("Poll still says there is more after %d pages", s.cfg.MaxPages)
	return nil
}

func (s *pollSuite) checkPages(t *testing.T, pages []polledPage) {
	records := 0
	for i, p := range pages {
		written := len(p.data) > 0
		if written != (p.res.Items > 0 || p.res.Problem != nil) {
			t.Errorf("page %d (from %q) has %d items and problem %v, and %d bytes written", i+1, p.from, p.res.Items, p.res.Problem, len(p.data))
		}
		if pr := p.res.Problem; pr != nil && (!pollCodes[pr.Code] || pr.Message == "") {
			t.Errorf("page %d has a problem with code %q and message %q", i+1, pr.Code, pr.Message)
		}
		if strings.ContainsAny(p.res.Name, `/\`) {
			t.Errorf("page %d is named %q; a name has no directories", i+1, p.res.Name)
		}
		if !written {
			continue
		}
		chunks := s.decodePage(t, i, p.data)
		su := &suite{cfg: Config{Partner: s.cfg.Partner}}
		n, _ := su.checkChunks(t, chunks)
		records += n
	}
	if s.cfg.WantRecords >= 0 && records != s.cfg.WantRecords {
		t.Errorf("the pages give %d records, want %d", records, s.cfg.WantRecords)
	}
}

// decodePage decodes a polled page with the same adapter, over gRPC.
func (s *pollSuite) decodePage(t *testing.T, i int, data []byte) []sdk.Chunk {
	t.Helper()
	rec := &Recorder{}
	doc := sdk.Document{ID: fmt.Sprintf("sdktest-page-%d", i+1), Partner: s.cfg.Partner, OriginalName: fmt.Sprintf("page-%d", i+1),
		ReceivedAt: receivedAt, Size: int64(len(data))}
	ctx, cancel := context.WithTimeout(t.Context(), decodeTimeout)
	defer cancel()
	if err := s.hub.Decode(ctx, doc, bytes.NewReader(data), rec); err != nil {
		t.Fatalf("Decode of page %d: %v", i+1, err)
	}
	return rec.Chunks()
}

func (s *pollSuite) noBSNInCursors(t *testing.T, pages []polledPage) {
	for i, p := range pages {
		if len(p.data) == 0 {
			continue
		}
		for _, c := range s.decodePage(t, i, p.data) {
			for _, r := range c.Records {
				var reg struct {
					Client struct {
						BSN string `json:"bsn"`
					} `json:"client"`
				}
				if json.Unmarshal(r.JSON, &reg) != nil || reg.Client.BSN == "" {
					continue
				}
				for _, q := range pages {
					if strings.Contains(q.res.NextCursor, reg.Client.BSN) {
						t.Fatalf("a cursor holds the BSN of the record with key %q", r.RecordKey)
					}
				}
			}
		}
	}
}

func (s *pollSuite) caughtUp(t *testing.T, pages []polledPage) {
	last := pages[len(pages)-1].res.NextCursor
	var buf bytes.Buffer
	res, err := s.poller.Poll(t.Context(), sdk.PollRequest{Partner: s.cfg.Partner, Cursor: last}, &buf)
	if err != nil {
		t.Fatalf("Poll from the last cursor: %v", err)
	}
	if buf.Len() > 0 || res.Items > 0 || res.NextCursor != last || res.More {
		t.Errorf("Poll from the last cursor %q writes %d bytes of %d items, gives cursor %q and more %v; want nothing new",
			last, buf.Len(), res.Items, res.NextCursor, res.More)
	}
}

func (s *pollSuite) cancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.direct.Poll(ctx, sdk.PollRequest{Partner: s.cfg.Partner}, io.Discard)
		done <- err
	}()
	select {
	case err := <-done:
		var pe *sdk.PollError
		if err == nil {
			t.Error("Poll with a cancelled context returns no error")
		} else if errors.As(err, &pe) && !pollCodes[pe.Code] {
			t.Errorf("Poll with a cancelled context gives code %q", pe.Code)
		}
	case <-time.After(cancelTimeout):
		t.Errorf("Poll with a cancelled context has not returned after %s", cancelTimeout)
	}
}
