package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// token is the operator token of the tests: role ict-beheer.
const token = "s3cret-token-for-tests"

// unitCreds authenticate the unit tests: partner "ggz" reads its own
// registrations with purpose aanmelding (the feedOf fakes).
var unitCreds struct {
	once sync.Once
	c    *credentials
}

func creds(t *testing.T) *credentials {
	unitCreds.once.Do(func() { unitCreds.c = newCredentials(t, "ggz") })
	return unitCreds.c
}

// fakeStore is an api.Store whose methods call its function fields; a nil
// field answers an empty result.
type fakeStore struct {
	FeedFn         func(ctx context.Context, after int64, limit int) ([]store.FeedItem, error)
	DocumentFn     func(ctx context.Context, id string) (hub.Document, error)
	DocumentsFn    func(ctx context.Context, partner string, limit int) ([]hub.Document, error)
	RecordErrorsFn func(ctx context.Context, documentID string, after int64, limit int) ([]store.RecordError, error)
}

func (f *fakeStore) Feed(ctx context.Context, after int64, limit int) ([]store.FeedItem, error) {
	if f.FeedFn == nil {
		return nil, nil
	}
	return f.FeedFn(ctx, after, limit)
}

func (f *fakeStore) Document(ctx context.Context, id string) (hub.Document, error) {
	if f.DocumentFn == nil {
		return hub.Document{}, hub.Errorf(hub.ENOTFOUND, "document %s bestaat niet", id)
	}
	return f.DocumentFn(ctx, id)
}

func (f *fakeStore) Documents(ctx context.Context, partner string, limit int) ([]hub.Document, error) {
	if f.DocumentsFn == nil {
		return nil, nil
	}
	return f.DocumentsFn(ctx, partner, limit)
}

func (f *fakeStore) RecordErrors(ctx context.Context, documentID string, after int64, limit int) ([]store.RecordError, error) {
	if f.RecordErrorsFn == nil {
		return nil, nil
	}
	return f.RecordErrorsFn(ctx, documentID, after, limit)
}

func (f *fakeStore) InTx(context.Context, func(tx pgx.Tx) error) error {
	return errors.New("no database in this test")
}

// logBuffer collects log output safely from concurrent requests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the JSON log records written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// mustHandler returns the API's handler over st with cfg's other fields, and
// the buffer its log goes to.
func mustHandler(t *testing.T, st api.Store, cfg api.Config) (http.Handler, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg.OperatorToken = token
	cfg.Store = st
	cfg.Auth = creds(t).auth
	cfg.Policy = newEngine(t, nil)
	if cfg.Audit == nil {
		cfg.Audit = &fakeAudit{}
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := api.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h, logs
}

// do serves one request; auth is the Authorization header, "" for none.
func do(t *testing.T, h http.Handler, method, target, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// get GETs target as the operator.
func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, target, "Bearer "+token)
}

// feed GETs target as partner ggz with purpose aanmelding.
func feed(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	return do(t, h, http.MethodGet, target+sep+"purpose=aanmelding", creds(t).partner("ggz"))
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// wantProblem checks that rec is a well-formed problem with status and code.
func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) api.Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	for _, k := range []string{"type", "title", "status", "detail", "instance", "code"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("problem lacks %q: %s", k, rec.Body)
		}
	}
	p := decode[api.Problem](t, rec)
	if p.Status != status || p.Code != code || p.Type != api.ProblemTypeBase+code || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want status %d and code %s", p, status, code)
	}
	return p
}

