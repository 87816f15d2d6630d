package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Page sizes of the lists.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

// Page is one page of a list read with a cursor.
type Page[T any] struct {
	// Items are the items of the page the caller may see: a page of the
	// feed or the review queue may hold fewer than limit, even none, while
	// NextCursor moves on over the items left out.
	Items []T `json:"items"`
	// NextCursor continues after the last item read; it equals the cursor
	// asked for only at the end of the list, so a poller can keep asking
	// with it.
	NextCursor string `json:"next_cursor"`
}

// List is a list read without a cursor.
type List[T any] struct {
	Items []T `json:"items"`
}

// Health is the body of /livez and /readyz.
type Health struct {
	Status string `json:"status"`
}

var (
	// partnerPattern is the form of a partner id (schemas/partner.schema.json).
	partnerPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	// documentIDPattern is a superset of the ids the store gives documents.
	documentIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
)

func (s *server) livez(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, "application/json", Health{Status: "ok"})
}

// serveMetrics serves the Prometheus metrics, when the hub gave a handler.
func (s *server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metrics == nil {
		s.fail(w, r, hub.Errorf(hub.ENOTFOUND, "Deze hub publiceert geen metrics."))
		return
	}
	s.metrics.ServeHTTP(w, r)
}

// readyz answers 200 when Ready agrees and the store answers a query.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	err := s.checkReady(ctx)
	if err != nil {
		s.logError(r, slog.LevelWarn, "not ready", err)
		s.problem(w, r, http.StatusServiceUnavailable, hub.EUNAVAILABLE, "De hub is (nog) niet gereed.")
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", Health{Status: "ok"})
}

func (s *server) checkReady(ctx context.Context) error {
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			return err
		}
	}
	// The end of the feed: an empty answer from the index, but a real query.
	if _, err := s.store.Feed(ctx, math.MaxInt64, 1); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *server) serveOpenAPIYAML(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapiYAML)
}

func (s *server) serveOpenAPIJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapiDoc)
}

