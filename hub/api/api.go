// Package api is the hub's HTTP API: the registration feed, document status
// and receipts, quarantined records, health checks and the OpenAPI document
// that describes them (openapi.yaml, embedded and served).
//
// It follows the Dutch government's REST API Design Rules where they are
// cheap: versioned paths under /v1, an API-Version response header, snake_case
// JSON fields, no trailing slashes, cursor pagination and errors as
// application/problem+json (RFC 9457) with Dutch messages.
package api

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Version is the full version of the API, sent in the API-Version header of
// every response and equal to info.version of the OpenAPI document.
const Version = "1.0.0"

// DefaultTimeout is the request timeout when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// openapiYAML is the OpenAPI document of this API. docs/openapi.yaml is a copy
// kept identical by a test.
//
//go:embed openapi.yaml
var openapiYAML []byte

// Store is what the API reads from the hub's store; *store.Store implements it.
type Store interface {
	// Feed returns up to limit registrations changed after feed position
	// after, in feed order.
	Feed(ctx context.Context, after int64, limit int) ([]store.FeedItem, error)
	// Document returns one document, or an *hub.Error with ENOTFOUND.
	Document(ctx context.Context, id string) (hub.Document, error)
	// Documents returns a partner's latest documents, newest first.
	Documents(ctx context.Context, partner string, limit int) ([]hub.Document, error)
	// RecordErrors returns up to limit quarantined records of a document
	// with an id above after, by id.
	RecordErrors(ctx context.Context, documentID string, after int64, limit int) ([]store.RecordError, error)
}

// Config configures New.
type Config struct {
	// Token is the bearer token every /v1 request except the OpenAPI
	// document must carry. Required.
	Token string
	// Store answers the API's reads. Required.
	Store Store
	// Ready reports whether the hub can do its work; /readyz answers 503
	// while it returns an error. Nil means always ready.
	Ready func(ctx context.Context) error
	// Logger receives one line per request and the details of internal
	// errors. Nil means slog.Default().
	Logger *slog.Logger
	// Timeout bounds the handling of one request. Zero means DefaultTimeout.
	Timeout time.Duration
	// Replay lands the stored bytes of a document again as a new document,
	// processed as if it were dropped anew (a forced re-ingest). Nil leaves
	// POST /v1/documents/{id}/replay answering 503.
	Replay func(ctx context.Context, documentID string) (hub.Document, error)
	// Metrics serves GET /metrics (Prometheus text format, no client data,
	// no token). Nil answers 404 problem+json.
	Metrics http.Handler
	// Clients answers the lookup, client overview, review queue and
	// corrections. Nil answers those operations with 503.
	Clients Clients
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
}

// Validate returns an error when a required field is missing or a value is
// out of range.
func (c Config) Validate() error {
	switch {
	case c.Token == "":
		return errors.New("api config: token is required")
	case c.Store == nil:
		return errors.New("api config: store is required")
	case c.Timeout < 0:
		return errors.New("api config: timeout must not be negative")
	}
	return nil
}

// server holds the API's dependencies; its methods are the handlers.
type server struct {
	tokenHash  [sha256.Size]byte
	store      Store
	ready      func(ctx context.Context) error
	replay     func(ctx context.Context, documentID string) (hub.Document, error)
	metrics    http.Handler
	clients    Clients
	log        *slog.Logger
	timeout    time.Duration
	openapiDoc []byte
	mux        *http.ServeMux
}

// route is one operation of the API; the OpenAPI document lists exactly these.
type route struct {
	pattern string // method and path, as http.ServeMux takes them
	handler http.HandlerFunc
}

// routes returns every operation of the API.
func (s *server) routes() []route {
	return []route{
		{"GET /livez", s.livez},
		{"GET /readyz", s.readyz},
		{"GET /metrics", s.serveMetrics},
		{"GET /v1/openapi.yaml", s.serveOpenAPIYAML},
		{"GET /v1/openapi.json", s.serveOpenAPIJSON},
		{"GET /v1/registrations", s.registrations},
		{"GET /v1/documents/{id}", s.document},
		{"GET /v1/documents/{id}/errors", s.documentErrors},
		{"POST /v1/documents/{id}/replay", s.replayDocument},
		{"GET /v1/partners/{partner}/documents", s.partnerDocuments},
		{"GET /v1/partners/{partner}/deliveries", s.partnerDeliveries},
		{"POST /v1/clients/lookup", s.lookupClients},
		{"GET /v1/clients/{id}", s.clientOverview},
		{"GET /v1/clients/{id}/history", s.clientHistory},
		{"POST /v1/clients/{id}/split", s.splitClient},
		{"POST /v1/clients/{id}/merge", s.mergeClient},
		{"GET /v1/reviews", s.reviews},
		{"POST /v1/reviews/{id}/decision", s.decideReview},
	}
}

// publicPaths are the /v1 paths served without a token.
var publicPaths = map[string]bool{
	"/v1/openapi.yaml": true,
	"/v1/openapi.json": true,
}

// New returns the API's handler. It returns an error when cfg is invalid.
func New(cfg Config) (http.Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	doc, err := openapiAsJSON(openapiYAML)
	if err != nil {
		return nil, err
	}
	s := &server{
		tokenHash:  sha256.Sum256([]byte(cfg.Token)),
		store:      cfg.Store,
		ready:      cfg.Ready,
		replay:     cfg.Replay,
		metrics:    cfg.Metrics,
		clients:    cfg.Clients,
		log:        cfg.Logger,
		timeout:    cfg.Timeout,
		openapiDoc: doc,
		mux:        http.NewServeMux(),
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.named(rt.pattern, rt.handler))
	}
	return s.logRequests(s.recoverPanics(s.secureHeaders(s.withTimeout(s.authenticate(http.HandlerFunc(s.dispatch)))))), nil
}

// openapiAsJSON converts the OpenAPI document to JSON, for /v1/openapi.json.
func openapiAsJSON(doc []byte) ([]byte, error) {
	var v map[string]any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("parse embedded openapi.yaml: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert embedded openapi.yaml to json: %w", err)
	}
	return out, nil
}

// dispatch routes the request, answering unknown paths and methods with
// problem+json instead of the mux's plain text.
func (s *server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own answer: not found, method not allowed or a redirect to
	// the clean path. Catch it and rewrite the first two.
	c := &capture{header: http.Header{}}
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusNotFound:
		s.problem(w, r, http.StatusNotFound, hub.ENOTFOUND, "Deze URL bestaat niet in de API; zie /v1/openapi.yaml.")
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", c.header.Get("Allow"))
		s.problem(w, r, http.StatusMethodNotAllowed, hub.EUNSUPPORTED,
			fmt.Sprintf("De methode %s is hier niet toegestaan; toegestaan: %s.", r.Method, c.header.Get("Allow")))
	default:
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	}
}

// capture is a ResponseWriter that keeps a small response in memory.
type capture struct {
	header http.Header
	status int
	body   []byte
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, p...)
	return len(p), nil
}
