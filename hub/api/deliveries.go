package api

import (
	"context"
	"net/http"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
)

// cursorDeliveries is the cursor kind of a partner's deliveries.
const cursorDeliveries = "deliveries"

// deliveryPos is the position of a delivery in its list, for its cursor.
func deliveryPos(d store.Delivery) int64 { return d.Seq }

// DeliveryStore lists the deliveries of outbound routing; *store.Store
// implements it. A Store that does not answers GET
// /v1/partners/{partner}/deliveries with 503.
type DeliveryStore interface {
	// Deliveries returns up to limit deliveries to recipient after
	// position after, oldest first, only those with status when it is set.
	Deliveries(ctx context.Context, recipient, status string, after int64, limit int) ([]store.Delivery, error)
}

var _ DeliveryStore = (*store.Store)(nil)

// deliveryStatuses are the statuses a list can be narrowed to.
var deliveryStatuses = map[string]bool{
	store.DeliveryPending: true, store.DeliveryDelivered: true, store.DeliveryFailed: true, store.DeliveryCancelled: true,
}

// partnerDeliveries lists what outbound routing delivers to a partner, per
// channel, with its status, read with a cursor: for the partner's own
// system and for those who operate the hub. It shows no client data: ids,
// operations, statuses and reasons.
func (s *server) partnerDeliveries(w http.ResponseWriter, r *http.Request) {
	partner, err := partnerID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && !deliveryStatuses[status] {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "De parameter status is pending, delivered, failed of cancelled."))
		return
	}
	after, limit, err := pageParams(r, cursorDeliveries)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.allowPartner(w, r, partner) {
		return
	}
	ds, ok := s.store.(DeliveryStore)
	if !ok {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Leveringen zijn op deze hub niet beschikbaar."))
		return
	}
	items, err := ds.Deliveries(r.Context(), partner, status, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", Page[store.Delivery]{Items: nonNil(items), NextCursor: nextCursor(cursorDeliveries, after, items, deliveryPos)})
}