func TestNew(t *testing.T) {
	c := creds(t)
	e := newEngine(t, nil)
	tests := []struct {
		name string
		cfg  api.Config
		ok   bool
	}{
		{"OK", api.Config{Store: &fakeStore{}, Auth: c.auth, Policy: e, Audit: &fakeAudit{}}, true},
		{"OKOperatorToken", api.Config{Store: &fakeStore{}, Auth: c.auth, Policy: e, Audit: &fakeAudit{}, OperatorToken: token}, true},
		{"ErrShortOperatorToken", api.Config{Store: &fakeStore{}, Auth: c.auth, Policy: e, Audit: &fakeAudit{}, OperatorToken: "kort"}, false},
		{"ErrNoAuth", api.Config{Store: &fakeStore{}, Policy: e, Audit: &fakeAudit{}}, false},
		{"ErrNoPolicy", api.Config{Store: &fakeStore{}, Auth: c.auth, Audit: &fakeAudit{}}, false},
		{"ErrNoAudit", api.Config{Store: &fakeStore{}, Auth: c.auth, Policy: e}, false},
		{"ErrNoStore", api.Config{Auth: c.auth, Policy: e, Audit: &fakeAudit{}}, false},
		{"ErrNegativeTimeout", api.Config{Store: &fakeStore{}, Auth: c.auth, Policy: e, Audit: &fakeAudit{}, Timeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := api.New(tt.cfg)
			if tt.ok != (err == nil) || tt.ok != (h != nil) {
				t.Fatalf("New = %v, %v; want ok %v", h, err, tt.ok)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	audits := &fakeAudit{}
	h, logs := mustHandler(t, &fakeStore{}, api.Config{Audit: audits})
	c := creds(t)
	expired, err := auth.SignHMAC(c.key, []byte(jwtSecret), auth.TokenClaims{User: "u-1", Organisation: "ggz-oost", Role: "regievoerder",
		Audience: "ketenhub", TTL: time.Minute}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rejected := []struct {
		name, auth string
		status     int
		code       string
	}{
		{"ErrMissing", "", 401, "AUTH_MISSING"},
		{"ErrWrongToken", "Bearer wrong-token", 401, "AUTH_INVALID"},
		{"ErrTokenPrefix", "Bearer " + token[:len(token)-1], 401, "AUTH_INVALID"},
		{"ErrTokenLonger", "Bearer " + token + "x", 401, "AUTH_INVALID"},
		{"ErrWrongScheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+token)), 401, "AUTH_INVALID"},
		{"ErrNoScheme", token, 401, "AUTH_INVALID"},
		{"ErrEmptyBearer", "Bearer ", 401, "AUTH_INVALID"},
		{"ErrWrongAPIKey", "Bearer khp_" + c.keys["ggz"].ID + "_" + strings.Repeat("0", 64), 401, "AUTH_INVALID"},
		{"ErrExpired", "Bearer " + expired, 401, "AUTH_EXPIRED"},
		{"ErrBSNAsUser", c.user(t, "999993653", "ggz-oost", "regievoerder"), 401, "AUTH_INVALID"},
	}
	paths := []string{"/v1/registrations", "/v1/documents/01ABC", "/v1/documents/01ABC/errors",
		"/v1/partners/ggz/documents", "/v1/unknown", "/v1"}
	for _, tt := range rejected {
		for _, p := range paths {
			t.Run(tt.name+p, func(t *testing.T) {
				before := len(audits.all())
				rec := do(t, h, http.MethodGet, p, tt.auth)
				wantProblem(t, rec, tt.status, hub.EUNAUTHORIZED)
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				ev := audits.all()[before:]
				if len(ev) != 1 || ev[0].Type != audit.TypeAuthFailure || ev[0].Outcome != audit.OutcomeDenied ||
					!strings.Contains(string(ev[0].Detail), tt.code) {
					t.Errorf("audit events %+v, want one auth_failure with %s", ev, tt.code)
				}
			})
		}
	}
	accepted := []struct {
		name, path, auth string
	}{
		{"OKOperator", "/v1/partners/ggz/documents", "Bearer " + token},
		{"OKSchemeCaseInsensitive", "/v1/partners/ggz/documents", "bearer " + token},
		{"OKPartnerKey", "/v1/partners/ggz/documents", c.partner("ggz")},
		{"OKPartnerFeed", "/v1/registrations?purpose=aanmelding", c.partner("ggz")},
		{"OKUser", "/v1/registrations?purpose=aanmelding", c.user(t, "u-1", "gemeente-szw", "regievoerder")},
		{"OKPublicOpenAPIYAML", "/v1/openapi.yaml", ""},
		{"OKPublicOpenAPIJSON", "/v1/openapi.json", ""},
		{"OKPublicOpenAPIWrongToken", "/v1/openapi.yaml", "Bearer wrong"},
		{"OKLivez", "/livez", ""},
		{"OKReadyz", "/readyz", ""},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, http.MethodGet, tt.path, tt.auth)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
		})
	}
	forbidden := []struct {
		name, path, auth, code string
	}{
		{"ErrOperatorReadsFeed", "/v1/registrations", "Bearer " + token, hub.EFORBIDDEN},
		{"ErrPartnerOtherPartner", "/v1/partners/ggz-oost/documents", c.partner("ggz"), hub.EFORBIDDEN},
		{"ErrUnknownRole", "/v1/registrations?purpose=aanmelding", c.user(t, "u-1", "ggz-oost", "spion"), hub.EFORBIDDEN},
		{"ErrRoleOfOtherOrganisation", "/v1/registrations?purpose=zorgcoordinatie", c.user(t, "u-1", "ggz-oost", "opvang-medewerker"), hub.EFORBIDDEN},
		{"ErrPurposeNotAllowed", "/v1/registrations?purpose=beleid", c.user(t, "u-1", "gemeente-szw", "regievoerder"), hub.EFORBIDDEN},
	}
	for _, tt := range forbidden {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, do(t, h, http.MethodGet, tt.path, tt.auth), http.StatusForbidden, tt.code)
		})
	}
	t.Run("ErrNoPurpose", func(t *testing.T) {
		p := wantProblem(t, do(t, h, http.MethodGet, "/v1/registrations", c.user(t, "u-1", "gemeente-szw", "regievoerder")), http.StatusBadRequest, hub.EINVALID)
		if !strings.Contains(p.Detail, "aanmelding, zorgcoordinatie") {
			t.Errorf("detail %q does not list the role's purposes", p.Detail)
		}
	})
	for _, secret := range []string{token, "wrong-token", c.keys["ggz"].Secret, jwtSecret, "999993653", "spion"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q: %s", secret, logs)
		}
	}
}

