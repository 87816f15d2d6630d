package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Clients is what the API asks of the chain-client registry;
// *clients.Registry implements it.
type Clients interface {
	Lookup(ctx context.Context, c sdk.Client) ([]clients.LookupCandidate, error)
	Overview(ctx context.Context, id string) (clients.Overview, error)
	History(ctx context.Context, clientID string) ([]clients.HistoryEntry, error)
	Reviews(ctx context.Context, status string, after int64, limit int) ([]clients.ReviewItem, error)
	Decide(ctx context.Context, itemID int64, decision string, a clients.Actor) (clients.ReviewItem, error)
	Split(ctx context.Context, clientID string, refs []clients.RefJSON, a clients.Actor) (string, error)
	Merge(ctx context.Context, target, source string, a clients.Actor) error
	RevealBSN(enc []byte) (string, error)
}

const cursorReviews = "reviews"

// maxBodyBytes bounds a JSON request body.
const maxBodyBytes = 1 << 20

var clientIDPattern = regexp.MustCompile(`^kc-[a-z2-7]{24}$`)

// LookupRequest is the body of POST /v1/clients/lookup: a BSN, or name,
// birth date and gender as an intake worker knows them.
type LookupRequest = sdk.Client

// LookupResponse lists the candidate chain clients, best first.
type LookupResponse struct {
	Candidates []clients.LookupCandidate `json:"candidates"`
}

// SplitRequest is the body of POST /v1/clients/{id}/split.
type SplitRequest struct {
	Registrations []clients.RefJSON `json:"registrations"`
	Reason        string            `json:"reason"`
}

// SplitResponse names the new client.
type SplitResponse struct {
	ClientID    string `json:"client_id"`
	NewClientID string `json:"new_client_id"`
}

// MergeRequest is the body of POST /v1/clients/{id}/merge: the client whose
// registrations move to {id}.
type MergeRequest struct {
	ClientID string `json:"client_id"`
	Reason   string `json:"reason"`
}

// DecisionRequest is the body of POST /v1/reviews/{id}/decision.
type DecisionRequest struct {
	Decision string `json:"decision"` // link | keep_apart
	Reason   string `json:"reason"`
}

func (s *server) needClients(w http.ResponseWriter, r *http.Request) bool {
	if s.clients == nil {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Cliëntherkenning is op deze hub niet beschikbaar."))
		return false
	}
	return true
}

// readBody decodes a JSON request body into v, refusing unknown fields.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return hub.Errorf(hub.EINVALID, "Veld %s heeft het verkeerde type.", te.Field)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return hub.Errorf(hub.EINVALID, "De body is geen geldige JSON.")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return hub.Errorf(hub.EINVALID, "Onbekend veld in de body: %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return hub.Errorf(hub.EINVALID, "De body kan niet worden gelezen.")
	}
	return nil
}

func (s *server) clientID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !clientIDPattern.MatchString(id) {
		return "", hub.Errorf(hub.ENOTFOUND, "Cliënt niet gevonden.")
	}
	return id, nil
}

// actor is who makes a correction: until users authenticate with their own
// tokens, the holder of the API token.
func actor(r *http.Request, reason string) clients.Actor {
	return clients.Actor{ID: "api-token", Reason: reason}
}

// lookupClients answers "is this client already known in the chain?".
func (s *server) lookupClients(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	var q LookupRequest
	if err := readBody(r, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	if q.BSN == "" && (q.Surname == "" || q.BirthDate == "") {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "Geef een BSN, of ten minste achternaam en geboortedatum."))
		return
	}
	got, err := s.clients.Lookup(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", LookupResponse{Candidates: nonNil(got)})
}

// clientOverview returns a chain client with per partner its latest registration.
func (s *server) clientOverview(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ov, err := s.clients.Overview(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", ov)
}

// clientHistory lists the corrections of a client's links.
func (s *server) clientHistory(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.clients.History(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", List[clients.HistoryEntry]{Items: nonNil(h)})
}

// splitClient moves registrations of a wrongly merged client to a new one.
func (s *server) splitClient(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req SplitRequest
	if err := readBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	newID, err := s.clients.Split(r.Context(), id, req.Registrations, actor(r, req.Reason))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", SplitResponse{ClientID: id, NewClientID: newID})
}

// mergeClient moves every registration of another client into this one.
func (s *server) mergeClient(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req MergeRequest
	if err := readBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if !clientIDPattern.MatchString(req.ClientID) {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "client_id is geen geldige cliënt-id."))
		return
	}
	if err := s.clients.Merge(r.Context(), id, req.ClientID, actor(r, req.Reason)); err != nil {
		s.fail(w, r, err)
		return
	}
	ov, err := s.clients.Overview(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", ov)
}

// reviews lists the review queue with the evidence side by side.
func (s *server) reviews(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	after, limit, err := pageParams(r, cursorReviews)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "open", "linked", "kept_apart", "obsolete":
	default:
		s.fail(w, r, hub.Errorf(hub.EINVALID, "status moet open, linked, kept_apart of obsolete zijn."))
		return
	}
	items, err := s.clients.Reviews(r.Context(), status, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePage(s, w, r, cursorReviews, after, items, func(it clients.ReviewItem) int64 { return it.ID })
}

// decideReview links or keeps apart the two clients of a review item.
func (s *server) decideReview(w http.ResponseWriter, r *http.Request) {
	if !s.needClients(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, hub.Errorf(hub.ENOTFOUND, "Beoordeling niet gevonden."))
		return
	}
	var req DecisionRequest
	if err := readBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.clients.Decide(r.Context(), id, req.Decision, actor(r, req.Reason))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", it)
}
