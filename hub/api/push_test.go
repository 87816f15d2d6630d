package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/store"
)

// fakeIntake is a mock of api.Intake as a struct of function fields.
type fakeIntake struct {
	AcceptsFn func(ctx context.Context, partner string) error
	PushFn    func(ctx context.Context, p ingest.Push) (ingest.Pushed, error)
	ResultsFn func(ctx context.Context, partner, documentID string) ([]store.RecordResult, []store.RecordError, error)
}

func (f *fakeIntake) Accepts(ctx context.Context, partner string) error {
	if f.AcceptsFn == nil {
		return nil
	}
	return f.AcceptsFn(ctx, partner)
}

func (f *fakeIntake) Push(ctx context.Context, p ingest.Push) (ingest.Pushed, error) {
	return f.PushFn(ctx, p)
}

func (f *fakeIntake) Results(ctx context.Context, partner, documentID string) ([]store.RecordResult, []store.RecordError, error) {
	return f.ResultsFn(ctx, partner, documentID)
}

// push POSTs body to target with the Authorization header authz and the
// Content-Type ct.
func push(t *testing.T, h http.Handler, target, authz, ct, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Authorization", authz)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestPushRegistrations covers the answers of a push that the API gives
// itself; the whole path, with the pipeline, is cmd/ketenhub's
// TestJSONPushEndToEnd.
func TestPushRegistrations(t *testing.T) {
	const path = "/v1/partners/ggz/registrations"
	received := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	docs := map[string]hub.Document{
		"D1": {ID: "D1", Partner: "ggz", Status: hub.DocDone, ReceivedAt: received, Receipt: &hub.Receipt{Counts: hub.ReceiptCounts{Records: 3, Inserted: 1, Unchanged: 1, Rejected: 1}}},
		"D2": {ID: "D2", Partner: "ggz", Status: hub.DocLanded, ReceivedAt: received},
		"D3": {ID: "D3", Partner: "other", Status: hub.DocDone, ReceivedAt: received},
	}
	st := &fakeStore{DocumentFn: func(_ context.Context, id string) (hub.Document, error) {
		if d, ok := docs[id]; ok {
			return d, nil
		}
		return hub.Document{}, hub.Errorf(hub.ENOTFOUND, "Dit document bestaat niet.")
	}}
	var pushed []ingest.Push
	next := ingest.Pushed{Document: docs["D1"]}
	in := &fakeIntake{
		PushFn: func(_ context.Context, p ingest.Push) (ingest.Pushed, error) {
			pushed = append(pushed, p)
			return next, nil
		},
		ResultsFn: func(_ context.Context, partner, id string) ([]store.RecordResult, []store.RecordError, error) {
			return []store.RecordResult{
					{Line: 1, RecordKey: "a", Outcome: store.OutcomeInserted, ClientID: "kc-aaaaaaaaaaaaaaaaaaaaaaaa"},
					{Line: 2, RecordKey: "b", Outcome: store.OutcomeRejected},
					{Line: 3, RecordKey: "c", Outcome: store.OutcomeUnchanged}},
				[]store.RecordError{
					{Line: 0, Code: "DOC_X", Message: "document", Severity: "warning"},
					{Line: 1, Field: "client.bsn", Code: "BSN_INVALID", Message: "elfproef", Severity: "warning"},
					{Line: 2, Field: "/geb", RecordKey: "b", Code: "FIELD_DATE", Message: "datum", Severity: "error"}}, nil
		},
	}
	h, _ := mustHandler(t, st, api.Config{Intake: in, PushMaxBytes: 64, PushWait: 50 * time.Millisecond})
	ggz := creds(t).partner("ggz")
	body := `[{"nr": "a"}, {"nr": "b"}, {"nr": "c"}]`

	t.Run("OK", func(t *testing.T) {
		pushed = nil
		rec := push(t, h, path, ggz, "application/json; charset=utf-8", body, "Idempotency-Key", `"k-1"`)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		got := decode[api.PushResult](t, rec)
		if len(pushed) != 1 || pushed[0].Partner != "ggz" || pushed[0].Name != "registraties.json" || string(pushed[0].Body) != body || pushed[0].IdempotencyKey != "k-1" {
			t.Errorf("pushed %+v", pushed)
		}
		if got.DocumentID != "D1" || got.Status != hub.DocDone || got.Location != "/v1/partners/ggz/documents/D1" || got.Counts == nil || got.Counts.Inserted != 1 {
			t.Errorf("result %+v", got)
		}
		if len(got.Records) != 3 || len(got.Warnings) != 1 || got.Warnings[0].Code != "DOC_X" || len(got.Errors) != 0 {
			t.Fatalf("records %+v, errors %+v, warnings %+v", got.Records, got.Errors, got.Warnings)
		}
		a, b, c := got.Records[0], got.Records[1], got.Records[2]
		if a.Index != 0 || a.Status != api.RecordAccepted || a.Outcome != store.OutcomeInserted || a.ClientID != "" || len(a.Warnings) != 1 || a.Warnings[0].Field != "client.bsn" {
			t.Errorf("record a %+v (no purpose: no client)", a)
		}
		if b.Index != 1 || b.Status != api.RecordRejected || len(b.Errors) != 1 || b.Errors[0].Field != "/geb" || b.Errors[0].Code != "FIELD_DATE" {
			t.Errorf("record b %+v", b)
		}
		if c.Index != 2 || c.Status != api.RecordUnchanged {
			t.Errorf("record c %+v", c)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		pushed = nil
		if rec := push(t, h, path, ggz, "application/x-ndjson", `{"nr": "a"}`); rec.Code != http.StatusOK || pushed[0].Name != "registraties.ndjson" {
			t.Errorf("status %d, pushed %+v", rec.Code, pushed)
		}
	})
	t.Run("Processing", func(t *testing.T) {
		next = ingest.Pushed{Document: docs["D2"]}
		defer func() { next = ingest.Pushed{Document: docs["D1"]} }()
		rec := push(t, h, path, ggz, "application/json", body)
		got := decode[api.PushResult](t, rec)
		if rec.Code != http.StatusAccepted || rec.Header().Get("Location") != "/v1/partners/ggz/documents/D2" || got.Status != "processing" || len(got.Records) != 0 {
			t.Errorf("status %d, Location %q, %+v", rec.Code, rec.Header().Get("Location"), got)
		}
	})
	t.Run("ErrNoJSON", func(t *testing.T) {
		next = ingest.Pushed{Document: docs["D1"], Syntax: &ingest.SyntaxError{Offset: 12, Line: 2, Column: 3}}
		defer func() { next = ingest.Pushed{Document: docs["D1"]} }()
		rec := push(t, h, path, ggz, "application/json", "[{\"nr\": 1}\n  x]")
		wantProblem(t, rec, http.StatusBadRequest, hub.EINVALID)
		got := decode[api.PushProblem](t, rec)
		if got.DocumentID != "D1" || got.Offset != 12 || got.Line != 2 || got.Column != 3 || !strings.Contains(got.Detail, "regel 2, kolom 3 (byte 12)") {
			t.Errorf("problem %+v", got)
		}
	})
	t.Run("ErrOtherPartner", func(t *testing.T) {
		wantProblem(t, push(t, h, "/v1/partners/other/registrations", ggz, "application/json", body), http.StatusForbidden, hub.EFORBIDDEN)
	})
	t.Run("ErrUser", func(t *testing.T) {
		u := creds(t).user(t, "u1", "ggz", "regievoerder")
		wantProblem(t, push(t, h, path, u, "application/json", body), http.StatusForbidden, hub.EFORBIDDEN)
	})
	t.Run("ErrOperator", func(t *testing.T) {
		wantProblem(t, push(t, h, path, "Bearer "+token, "application/json", body), http.StatusForbidden, hub.EFORBIDDEN)
	})
	t.Run("ErrNoCredential", func(t *testing.T) {
		wantProblem(t, push(t, h, path, "", "application/json", body), http.StatusUnauthorized, hub.EUNAUTHORIZED)
	})
	t.Run("ErrPartnerDoesNotPush", func(t *testing.T) {
		in.AcceptsFn = func(context.Context, string) error {
			return hub.Errorf(hub.ECONFLICT, "Partner ggz levert niet via de API aan.")
		}
		defer func() { in.AcceptsFn = nil }()
		wantProblem(t, push(t, h, path, ggz, "application/json", body), http.StatusConflict, hub.ECONFLICT)
	})
	t.Run("ErrMediaType", func(t *testing.T) {
		wantProblem(t, push(t, h, path, ggz, "text/csv", "nr;naam\n"), http.StatusUnsupportedMediaType, hub.EUNSUPPORTED)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		pushed = nil
		wantProblem(t, push(t, h, path, ggz, "application/json", "["+strings.Repeat(`{"nr": "x"},`, 10)+"{}]"), http.StatusRequestEntityTooLarge, hub.ETOOLARGE)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(strings.Repeat(" ", 100)))
		req.ContentLength = -1 // no Content-Length: the limit holds while reading
		req.Header.Set("Authorization", ggz)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		wantProblem(t, rec, http.StatusRequestEntityTooLarge, hub.ETOOLARGE)
		if len(pushed) != 0 {
			t.Error("a body over the limit was stored")
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		wantProblem(t, push(t, h, path, ggz, "application/json", ""), http.StatusBadRequest, hub.EINVALID)
	})
	t.Run("ErrIdempotencyKey", func(t *testing.T) {
		wantProblem(t, push(t, h, path, ggz, "application/json", body, "Idempotency-Key", "met spatie"), http.StatusBadRequest, hub.EINVALID)
		wantProblem(t, push(t, h, path, ggz, "application/json", body, "Idempotency-Key", "a", "Idempotency-Key", "b"), http.StatusBadRequest, hub.EINVALID)
	})
	t.Run("ErrKeyReused", func(t *testing.T) {
		in.PushFn = func(context.Context, ingest.Push) (ingest.Pushed, error) {
			return ingest.Pushed{}, hub.Errorf(hub.ECONFLICT, "Deze Idempotency-Key is eerder gebruikt voor een andere inhoud.")
		}
		wantProblem(t, push(t, h, path, ggz, "application/json", body, "Idempotency-Key", "k-1"), http.StatusConflict, hub.ECONFLICT)
	})
	t.Run("Result", func(t *testing.T) {
		rec := do(t, h, http.MethodGet, "/v1/partners/ggz/documents/D1", ggz)
		if got := decode[api.PushResult](t, rec); rec.Code != http.StatusOK || got.DocumentID != "D1" || len(got.Records) != 3 || got.Duplicate {
			t.Errorf("status %d: %s", rec.Code, rec.Body)
		}
		if rec := do(t, h, http.MethodGet, "/v1/partners/ggz/documents/D2", ggz); rec.Code != http.StatusAccepted {
			t.Errorf("a document in progress: status %d", rec.Code)
		}
		wantProblem(t, do(t, h, http.MethodGet, "/v1/partners/ggz/documents/D3", ggz), http.StatusNotFound, hub.ENOTFOUND)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/partners/other/documents/D3", ggz), http.StatusForbidden, hub.EFORBIDDEN)
	})
}

func TestPushWithoutIntake(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{}, api.Config{})
	wantProblem(t, push(t, h, "/v1/partners/ggz/registrations", creds(t).partner("ggz"), "application/json", "[]"), http.StatusServiceUnavailable, hub.EUNAVAILABLE)
}