// feedOf is a fake feed of n registrations with feed positions 10, 20, ...
func feedOf(n int) func(ctx context.Context, after int64, limit int) ([]store.FeedItem, error) {
	return func(ctx context.Context, after int64, limit int) ([]store.FeedItem, error) {
		var out []store.FeedItem
		for i := 1; i <= n && len(out) < limit; i++ {
			seq := int64(i * 10)
			if seq <= after {
				continue
			}
			out = append(out, store.FeedItem{
				Seq: seq, Partner: "ggz", RecordKey: "r" + strconv.Itoa(i), ClientID: "kc-" + strconv.Itoa(i), Status: store.StatusActive,
				Operation: "new", DocumentID: "01DOC", Line: i, UpdatedAt: time.Unix(int64(i), 0).UTC(),
				Registration: json.RawMessage(`{"schema_version":"1"}`),
			})
		}
		return out, nil
	}
}

func TestRegistrationsPaging(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{FeedFn: feedOf(7)}, api.Config{})
	var keys []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		rec := feed(t, h, "/v1/registrations?limit=3&after="+cursor)
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		page := decode[api.Page[json.RawMessage]](t, rec)
		if page.NextCursor == "" {
			t.Fatal("no next_cursor")
		}
		if len(page.Items) == 0 {
			if page.NextCursor != cursor {
				t.Errorf("empty page: next_cursor = %q, want the cursor asked for %q", page.NextCursor, cursor)
			}
			break
		}
		for _, it := range page.Items {
			var item struct {
				RecordKey string `json:"record_key"`
				Seq       *int64 `json:"seq"`
			}
			if err := json.Unmarshal(it, &item); err != nil {
				t.Fatal(err)
			}
			if item.Seq != nil {
				t.Error("the feed position leaks into items")
			}
			keys = append(keys, item.RecordKey)
		}
		cursor = page.NextCursor
	}
	if got, want := strings.Join(keys, ","), "r1,r2,r3,r4,r5,r6,r7"; got != want {
		t.Errorf("paged through %s, want %s", got, want)
	}

	t.Run("EmptyFeedEchoesStart", func(t *testing.T) {
		h, _ := mustHandler(t, &fakeStore{}, api.Config{})
		first := decode[api.Page[json.RawMessage]](t, feed(t, h, "/v1/registrations"))
		if first.Items == nil || len(first.Items) != 0 || first.NextCursor == "" {
			t.Fatalf("page = %+v, want [] and a cursor", first)
		}
		again := decode[api.Page[json.RawMessage]](t, feed(t, h, "/v1/registrations?after="+first.NextCursor))
		if again.NextCursor != first.NextCursor {
			t.Errorf("next_cursor = %q, want %q", again.NextCursor, first.NextCursor)
		}
	})
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name, query string
		want        int // limit the store sees; 0: refused
	}{
		{"OKDefault", "", 100},
		{"OKOne", "limit=1", 1},
		{"OKMax", "limit=1000", 1000},
		{"ErrZero", "limit=0", 0},
		{"ErrNegative", "limit=-1", 0},
		{"ErrTooLarge", "limit=1001", 0},
		{"ErrNotANumber", "limit=abc", 0},
		{"ErrFraction", "limit=1.5", 0},
		{"ErrHuge", "limit=99999999999999999999", 0},
	}
	for _, path := range []string{"/v1/registrations", "/v1/documents/01DOC/errors", "/v1/partners/ggz/documents"} {
		for _, tt := range tests {
			t.Run(tt.name+path, func(t *testing.T) {
				got := 0
				st := &fakeStore{
					FeedFn: func(_ context.Context, _ int64, limit int) ([]store.FeedItem, error) {
						got = limit
						return nil, nil
					},
					DocumentFn: func(_ context.Context, id string) (hub.Document, error) {
						return hub.Document{ID: id}, nil
					},
					RecordErrorsFn: func(_ context.Context, _ string, _ int64, limit int) ([]store.RecordError, error) {
						got = limit
						return nil, nil
					},
					DocumentsFn: func(_ context.Context, _ string, limit int) ([]hub.Document, error) {
						got = limit
						return nil, nil
					},
				}
				h, _ := mustHandler(t, st, api.Config{})
				rec := get(t, h, path+"?"+tt.query)
				if path == "/v1/registrations" {
					rec = feed(t, h, path+"?"+tt.query)
				}
				if tt.want == 0 {
					p := wantProblem(t, rec, http.StatusBadRequest, hub.EINVALID)
					if !strings.Contains(p.Detail, "limit") {
						t.Errorf("detail %q does not name the parameter", p.Detail)
					}
					if got != 0 {
						t.Error("the store was asked")
					}
					return
				}
				if rec.Code != http.StatusOK || got != tt.want {
					t.Errorf("status %d, store limit %d; want 200, %d", rec.Code, got, tt.want)
				}
			})
		}
	}
}

