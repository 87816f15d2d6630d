// Package api is the hub's HTTP API: the registration feed, the chain
// clients (lookup, overview, corrections, review queue), consent, the
// access explanation, figures for policy, the audit report, document status
// and receipts, quarantined records, health checks and the OpenAPI document
// that describes them (openapi.yaml, embedded and served).
//
// Every /v1 request is authenticated (hub/auth: a user's JWT, a partner's
// API key or client certificate, or the operator token). Every read of
// client data asks the decision point (hub/policy) first and shows only
// what the decision allows, filtered by sensitivity class with
// policy.Filter; the API never decides by itself. Every disclosure, every
// change of consent or links and every refused authentication is written
// to the audit trail (hub/audit) before the answer leaves the hub.
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

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
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
	// InTx runs fn in a transaction, committed when fn returns nil: a
	// consent change and its audit event commit together.
	InTx(ctx context.Context, fn func(tx pgx.Tx) error) error
}

// Authenticator authenticates a request; *auth.Authenticator implements it.
type Authenticator interface {
	// Authenticate returns the caller, or an *auth.Error.
	Authenticate(r *http.Request) (auth.Subject, error)
}

// Decider is the decision point; *policy.Engine implements it.
type Decider interface {
	// DecideMany answers requests in order; the error is for an unreadable
	// consent registry (the decisions that needed it deny).
	DecideMany(ctx context.Context, reqs []policy.Request) ([]policy.Decision, error)
	// Policy returns the rules in force, or nil.
	Policy() *policy.Policy
}

// Auditor is the audit trail; *audit.Log implements it.
type Auditor interface {
	// Append adds events through db (a transaction, or the pool).
	Append(ctx context.Context, db audit.DB, events ...audit.Event) error
	// Record adds events in a transaction of their own.
	Record(ctx context.Context, events ...audit.Event) error
	// ForClient returns the events about one client in a period.
	ForClient(ctx context.Context, client string, from, to time.Time) (audit.ClientReport, error)
}

// Consents is the consent registry; *consent.Registry implements it.
type Consents interface {
	// Record checks a change against the rules and appends it in tx.
	Record(ctx context.Context, tx consent.Inserter, ch consent.Change) (consent.Consent, error)
	// History returns every row recorded for a client, oldest first.
	History(ctx context.Context, clientID string) ([]consent.Consent, error)
}

var (
	_ Store         = (*store.Store)(nil)
	_ Authenticator = (*auth.Authenticator)(nil)
	_ Decider       = (*policy.Engine)(nil)
	_ Auditor       = (*audit.Log)(nil)
	_ Consents      = (*consent.Registry)(nil)
	_ Clients       = (*clients.Registry)(nil)
)

// Config configures New.
type Config struct {
	// Store answers the API's reads. Required.
	Store Store
	// Auth authenticates every /v1 request except the OpenAPI document.
	// Required.
	Auth Authenticator
	// Policy is the decision point every read of client data asks. Required.
	Policy Decider
	// Audit receives every disclosure, change and refused authentication.
	// Required.
	Audit Auditor
	// OperatorToken, when set, is a bearer token for the hub's operators:
	// it acts as user "operator" of organisation "ketenhub" in
	// OperatorRole (operate the hub, never client data).
	OperatorToken string
	// OperatorRole is the role of the operator token; "" means
	// DefaultOperatorRole.
	OperatorRole string
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
	// Clients answers the lookup, client overview, review queue,
	// corrections and figures, and gives the facts about clients that
	// decisions need. Nil answers those operations with 503, and the feed
	// then shows partners only their own registrations.
	Clients Clients
	// Consents is the consent registry. Nil answers the consent operations
	// with 503.
	Consents Consents
	// Partners answers the partners' state and configuration history. Nil
	// answers those operations with 503.
	Partners Partners
	// Intake takes pushed registrations (POST
	// /v1/partners/{partner}/registrations). Nil answers pushes with 503.
	Intake Intake
	// PushMaxBytes is the largest body of a push; 0 means
	// DefaultPushMaxBytes. PushWait is how long a push waits for its result
	// before it is answered with 202 (never longer than the request's
	// Timeout allows); 0 answers 202 at once.
	PushMaxBytes int64
	PushWait     time.Duration
}