// registrations is the feed: every registration in the order of its latest
// change, read with a cursor, each shown only as far as the decision point
// allows it to the caller (registrations not allowed are left out, so a
// page may hold fewer than limit items while next_cursor moves on). Every
// client shown is logged in the audit trail, in one statement, before the
// page is sent.
func (s *server) registrations(w http.ResponseWriter, r *http.Request) {
	c, purpose, ok := s.begin(w, r, policy.ReadFeed)
	if !ok {
		return
	}
	after, limit, err := pageParams(r, cursorFeed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.Feed(r.Context(), after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ids []string
	for _, it := range items {
		if it.ClientID != "" && !slices.Contains(ids, it.ClientID) {
			ids = append(ids, it.ClientID)
		}
	}
	facts, err := s.facts(r.Context(), ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reqs := make([]policy.Request, len(items))
	for i, it := range items {
		f := facts[it.ClientID]
		if f == nil {
			f = &policy.ClientFacts{}
		}
		reqs[i] = policy.Request{Subject: c.policy, Purpose: purpose, Operation: policy.ReadFeed, Client: f, Source: it.Partner}
	}
	ds, err := s.decide(r.Context(), reqs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	shown := make([]store.FeedItem, 0, len(items))
	for i, it := range items {
		if !ds[i].Allowed {
			continue
		}
		if it.Registration, err = s.filterRegistration(it.Registration, it.BSNEnc, ds[i].Classes); err != nil {
			s.fail(w, r, err)
			return
		}
		shown = append(shown, it)
	}
	s.writeAudited(w, r, "feed page", Page[store.FeedItem]{Items: shown, NextCursor: nextCursor(cursorFeed, after, items, feedPos)},
		disclosures(c.event(r.Context(), audit.TypeDisclosure), purpose, ds)...)
}

// filterRegistration puts the registration's BSN back when its class is
// visible and removes every field whose class is not (policy.Filter).
func (s *server) filterRegistration(data json.RawMessage, bsnEnc []byte, classes []policy.Class) (json.RawMessage, error) {
	if slices.Contains(classes, policy.Identity) && len(bsnEnc) > 0 && s.clients != nil {
		bsn, err := s.clients.RevealBSN(bsnEnc)
		if err != nil {
			return nil, err
		}
		data = clients.InsertBSN(data, bsn)
	}
	out, err := policy.Filter(data, classes)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// begin authenticates the caller of a handler, finds the purpose and asks
// whether the caller may perform op at all. It answers the request itself
// and returns false when not.
func (s *server) begin(w http.ResponseWriter, r *http.Request, op policy.Operation) (caller, string, bool) {
	c, err := s.callerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	purpose, err := s.purposeOf(r, c, op)
	if err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	if _, err := s.allowOperation(r, c, purpose, op); err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	return c, purpose, true
}

// pageParams reads the cursor (of kind) and the page size of a list request.
func pageParams(r *http.Request, kind string) (after int64, limit int, err error) {
	q := r.URL.Query()
	if after, err = decodeCursor(kind, q.Get("after")); err != nil {
		return 0, 0, err
	}
	if limit, err = parseLimit(q.Get("limit")); err != nil {
		return 0, 0, err
	}
	return after, limit, nil
}

// document returns one document with its status and, once finished, its receipt.
func (s *server) document(w http.ResponseWriter, r *http.Request) {
	doc, _, err := s.documentFor(r)
	s.respond(w, r, http.StatusOK, doc, err)
}

// replayDocument lands a document's stored bytes again as a new document,
// for ICT staff after fixing the cause of a failure. It answers 202 with the
// new document.
func (s *server) replayDocument(w http.ResponseWriter, r *http.Request) {
	c, purpose, ok := s.begin(w, r, policy.OperateHub)
	if !ok {
		return
	}
	doc, err := s.lookupDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.replay == nil {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "Opnieuw verwerken is op deze hub niet beschikbaar."))
		return
	}
	replayed, err := s.replay(r.Context(), doc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "document replayed through the API", slog.String("document", doc.ID),
		slog.String("replay", replayed.ID), slog.String("user", c.ID), slog.String("purpose", purpose),
		slog.String("request_id", info(r.Context()).id))
	w.Header().Set("Location", "/v1/documents/"+replayed.ID)
	s.writeJSON(w, r, http.StatusAccepted, "application/json", replayed)
}

// documentErrors lists a document's quarantined records, read with a
// cursor. The quarantined record itself (client data as delivered) is shown
// only to the partner system that delivered it: it never entered the chain.
func (s *server) documentErrors(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r, cursorErrors)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, c, err := s.documentFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.RecordErrors(r.Context(), doc.ID, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	own := c.Kind == auth.KindPartner && c.ID == doc.Partner
	for i := range items {
		if !own {
			items[i].Record = nil
		}
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", Page[store.RecordError]{Items: nonNil(items), NextCursor: nextCursor(cursorErrors, after, items, recordErrorPos)})
}

// partnerDocuments lists a partner's latest documents, newest first: for
// the partner's own system and for those who operate the hub.
func (s *server) partnerDocuments(w http.ResponseWriter, r *http.Request) {
	partner, limit, ok := s.partnerList(w, r)
	if !ok {
		return
	}
	docs, err := s.store.Documents(r.Context(), partner, limit)
	s.respond(w, r, http.StatusOK, List[hub.Document]{Items: nonNil(docs)}, err)
}

// partnerList reads the partner in the path and the page size of a list
// about it, and lets through only the partner's own system and those who
// operate the hub (allowPartner). It returns the partner and the page size,
// or answers the request itself and returns false.
func (s *server) partnerList(w http.ResponseWriter, r *http.Request) (string, int, bool) {
	partner, err := partnerID(r)
	if err != nil {
		s.fail(w, r, err)
		return "", 0, false
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		s.fail(w, r, err)
		return "", 0, false
	}
	if !s.allowPartner(w, r, partner) {
		return "", 0, false
	}
	return partner, limit, true
}

// documentFor returns the document named in the path when the caller may
// see it: the partner system that delivered it, or who operates the hub.
func (s *server) documentFor(r *http.Request) (hub.Document, caller, error) {
	doc, err := s.lookupDocument(r)
	if err != nil {
		return doc, caller{}, err
	}
	c, err := s.operatorOrPartner(r, doc.Partner)
	return doc, c, err
}

// operatorOrPartner lets through the partner system of partner and the
// callers the decision point allows to operate the hub; it refuses others.
func (s *server) operatorOrPartner(r *http.Request, partner string) (caller, error) {
	c, err := s.callerOf(r)
	if err != nil {
		return c, err
	}
	if c.Kind == auth.KindPartner {
		return c, auth.RequirePartner(c.Subject, partner)
	}
	purpose, err := s.purposeOf(r, c, policy.OperateHub)
	if err != nil {
		return c, err
	}
	_, err = s.allowOperation(r, c, purpose, policy.OperateHub)
	return c, err
}

// allowPartner lets through the partner system of partner and those who
// operate the hub (operatorOrPartner); it answers others itself and
// returns false.
func (s *server) allowPartner(w http.ResponseWriter, r *http.Request, partner string) bool {
	if _, err := s.operatorOrPartner(r, partner); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// lookupDocument returns the document named in the path. An id that the
// store cannot have given is not found without asking it.
func (s *server) lookupDocument(r *http.Request) (hub.Document, error) {
	id := r.PathValue("id")
	if !documentIDPattern.MatchString(id) {
		return hub.Document{}, hub.Errorf(hub.ENOTFOUND, "Dit document bestaat niet.")
	}
	return s.store.Document(r.Context(), id)
}

// parseLimit returns the page size asked for, DefaultLimit when none was.
func parseLimit(v string) (int, error) {
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, hub.Errorf(hub.EINVALID, "De parameter limit moet een geheel getal van 1 tot en met %d zijn.", MaxLimit)
	}
	return n, nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

// writeJSON encodes v before writing anything, so that an encoding failure
// still becomes a proper 500.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.logError(r, slog.LevelError, "encode response", err)
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(Problem{
			Type: ProblemTypeBase + hub.EINTERNAL, Title: "Interne fout", Status: status,
			Detail: internalDetail, Instance: r.URL.EscapedPath(), Code: hub.EINTERNAL,
		})
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