func TestCursor(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{
		FeedFn:         feedOf(3),
		DocumentFn:     func(_ context.Context, id string) (hub.Document, error) { return hub.Document{ID: id}, nil },
		RecordErrorsFn: func(context.Context, string, int64, int) ([]store.RecordError, error) { return nil, nil },
	}, api.Config{})
	feedCursor := decode[api.Page[json.RawMessage]](t, feed(t, h, "/v1/registrations?limit=1")).NextCursor
	errorsCursor := decode[api.Page[json.RawMessage]](t, get(t, h, "/v1/documents/01DOC/errors")).NextCursor
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, path string
		ok         bool
	}{
		{"OKFeed", "/v1/registrations?after=" + feedCursor, true},
		{"OKErrors", "/v1/documents/01DOC/errors?after=" + errorsCursor, true},
		{"ErrGarbage", "/v1/registrations?after=!!!", false},
		{"ErrNumber", "/v1/registrations?after=10", false},
		{"ErrOtherList", "/v1/registrations?after=" + errorsCursor, false},
		{"ErrOtherListErrors", "/v1/documents/01DOC/errors?after=" + feedCursor, false},
		{"ErrNegative", "/v1/registrations?after=" + raw("v1:feed:-1"), false},
		{"ErrVersion", "/v1/registrations?after=" + raw("v9:feed:10"), false},
		{"ErrNotCanonical", "/v1/registrations?after=" + raw("v1:feed:010"), false},
		{"ErrTooLong", "/v1/registrations?after=" + strings.Repeat("A", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.path)
			if strings.HasPrefix(tt.path, "/v1/registrations") {
				rec = feed(t, h, tt.path)
			}
			if tt.ok {
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
				}
				return
			}
			wantProblem(t, rec, http.StatusBadRequest, hub.EINVALID)
		})
	}
}

