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
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgmanaged"
	"github.com/ketenhub/ketenhub/schemas"
)

// EnvDatabaseURL names the PostgreSQL URL; without it the hub manages its own
// PostgreSQL in the data folder.
const EnvDatabaseURL = "KETENHUB_DATABASE_URL"

// EnvAPIToken names the bearer token of the API.
const EnvAPIToken = "KETENHUB_API_TOKEN"

// node is one running hub: database, adapters, pipeline, drop folders, API.
type node struct {
	cfg      *config.Config
	log      *slog.Logger
	pg       *pgmanaged.Server
	store    *store.Store
	adapters adapterSet
	pipe     *pipeline.Pipeline
	watcher  *ingest.Watcher
	metrics  *metrics.Metrics
	clients  *clients.Registry
	routing  *routing // nil when nothing is routed
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
	n.clients = clients.New(n.store.Pool(), keys, clients.Options{Logger: log})
	validator, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		return nil, err
	}
	var partners []pipeline.Partner
	var drops []ingest.Partner
	for i := range cfg.Partners {
		p := &cfg.Partners[i]
		if !p.Enabled {
			log.Info("partner disabled in its configuration", "partner", p.ID)
			continue
		}
		h, err := startAdapter(ctx, cfg, p, log)
		if err != nil {
			log.Error("partner left out: its adapter cannot start", "partner", p.ID, "error", err)
			continue
		}
		n.adapters.add(p.ID, h)
		partners = append(partners, pipeline.Partner{ID: p.ID,
			EndMissing:      p.Export.Kind == config.ExportFull && p.Export.Missing == config.MissingEnd,
			MaxMissingShare: p.Export.MaxMissingShare,
			ReceiptDir:      filepath.Join(p.Drop.Folder, ingest.ReceiptsDir)})
		drops = append(drops, ingest.Partner{ID: p.ID, Folder: p.Drop.Folder, StableAfter: p.Drop.StableAfter, DoneMarker: p.Drop.DoneMarker})
		if err := os.MkdirAll(p.Drop.Folder, 0o750); err != nil {
			log.Error("create drop folder", "partner", p.ID, "error", err)
		}
	}
	if err := n.metrics.Register(metrics.NewAdapterCollector(n.adapters.states)); err != nil {
		return nil, fmt.Errorf("register adapter metrics: %w", err)
	}
	n.pipe, err = pipeline.New(ctx, pipeline.Config{Store: n.store, Adapters: &n.adapters, Validator: validator, Partners: partners,
		Logger: log, RetryMax: cfg.Pipeline.RetryMax, RetryInitialInterval: cfg.Pipeline.RetryInitialInterval, Metrics: n.metrics,
		Linker: n.clients})
	if err != nil {
		return nil, err
	}
	if err := n.openRouting(ctx); err != nil {
		return nil, err
	}
	n.watcher = ingest.New(ingest.Config{Store: n.store, Submitter: n.pipe, Partners: drops,
		ScanInterval: cfg.Ingest.ScanInterval, MaxBytes: cfg.Ingest.MaxDocumentBytes, Logger: log, Metrics: n.metrics})
	n.token, err = apiToken(cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// apiToken returns KETENHUB_API_TOKEN, or else a token generated once and
// kept in <data>/api-token (mode 0600).
func apiToken(dataDir string, log *slog.Logger) (string, error) {
	if t := os.Getenv(EnvAPIToken); t != "" {
		return t, nil
	}
	path := filepath.Join(dataDir, "api-token")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		log.Info("no "+EnvAPIToken+"; using the generated API token", "file", path)
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate API token: %w", err)
	}
	t := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write API token: %w", err)
	}
	log.Info("no "+EnvAPIToken+"; generated an API token", "file", path)
	return t, nil
}

// serve runs the pipeline, the drop folders and the API on ln until ctx
// ends, then shuts them down in order.
func (n *node) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handler, err := api.New(api.Config{Token: n.token, Store: n.store, Logger: n.log, Ready: n.ready, Replay: n.replay,
		Metrics: n.metrics.Handler(), Clients: n.clients})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	defer n.startRouting(ctx)() // the workers stop with ctx, cancelled below
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Add(3)
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
	n.log.Info("hub running", "listen", ln.Addr().String(), "partners", len(n.adapters.hosts))
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
