package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/api"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/poll"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgmanaged"
	"github.com/ketenhub/ketenhub/hub/tlsserver"
	"github.com/ketenhub/ketenhub/schemas"
)

// EnvDatabaseURL names the PostgreSQL URL; without it the hub manages its own
// PostgreSQL in the data folder.
const EnvDatabaseURL = "KETENHUB_DATABASE_URL"

// EnvAPIToken names the operator token of the API (role ict-beheer: run the
// hub, never client data).
const EnvAPIToken = "KETENHUB_API_TOKEN"

// EnvJWTSecret names the HMAC secret of users' tokens in the example
// region's auth.yaml; without it the hub generates <data>/jwt-secret.
const EnvJWTSecret = "KETENHUB_JWT_SECRET"

// node is one running hub: database, adapters, pipeline, drop folders, API.
type node struct {
	cfg      *config.Config
	log      *slog.Logger
	pg       *pgmanaged.Server
	store    *store.Store
	adapters adapterSet
	partners *partnerSet
	pipe     *pipeline.Pipeline
	watcher  *ingest.Watcher
	polls    *poll.Scheduler
	metrics  *metrics.Metrics
	clients  *clients.Registry
	audit    *audit.Log
	engine   *policy.Engine
	consents *consent.Registry
	auth     *auth.Authenticator
	authRead authFile          // the auth.yaml in force at start
	tls      *tlsserver.Server // nil when the API speaks plain HTTP
	routing  *routing          // nil when nothing is routed
	token    string
}

