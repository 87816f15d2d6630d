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
	"strconv"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/clients"
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
	Items []T `json:"items"`
	// NextCursor continues after the last item; when the page is empty it is
	// the cursor that was asked for, so a poller can keep asking with it.
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
// change, read with a cursor.
func (s *server) registrations(w http.ResponseWriter, r *http.Request) {
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
	if s.clients != nil {
		for i := range items {
			bsn, err := s.clients.RevealBSN(items[i].BSNEnc)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			items[i].Registration = clients.InsertBSN(items[i].Registration, bsn)
		}
	}
	writePage(s, w, r, cursorFeed, after, items, func(it store.FeedItem) int64 { return it.Seq })
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

// writePage answers a page of items with the cursor after its last item (or
// the incoming cursor when the page is empty, so a poller can keep asking).
func writePage[T any](s *server, w http.ResponseWriter, r *http.Request, kind string, after int64, items []T, pos func(T) int64) {
	next := after
	if len(items) > 0 {
		next = pos(items[len(items)-1])
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", Page[T]{Items: nonNil(items), NextCursor: encodeCursor(kind, next)})
}

// document returns one document with its status and, once finished, its receipt.
func (s *server) document(w http.ResponseWriter, r *http.Request) {
	doc, err := s.lookupDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", doc)
}

// replayDocument lands a document's stored bytes again as a new document,
// for ICT staff after fixing the cause of a failure. It answers 202 with the
// new document.
func (s *server) replayDocument(w http.ResponseWriter, r *http.Request) {
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
	w.Header().Set("Location", "/v1/documents/"+replayed.ID)
	s.writeJSON(w, r, http.StatusAccepted, "application/json", replayed)
}

// documentErrors lists a document's quarantined records, read with a cursor.
func (s *server) documentErrors(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r, cursorErrors)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := s.lookupDocument(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.RecordErrors(r.Context(), doc.ID, after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePage(s, w, r, cursorErrors, after, items, func(e store.RecordError) int64 { return e.ID })
}

// partnerDocuments lists a partner's latest documents, newest first.
func (s *server) partnerDocuments(w http.ResponseWriter, r *http.Request) {
	partner := r.PathValue("partner")
	if !partnerPattern.MatchString(partner) {
		s.fail(w, r, hub.Errorf(hub.EINVALID, "Een partner-id bestaat uit kleine letters, cijfers en '-', begint met een letter of cijfer en is hoogstens 63 tekens lang."))
		return
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	docs, err := s.store.Documents(r.Context(), partner, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", List[hub.Document]{Items: nonNil(docs)})
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