func TestDocument(t *testing.T) {
	fin := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	doc := hub.Document{
		ID: "01JB3K5Q7Z8X9Y0A1B2C3D4E5F", Partner: "ggz", OriginalName: "export.csv", Source: "drop", Size: 42,
		SHA256: "ab", ReceivedAt: fin.Add(-time.Minute), Status: hub.DocDone, FinishedAt: &fin,
		Receipt: &hub.Receipt{DocumentID: "01JB3K5Q7Z8X9Y0A1B2C3D4E5F", Status: hub.DocDone, Counts: hub.ReceiptCounts{Records: 3, Inserted: 2, Rejected: 1}},
	}
	asked := ""
	h, _ := mustHandler(t, &fakeStore{DocumentFn: func(_ context.Context, id string) (hub.Document, error) {
		asked = id
		if id == doc.ID {
			return doc, nil
		}
		return hub.Document{}, hub.Errorf(hub.ENOTFOUND, "document %s bestaat niet", id)
	}}, api.Config{})

	t.Run("OK", func(t *testing.T) {
		rec := get(t, h, "/v1/documents/"+doc.ID)
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		got := decode[hub.Document](t, rec)
		if got.ID != doc.ID || got.Status != hub.DocDone || got.Receipt == nil || got.Receipt.Counts.Rejected != 1 {
			t.Errorf("document = %+v", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := wantProblem(t, get(t, h, "/v1/documents/01UNKNOWN"), http.StatusNotFound, hub.ENOTFOUND)
		if p.Instance != "/v1/documents/01UNKNOWN" || p.Title != "Niet gevonden" {
			t.Errorf("problem = %+v", p)
		}
	})
	t.Run("ErrNotFoundOddID", func(t *testing.T) {
		asked = ""
		wantProblem(t, get(t, h, "/v1/documents/a.b"), http.StatusNotFound, hub.ENOTFOUND)
		if asked != "" {
			t.Errorf("the store was asked for %q", asked)
		}
	})
}

func TestDocumentErrors(t *testing.T) {
	const docID = "01DOC"
	var all []store.RecordError
	for i := 1; i <= 5; i++ {
		all = append(all, store.RecordError{ID: int64(100 + i), Line: i + 1, Code: "invalid_bsn", Message: "BSN klopt niet", Severity: "error",
			Record: json.RawMessage(`{"client":{"surname":"Jansen"}}`)})
	}
	h, _ := mustHandler(t, &fakeStore{
		DocumentFn: func(_ context.Context, id string) (hub.Document, error) {
			if id != docID {
				return hub.Document{}, hub.Errorf(hub.ENOTFOUND, "document %s bestaat niet", id)
			}
			return hub.Document{ID: id, Partner: "ggz"}, nil
		},
		RecordErrorsFn: func(_ context.Context, id string, after int64, limit int) ([]store.RecordError, error) {
			var out []store.RecordError
			for _, e := range all {
				if e.ID > after && len(out) < limit {
					out = append(out, e)
				}
			}
			return out, nil
		},
	}, api.Config{})

	t.Run("OKPaging", func(t *testing.T) {
		var lines []int
		cursor := ""
		for i := 0; i < 10; i++ {
			rec := get(t, h, "/v1/documents/"+docID+"/errors?limit=2&after="+cursor)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			page := decode[api.Page[store.RecordError]](t, rec)
			if len(page.Items) == 0 {
				if page.NextCursor != cursor {
					t.Errorf("empty page: next_cursor = %q, want %q", page.NextCursor, cursor)
				}
				break
			}
			for _, e := range page.Items {
				lines = append(lines, e.Line)
			}
			cursor = page.NextCursor
		}
		if fmt.Sprint(lines) != "[2 3 4 5 6]" {
			t.Errorf("lines = %v", lines)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/documents/01OTHER/errors"), http.StatusNotFound, hub.ENOTFOUND)
	})
	// The quarantined record is client data as the partner delivered it:
	// only the partner's own system sees it, the operator does not.
	t.Run("OKRecordOnlyForItsPartner", func(t *testing.T) {
		op := decode[api.Page[store.RecordError]](t, get(t, h, "/v1/documents/"+docID+"/errors"))
		own := decode[api.Page[store.RecordError]](t, do(t, h, http.MethodGet, "/v1/documents/"+docID+"/errors", creds(t).partner("ggz")))
		if len(op.Items) != 5 || len(own.Items) != 5 {
			t.Fatalf("items %d and %d", len(op.Items), len(own.Items))
		}
		for i := range op.Items {
			if op.Items[i].Record != nil || !strings.Contains(string(own.Items[i].Record), "Jansen") {
				t.Errorf("item %d: operator sees %s, partner %s", i, op.Items[i].Record, own.Items[i].Record)
			}
		}
	})
}

func TestPartnerDocuments(t *testing.T) {
	asked := ""
	h, _ := mustHandler(t, &fakeStore{DocumentsFn: func(_ context.Context, partner string, _ int) ([]hub.Document, error) {
		asked = partner
		if partner == "ggz" {
			return []hub.Document{{ID: "02"}, {ID: "01"}}, nil
		}
		return nil, nil
	}}, api.Config{})
	tests := []struct {
		name, partner string
		status        int
		want          string
	}{
		{"OK", "ggz", http.StatusOK, `{"items":[{"id":"02"`},
		{"OKUnknownPartnerEmpty", "nobody", http.StatusOK, `{"items":[]}`},
		{"ErrUpperCase", "GGZ", http.StatusBadRequest, ""},
		{"ErrDot", "g.z", http.StatusBadRequest, ""},
		{"ErrTooLong", strings.Repeat("a", 64), http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = ""
			rec := get(t, h, "/v1/partners/"+tt.partner+"/documents")
			if tt.status != http.StatusOK {
				wantProblem(t, rec, tt.status, hub.EINVALID)
				if asked != "" {
					t.Error("the store was asked")
				}
				return
			}
			if rec.Code != tt.status || !strings.HasPrefix(rec.Body.String(), tt.want) {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{hub.EINVALID, 400},
		{hub.EUNAUTHORIZED, 401},
		{hub.EFORBIDDEN, 403},
		{hub.ENOCONSENT, 403},
		{hub.ENOTFOUND, 404},
		{hub.ECONFLICT, 409},
		{hub.EDUPLICATE, 409},
		{hub.ETOOLARGE, 413},
		{hub.EUNAVAILABLE, 503},
		{hub.EADAPTERFAILURE, 500},
		{hub.EINTERNAL, 500},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			h, _ := mustHandler(t, &fakeStore{DocumentFn: func(context.Context, string) (hub.Document, error) {
				return hub.Document{}, fmt.Errorf("get document: %w", &hub.Error{Code: tt.code, Message: "Veilige uitleg.", Err: errors.New("cause")})
			}}, api.Config{})
			p := wantProblem(t, get(t, h, "/v1/documents/01DOC"), tt.status, tt.code)
			if tt.code != hub.EINTERNAL && p.Detail != "Veilige uitleg." {
				t.Errorf("detail = %q, want the hub error's message", p.Detail)
			}
		})
	}
}

func TestInternalError(t *testing.T) {
	h, logs := mustHandler(t, &fakeStore{FeedFn: func(context.Context, int64, int) ([]store.FeedItem, error) {
		return nil, errors.New("read feed: connection refused to db.internal:5432")
	}}, api.Config{})
	rec := feed(t, h, "/v1/registrations?limit=5&after=")
	p := wantProblem(t, rec, http.StatusInternalServerError, hub.EINTERNAL)
	if strings.Contains(p.Detail, "connection refused") || p.Detail != hub.ErrorMessage(errors.New("x")) {
		t.Errorf("detail = %q, want the generic message", p.Detail)
	}
	var logged bool
	for _, r := range logs.records(t) {
		if r["level"] == "ERROR" {
			logged = true
			if r["method"] != "GET" || r["path"] != "/v1/registrations" || !strings.Contains(fmt.Sprint(r["error"]), "connection refused") {
				t.Errorf("error log = %v", r)
			}
		}
	}
	if !logged {
		t.Errorf("internal error not logged: %s", logs)
	}
	if strings.Contains(logs.String(), "limit=5") {
		t.Errorf("log holds the query string: %s", logs)
	}
}

func TestRouting(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{}, api.Config{})
	t.Run("ErrUnknownRoute", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/nothing"), http.StatusNotFound, hub.ENOTFOUND)
		wantProblem(t, get(t, h, "/nothing"), http.StatusNotFound, hub.ENOTFOUND)
	})
	t.Run("ErrTrailingSlash", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/registrations/"), http.StatusNotFound, hub.ENOTFOUND)
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		rec := do(t, h, http.MethodPost, "/v1/registrations", "Bearer "+token)
		p := wantProblem(t, rec, http.StatusMethodNotAllowed, hub.EUNSUPPORTED)
		if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
			t.Errorf("Allow = %q", allow)
		}
		if p.Title != "Methode niet toegestaan" {
			t.Errorf("title = %q", p.Title)
		}
	})
	t.Run("OKHead", func(t *testing.T) {
		rec := do(t, h, http.MethodHead, "/livez", "")
		if rec.Code != http.StatusOK {
			t.Errorf("status = %d", rec.Code)
		}
	})
}