// openNode connects (or starts) the database and starts every enabled
// partner's adapter. A partner whose adapter cannot start is left out with
// an error in the log; the other partners run.
func openNode(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *node, err error) {
	if cfg.Bus != config.BusPostgres {
		return nil, fmt.Errorf("bus %q: only the PostgreSQL bus is built so far; NATS JetStream for several hub nodes comes later", cfg.Bus)
	}
	n := &node{cfg: cfg, log: log, metrics: metrics.New()}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	// 0711: the managed PostgreSQL's unprivileged user must pass through.
	if err := os.MkdirAll(cfg.DataDir, 0o711); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	url := os.Getenv(EnvDatabaseURL)
	if url == "" {
		log.Info("no " + EnvDatabaseURL + "; starting a managed PostgreSQL in the data folder")
		n.pg, err = pgmanaged.Start(ctx, pgmanaged.Options{DataDir: filepath.Join(cfg.DataDir, "postgres"), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("start managed PostgreSQL: %w", err)
		}
		url = n.pg.URL()
	}
	n.store, err = store.Open(ctx, url, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	keys, err := clients.LoadKeys(filepath.Join(cfg.DataDir, "identity.key"))
	if err != nil {
		return nil, err
	}
	n.audit = audit.New(n.store.Pool(), audit.Options{Logger: log})
	if err := n.openPrivacy(ctx); err != nil {
		return nil, err
	}
	flow, err := consentflow.New(consentflow.Config{Registry: n.consents, Policy: n.engine, Audit: n.audit, Logger: log})
	if err != nil {
		return nil, err
	}
	n.clients = clients.New(n.store.Pool(), keys, clients.Options{Logger: log, OnMove: flow.Follow,
		OnLinkChange: func(ctx context.Context, tx pgx.Tx, changes []clients.LinkChange) error {
			return n.audit.Append(ctx, tx, api.LinkChangeEvents(audit.Event{User: "hub", Source: "pipeline"}, changes)...)
		}})
	validator, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		return nil, err
	}
	if err := n.metrics.Register(metrics.NewAdapterCollector(n.adapters.states)); err != nil {
		return nil, fmt.Errorf("register adapter metrics: %w", err)
	}
	n.pipe, err = pipeline.New(ctx, pipeline.Config{Store: n.store, Adapters: &n.adapters, Validator: validator,
		Logger: log, RetryMax: cfg.Pipeline.RetryMax, RetryInitialInterval: cfg.Pipeline.RetryInitialInterval, Metrics: n.metrics,
		Linker: n.clients, Consents: flow})
	if err != nil {
		return nil, err
	}
	if err := n.openRouting(ctx); err != nil {
		return nil, err
	}
	n.watcher = ingest.New(ingest.Config{Store: n.store, Submitter: n.pipe,
		ScanInterval: cfg.Ingest.ScanInterval, MaxBytes: cfg.Ingest.MaxDocumentBytes, Logger: log, Metrics: n.metrics})
	n.polls = poll.New(poll.Config{Store: n.store, Pollers: &n.adapters, Submitter: n.pipe, MaxBytes: cfg.Ingest.MaxDocumentBytes,
		Logger: log, Metrics: n.metrics})
	// Each partner's adapter, pipeline handlers, drop folder and polling
	// (partners.go, polling.go).
	n.partners = newPartnerSet(cfg, log, &n.adapters, n.pipe, n.watcher, n.store)
	n.partners.polls = n.polls
	n.partners.receivers = n
	n.partners.startAll(ctx, cfg.Partners, bootWait)
	n.token, err = secret(EnvAPIToken, filepath.Join(cfg.DataDir, "api-token"), true, log)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// openPrivacy loads roles.yaml into the decision point, opens the consent
// registry and the authentication of auth.yaml, and logs the rules put in
// force in the audit trail. A roles.yaml or auth.yaml with problems stops
// the hub: it never serves without its rules.
func (n *node) openPrivacy(ctx context.Context) error {
	cfg := n.cfg
	ids := n.partnerIDs()
	p, err := policy.Load(cfg.RolesFile, policy.LoadOptions{Partners: ids})
	if err != nil {
		n.auditLoad(ctx, cfg.RolesFile, "", err)
		return fmt.Errorf("roles: %w", err)
	}
	n.consents = consent.NewRegistry(n.store.Pool(), func() consent.Rules { return n.engine.ConsentRules() }, consent.Options{})
	n.engine = policy.NewEngine(p, n.consents, policy.EngineOptions{Logger: n.log, PartnerIDs: n.partnerIDs})
	n.authRead = readAuthFile(cfg.AuthFile, ids)
	n.auth, err = openAuth(cfg, n.authRead, n.knownPartner, n.knownRole, true, n.log)
	if err != nil {
		n.auditLoad(ctx, cfg.AuthFile, "", err)
		return err
	}
	if err := n.auditLoad(ctx, cfg.RolesFile, p.Revision, nil); err != nil {
		return fmt.Errorf("audit the roles in force: %w", err)
	}
	n.log.Info("roles in force", "file", cfg.RolesFile, "revision", p.Revision)
	return nil
}

// auditLoad logs in the audit trail that a configuration file governing
// access was put in force at start (revision), or refused (problems).
func (n *node) auditLoad(ctx context.Context, file, revision string, problems error) error {
	return n.auditConfig(ctx, "load", "ketenhub serve", file, revision, "", problems)
}

// knownRole reports whether the roles in force define role.
func (n *node) knownRole(role string) bool {
	p := n.engine.Policy()
	if p == nil {
		return false
	}
	_, ok := p.Roles[role]
	return ok
}

// openAuth prepares the authentication of auth.yaml as read (readAuthFile):
// only credentials of known partners, and users of those partners in a
// role of roles.yaml. create lets the HMAC secret of KETENHUB_JWT_SECRET be
// generated into the data folder when the variable is unset.
func openAuth(cfg *config.Config, f authFile, known, knownRole func(string) bool, create bool, log *slog.Logger) (*auth.Authenticator, error) {
	if f.err != nil {
		return nil, f.err
	}
	return auth.New(*f.cfg, auth.Options{Getenv: secretEnv(cfg.DataDir, create, log), KnownPartner: known, KnownOrganisation: known,
		KnownRole: knownRole, Logger: log})
}

// secretEnv reads the environment for auth.yaml; KETENHUB_JWT_SECRET falls
// back to <data>/jwt-secret, generated when create is set (and else, when
// it does not exist yet, a placeholder: the hub will generate it).
func secretEnv(dataDir string, create bool, log *slog.Logger) func(string) string {
	return func(name string) string {
		if v := os.Getenv(name); v != "" || name != EnvJWTSecret {
			return v
		}
		path := filepath.Join(dataDir, "jwt-secret")
		if !create {
			if b, err := os.ReadFile(path); err == nil {
				return strings.TrimSpace(string(b))
			}
			return strings.Repeat("x", 64)
		}
		v, err := secret(EnvJWTSecret, path, false, log)
		if err != nil {
			log.Error("no JWT secret", "error", err)
			return ""
		}
		return v
	}
}

// secret returns the environment variable env (when fromEnv), or else a
// secret generated once and kept in path (mode 0600).
func secret(env, path string, fromEnv bool, log *slog.Logger) (string, error) {
	if t := os.Getenv(env); fromEnv && t != "" {
		return t, nil
	}
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		log.Info("no "+env+"; using the generated secret", "file", path)
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate %s: %w", filepath.Base(path), err)
	}
	t := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o711); err != nil {
		return "", fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	log.Info("no "+env+"; generated a secret", "file", path)
	return t, nil
}

// serve runs the pipeline, the drop folders and the API on ln until ctx
// ends, then shuts them down in order.
func (n *node) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handler, err := api.New(api.Config{Store: n.store, Auth: n.auth, Policy: n.engine, Audit: n.audit, OperatorToken: n.token,
		Logger: n.log, Ready: n.ready, Replay: n.replay, Metrics: n.metrics.Handler(), Clients: n.clients, Consents: n.consents,
		Partners: n.partners, Intake: n.intake(), PushMaxBytes: n.cfg.Ingest.PushMaxBytes, PushWait: n.cfg.Ingest.PushWait})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	defer n.startRouting(ctx)() // the workers stop with ctx, cancelled below
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() { n.reload(ctx) })
	wg.Go(func() { n.watchAuth(ctx, n.authRead) })
	wg.Go(func() { n.watchTLS(ctx) })
	wg.Go(func() { n.runPolls(ctx) })
	wg.Add(4)
	go func() { defer wg.Done(); n.watchRoles(ctx) }()
	go func() { defer wg.Done(); errs <- n.pipe.Run(ctx) }()
	go func() {
		defer wg.Done()
		select {
		case <-n.pipe.Running():
		case <-ctx.Done():
			errs <- nil
			return
		}
		errs <- n.watcher.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("serve API: %w", err)
			return
		}
		errs <- nil
	}()
	n.log.Info("hub running", "listen", ln.Addr().String(), "partners", len(n.partners.statuses()))
	var first error
	select {
	case <-ctx.Done():
	case first = <-errs:
	}
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdownCtx)
	wg.Wait()
	return first
}