// DefaultOperatorRole is the role of the operator token when
// Config.OperatorRole is empty: ICT staff, who run the hub and never see
// client data (config/roles.yaml).
const DefaultOperatorRole = "ict-beheer"

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.OperatorRole == "" {
		c.OperatorRole = DefaultOperatorRole
	}
	if c.PushMaxBytes == 0 {
		c.PushMaxBytes = DefaultPushMaxBytes
	}
}

// Validate returns an error when a required field is missing or a value is
// out of range.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("api config: store is required")
	case c.Auth == nil:
		return errors.New("api config: authentication is required")
	case c.Policy == nil:
		return errors.New("api config: the decision point (policy) is required")
	case c.Audit == nil:
		return errors.New("api config: the audit trail is required")
	case c.OperatorToken != "" && len(c.OperatorToken) < 16:
		return errors.New("api config: the operator token must be at least 16 characters")
	case c.Timeout < 0:
		return errors.New("api config: timeout must not be negative")
	case c.PushMaxBytes < 0 || c.PushWait < 0:
		return errors.New("api config: the push limits must not be negative")
	}
	return nil
}

// server holds the API's dependencies; its methods are the handlers.
type server struct {
	store        Store
	auth         Authenticator
	policy       Decider
	audit        Auditor
	operatorHash [sha256.Size]byte // zero when there is no operator token
	operatorRole string
	ready        func(ctx context.Context) error
	replay       func(ctx context.Context, documentID string) (hub.Document, error)
	metrics      http.Handler
	clients      Clients
	consents     Consents
	consentDocs  *consent.Validator
	partners     Partners
	intake       Intake
	pushMaxBytes int64
	pushWait     time.Duration
	log          *slog.Logger
	timeout      time.Duration
	openapiDoc   []byte
	mux          *http.ServeMux
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
		{"GET /v1/partners", s.listPartners},
		{"GET /v1/partners/{partner}", s.partner},
		{"GET /v1/partners/{partner}/revisions", s.partnerRevisions},
		{"GET /v1/partners/{partner}/deliveries", s.partnerDeliveries},
		{"POST /v1/partners/{partner}/registrations", s.pushRegistrations},
		{"GET /v1/partners/{partner}/documents/{id}", s.pushResult},
		{"POST /v1/clients/lookup", s.lookupClients},
		{"GET /v1/clients/{id}", s.clientOverview},
		{"GET /v1/clients/{id}/history", s.clientHistory},
		{"POST /v1/clients/{id}/split", s.splitClient},
		{"POST /v1/clients/{id}/merge", s.mergeClient},
		{"GET /v1/clients/{id}/access", s.clientAccess},
		{"GET /v1/clients/{id}/consents", s.clientConsents},
		{"POST /v1/clients/{id}/consents", s.recordConsent},
		{"POST /v1/partners/{partner}/consents", s.partnerConsent},
		{"GET /v1/reviews", s.reviews},
		{"POST /v1/reviews/{id}/decision", s.decideReview},
		{"GET /v1/stats", s.stats},
		{"GET /v1/audit/clients/{id}", s.auditClient},
	}
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
	docs, err := consent.NewValidator()
	if err != nil {
		return nil, err
	}
	s := &server{
		store:        cfg.Store,
		auth:         cfg.Auth,
		policy:       cfg.Policy,
		audit:        cfg.Audit,
		operatorRole: cfg.OperatorRole,
		ready:        cfg.Ready,
		replay:       cfg.Replay,
		metrics:      cfg.Metrics,
		clients:      cfg.Clients,
		consents:     cfg.Consents,
		consentDocs:  docs,
		partners:     cfg.Partners,
		intake:       cfg.Intake,
		pushMaxBytes: cfg.PushMaxBytes,
		pushWait:     cfg.PushWait,
		log:          cfg.Logger,
		timeout:      cfg.Timeout,
		openapiDoc:   doc,
		mux:          http.NewServeMux(),
	}
	if cfg.OperatorToken != "" {
		s.operatorHash = sha256.Sum256([]byte(cfg.OperatorToken))
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
