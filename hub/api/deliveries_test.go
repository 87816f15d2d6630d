package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/store"
)

// deliveryStore is a fakeStore that also lists deliveries.
type deliveryStore struct {
	fakeStore
	asked struct {
		recipient, status string
		after             int64
		limit             int
	}
}

func (d *deliveryStore) Deliveries(_ context.Context, recipient, status string, after int64, limit int) ([]store.Delivery, error) {
	d.asked.recipient, d.asked.status, d.asked.after, d.asked.limit = recipient, status, after, limit
	if recipient != "opvang-zuid" {
		return nil, nil
	}
	return []store.Delivery{
		{Seq: 7, DeliveryID: "dlv_a", Channel: store.ChannelPickup, Recipient: recipient, Status: store.DeliveryDelivered, Classes: []string{"identity"}},
		{Seq: 9, DeliveryID: "dlv_a", Channel: store.ChannelWebhook, Recipient: recipient, Status: store.DeliveryPending, Classes: []string{"identity"},
			Payload: []byte(`{"client":{"surname":"Jansen"}}`), BSNEnc: []byte("geheim")},
	}, nil
}

func TestPartnerDeliveries(t *testing.T) {
	st := &deliveryStore{}
	h, _ := mustHandler(t, st, api.Config{})
	rec := get(t, h, "/v1/partners/opvang-zuid/deliveries?status=pending&limit=2")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if st.asked.recipient != "opvang-zuid" || st.asked.status != "pending" || st.asked.after != 0 || st.asked.limit != 2 {
		t.Fatalf("asked %+v", st.asked)
	}
	body := rec.Body.String()
	if strings.Contains(body, "Jansen") || strings.Contains(body, "geheim") {
		t.Fatalf("the list shows what is sent: %s", body)
	}
	page := decode[api.Page[store.Delivery]](t, rec)
	if len(page.Items) != 2 || page.Items[1].Channel != store.ChannelWebhook {
		t.Fatalf("page %+v", page)
	}
	rec = get(t, h, "/v1/partners/opvang-zuid/deliveries?after="+page.NextCursor)
	if rec.Code != http.StatusOK || st.asked.after != 9 || st.asked.status != "" {
		t.Fatalf("next page: %d, asked %+v", rec.Code, st.asked)
	}
	if rec := get(t, h, "/v1/partners/nobody/deliveries"); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), `{"items":[]`) {
		t.Fatalf("unknown partner: %d %s", rec.Code, rec.Body)
	}
	for name, target := range map[string]string{
		"ErrStatus":        "/v1/partners/opvang-zuid/deliveries?status=lost",
		"ErrPartner":       "/v1/partners/Opvang/deliveries",
		"ErrCursorKind":    "/v1/partners/opvang-zuid/deliveries?after=" + pageCursorOfFeed(t, h),
		"ErrCursorGarbled": "/v1/partners/opvang-zuid/deliveries?after=xyz",
	} {
		t.Run(name, func(t *testing.T) { wantProblem(t, get(t, h, target), http.StatusBadRequest, hub.EINVALID) })
	}
	t.Run("Access", func(t *testing.T) {
		c := creds(t)
		for _, tt := range []struct {
			name, path, auth string
			status           int
		}{
			{"OKPartnerOwn", "/v1/partners/ggz/deliveries", c.partner("ggz"), http.StatusOK},
			{"ErrPartnerOther", "/v1/partners/opvang-zuid/deliveries", c.partner("ggz"), http.StatusForbidden},
			{"ErrUser", "/v1/partners/opvang-zuid/deliveries", c.user(t, "u-1", "gemeente-szw", "regievoerder"), http.StatusForbidden},
			{"ErrNoCredential", "/v1/partners/opvang-zuid/deliveries", "", http.StatusUnauthorized},
		} {
			t.Run(tt.name, func(t *testing.T) {
				st.asked.recipient = ""
				rec := do(t, h, http.MethodGet, tt.path, tt.auth)
				if rec.Code != tt.status {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
				}
				if tt.status != http.StatusOK {
					wantProblem(t, rec, tt.status, map[int]string{http.StatusForbidden: hub.EFORBIDDEN, http.StatusUnauthorized: hub.EUNAUTHORIZED}[tt.status])
					if st.asked.recipient != "" {
						t.Error("the store was asked")
					}
				}
			})
		}
	})
}

// pageCursorOfFeed is a cursor of the feed, which the deliveries refuse.
func pageCursorOfFeed(t *testing.T, h http.Handler) string {
	t.Helper()
	return decode[api.Page[store.FeedItem]](t, feed(t, h, "/v1/registrations")).NextCursor
}

func TestPartnerDeliveriesUnavailable(t *testing.T) {
	h, _ := mustHandler(t, &fakeStore{}, api.Config{})
	wantProblem(t, get(t, h, "/v1/partners/opvang-zuid/deliveries"), http.StatusServiceUnavailable, hub.EUNAVAILABLE)
}