// watchRoles puts a changed roles.yaml in force while the hub runs: looked
// at every few seconds and at SIGHUP. Every attempt is logged in the audit
// trail (config_change reload), a refused file with its number of problems.
func (n *node) watchRoles(ctx context.Context) {
	n.engine.Watch(ctx, n.cfg.RolesFile, policy.WatchOptions{Interval: rolesWatchInterval, Trigger: hupTrigger(ctx),
		OnReload: func(ctx context.Context, r policy.ReloadResult) {
			n.auditReload(ctx, "roles watcher", r.File, r.Revision, r.Previous, r.Err)
		}})
}

// rolesWatchInterval is how often the hub looks at roles.yaml.
var rolesWatchInterval = policy.DefaultWatchInterval

// replay lands the stored bytes of a document again, as a new document of
// the same partner that the pipeline processes like a fresh drop.
func (n *node) replay(ctx context.Context, documentID string) (hub.Document, error) {
	orig, err := n.store.Document(ctx, documentID)
	if err != nil {
		return hub.Document{}, err
	}
	if _, err := n.adapters.Adapter(ctx, orig.Partner); err != nil {
		return hub.Document{}, err
	}
	doc, _, err := n.store.Land(ctx, store.Landing{Partner: orig.Partner, OriginalName: orig.OriginalName, Source: "replay", ReplayOf: orig.ID,
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error { return n.pipe.Submit(ctx, tx, orig.Partner, id) },
	}, n.store.OpenDocument(ctx, orig.ID))
	if err != nil {
		return hub.Document{}, fmt.Errorf("replay document %s: %w", documentID, err)
	}
	n.log.Info("document replayed", "document", doc.ID, "replay_of", orig.ID, "partner", orig.Partner)
	return doc, nil
}

func (n *node) ready(ctx context.Context) error {
	select {
	case <-n.pipe.Running():
	default:
		return errors.New("pipeline not running yet")
	}
	return n.store.Ping(ctx)
}

func (n *node) close() {
	if n.partners != nil && !n.partners.wait(15*time.Second) {
		n.log.Warn("stopping while a partner's adapter is still starting")
	}
	n.adapters.closeAll()
	if n.store != nil {
		n.store.Close()
	}
	if n.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.pg.Stop(ctx); err != nil {
			n.log.Error("stop managed PostgreSQL", "error", err)
		}
	}
}
