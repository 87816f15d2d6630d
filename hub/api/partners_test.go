package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
)

// fakePartners is a mock of api.Partners as a struct of function fields.
type fakePartners struct {
	PartnersFn  func(ctx context.Context) ([]hub.PartnerStatus, error)
	PartnerFn   func(ctx context.Context, id string) (hub.PartnerStatus, error)
	RevisionsFn func(ctx context.Context, id string, limit int) ([]hub.PartnerRevision, error)
}

func (f *fakePartners) Partners(ctx context.Context) ([]hub.PartnerStatus, error) {
	return f.PartnersFn(ctx)
}
func (f *fakePartners) Partner(ctx context.Context, id string) (hub.PartnerStatus, error) {
	return f.PartnerFn(ctx, id)
}
func (f *fakePartners) Revisions(ctx context.Context, id string, limit int) ([]hub.PartnerRevision, error) {
	return f.RevisionsFn(ctx, id, limit)
}

func TestPartners(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ggz := hub.PartnerStatus{ID: "ggz", File: "config/partners/ggz.yaml", State: hub.PartnerDisabled,
		Reason:   &hub.PartnerReason{Code: "ADAPTER_CHECKSUM", Message: "het adapterbestand heeft niet de sha256"},
		Adapter:  &hub.PartnerAdapter{Name: "csv", State: "disabled"},
		Revision: &hub.AppliedRevision{Hash: "abc", AppliedAt: at}}
	askedLimit := 0
	fp := &fakePartners{
		PartnersFn: func(context.Context) ([]hub.PartnerStatus, error) { return []hub.PartnerStatus{ggz}, nil },
		PartnerFn: func(_ context.Context, id string) (hub.PartnerStatus, error) {
			if id == "ggz" {
				return ggz, nil
			}
			return hub.PartnerStatus{}, hub.Errorf(hub.ENOTFOUND, "Partner %s is niet ingericht op deze hub.", id)
		},
		RevisionsFn: func(_ context.Context, id string, limit int) ([]hub.PartnerRevision, error) {
			askedLimit = limit
			if id != "ggz" {
				return nil, hub.Errorf(hub.ENOTFOUND, "onbekend")
			}
			return []hub.PartnerRevision{{ID: 2, Partner: "ggz", Hash: "abc", Status: hub.RevisionApplied, RecordedAt: at, Diff: "--- a\n+++ b\n"}}, nil
		},
	}
	h, _ := mustHandler(t, &fakeStore{}, api.Config{Partners: fp})

	t.Run("List", func(t *testing.T) {
		rec := get(t, h, "/v1/partners")
		got := decode[api.List[hub.PartnerStatus]](t, rec)
		if rec.Code != http.StatusOK || len(got.Items) != 1 || got.Items[0].Reason.Code != "ADAPTER_CHECKSUM" {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("OK", func(t *testing.T) {
		rec := get(t, h, "/v1/partners/ggz")
		if got := decode[hub.PartnerStatus](t, rec); rec.Code != http.StatusOK || got.State != hub.PartnerDisabled || got.Revision.Hash != "abc" {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/partners/nobody"), http.StatusNotFound, hub.ENOTFOUND)
	})
	t.Run("ErrInvalidID", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/partners/GGZ"), http.StatusBadRequest, hub.EINVALID)
		wantProblem(t, get(t, h, "/v1/partners/GGZ/revisions"), http.StatusBadRequest, hub.EINVALID)
	})
	t.Run("Revisions", func(t *testing.T) {
		rec := get(t, h, "/v1/partners/ggz/revisions?limit=5")
		got := decode[api.List[hub.PartnerRevision]](t, rec)
		if rec.Code != http.StatusOK || len(got.Items) != 1 || !strings.HasPrefix(got.Items[0].Diff, "--- a") || askedLimit != 5 {
			t.Fatalf("got %d %s (limit %d)", rec.Code, rec.Body, askedLimit)
		}
	})
	t.Run("ErrRevisionsLimit", func(t *testing.T) {
		wantProblem(t, get(t, h, "/v1/partners/ggz/revisions?limit=0"), http.StatusBadRequest, hub.EINVALID)
	})
	t.Run("Access", func(t *testing.T) {
		c := creds(t)
		for _, tt := range []struct {
			name, path, auth string
			status           int
		}{
			{"OKPartnerOwn", "/v1/partners/ggz", c.partner("ggz"), http.StatusOK},
			{"OKPartnerOwnRevisions", "/v1/partners/ggz/revisions", c.partner("ggz"), http.StatusOK},
			{"ErrPartnerOther", "/v1/partners/ggz-oost", c.partner("ggz"), http.StatusForbidden},
			{"ErrPartnerOtherRevisions", "/v1/partners/ggz-oost/revisions", c.partner("ggz"), http.StatusForbidden},
			{"ErrPartnerList", "/v1/partners", c.partner("ggz"), http.StatusForbidden},
			{"ErrUserList", "/v1/partners", c.user(t, "u-1", "gemeente-szw", "regievoerder"), http.StatusForbidden},
			{"ErrUserOne", "/v1/partners/ggz", c.user(t, "u-1", "gemeente-szw", "regievoerder"), http.StatusForbidden},
			{"ErrUserRevisions", "/v1/partners/ggz/revisions", c.user(t, "u-1", "gemeente-szw", "regievoerder"), http.StatusForbidden},
			{"ErrNoCredential", "/v1/partners", "", http.StatusUnauthorized},
			{"ErrNoCredentialOne", "/v1/partners/ggz", "", http.StatusUnauthorized},
		} {
			t.Run(tt.name, func(t *testing.T) {
				rec := do(t, h, http.MethodGet, tt.path, tt.auth)
				if rec.Code != tt.status {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
				}
				if tt.status != http.StatusOK {
					wantProblem(t, rec, tt.status, map[int]string{http.StatusForbidden: hub.EFORBIDDEN, http.StatusUnauthorized: hub.EUNAUTHORIZED}[tt.status])
				}
			})
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		h, _ := mustHandler(t, &fakeStore{}, api.Config{})
		wantProblem(t, get(t, h, "/v1/partners"), http.StatusServiceUnavailable, hub.EUNAVAILABLE)
	})
}