func TestHeaders(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{}, api.Config{})
	for _, path := range []string{"/v1/registrations", "/v1/nothing", "/livez", "/v1/openapi.yaml"} {
		t.Run(path, func(t *testing.T) {
			rec := get(t, h, path)
			for k, want := range map[string]string{
				"API-Version":            api.Version,
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "no-store",
			} {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestHealth(t *testing.T) {
	down := errors.New("bus not started")
	tests := []struct {
		name   string
		ready  func(context.Context) error
		feed   func(context.Context, int64, int) ([]store.FeedItem, error)
		status int
	}{
		{"OK", nil, nil, http.StatusOK},
		{"OKReadyFunc", func(context.Context) error { return nil }, nil, http.StatusOK},
		{"ErrNotReady", func(context.Context) error { return down }, nil, http.StatusServiceUnavailable},
		{"ErrStoreDown", nil, func(context.Context, int64, int) ([]store.FeedItem, error) { return nil, down }, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := mustHandler(t, &fakeStore{FeedFn: tt.feed}, api.Config{Ready: tt.ready})
			rec := do(t, h, http.MethodGet, "/readyz", "")
			if tt.status == http.StatusOK {
				if rec.Code != http.StatusOK || decode[api.Health](t, rec).Status != "ok" {
					t.Errorf("readyz = %d %s", rec.Code, rec.Body)
				}
			} else {
				p := wantProblem(t, rec, tt.status, hub.EUNAVAILABLE)
				if strings.Contains(p.Detail, down.Error()) {
					t.Errorf("detail shows the cause: %q", p.Detail)
				}
				if !strings.Contains(logs.String(), down.Error()) {
					t.Errorf("cause not logged: %s", logs)
				}
			}
			// livez does not care.
			if rec := do(t, h, http.MethodGet, "/livez", ""); rec.Code != http.StatusOK {
				t.Errorf("livez = %d", rec.Code)
			}
		})
	}
}

func TestPanic(t *testing.T) {
	h, logs := mustHandler(t, &fakeStore{DocumentFn: func(context.Context, string) (hub.Document, error) {
		panic("boom")
	}}, api.Config{})
	wantProblem(t, get(t, h, "/v1/documents/01DOC"), http.StatusInternalServerError, hub.EINTERNAL)
	var panicked, requestLogged bool
	for _, r := range logs.records(t) {
		if r["panic"] == "boom" {
			panicked = true
		}
		if r["msg"] == "http request" && r["status"] == float64(500) {
			requestLogged = true
		}
	}
	if !panicked || !requestLogged {
		t.Errorf("panic logged %v, request logged with 500 %v: %s", panicked, requestLogged, logs)
	}
}

func TestTimeout(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{FeedFn: func(ctx context.Context, _ int64, _ int) ([]store.FeedItem, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("read feed: %w", ctx.Err())
	}}, api.Config{Timeout: 20 * time.Millisecond})
	p := wantProblem(t, feed(t, h, "/v1/registrations"), http.StatusServiceUnavailable, hub.EUNAVAILABLE)
	if !strings.Contains(p.Detail, "te lang") {
		t.Errorf("detail = %q", p.Detail)
	}
}

func TestRequestLog(t *testing.T) {
	h, logs := mustHandler(t, &fakeStore{DocumentFn: func(_ context.Context, id string) (hub.Document, error) {
		return hub.Document{ID: id}, nil
	}}, api.Config{})
	get(t, h, "/v1/documents/01SECRETID?limit=7&name=Jansen")
	get(t, h, "/v1/nothing/Jansen")
	recs := logs.records(t)
	if len(recs) != 2 {
		t.Fatalf("got %d log lines, want one per request: %s", len(recs), logs)
	}
	want := []struct {
		route  string
		status float64
	}{{"GET /v1/documents/{id}", 200}, {"unmatched", 404}}
	for i, r := range recs {
		if r["level"] != "INFO" || r["method"] != "GET" || r["route"] != want[i].route || r["status"] != want[i].status || r["duration"] == nil {
			t.Errorf("log line %d = %v, want route %s status %v", i, r, want[i].route, want[i].status)
		}
	}
	for _, secret := range []string{"01SECRETID", "Jansen", "limit=7", token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q: %s", secret, logs)
		}
	}
}
