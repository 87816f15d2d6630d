// Package pipeline is the Watermill router that takes a landed document
// through its stages: decode and map (the partner's adapter) → validate
// (shared schema) → store (registrations, quarantine) → publish accepted.
// The bus is PostgreSQL (watermill-sql v4 over pgx), so a stage's database
// writes and the messages it publishes commit in one transaction.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Adapters gives the live adapter of a partner, (re)starting it as needed.
type Adapters interface {
	Adapter(ctx context.Context, partner string) (sdk.Adapter, error)
}

// Partner is what the pipeline needs to know of a partner.
type Partner struct {
	ID string
	// EndMissing: every document is a full export and records missing from
	// it are ended.
	EndMissing bool
	// MaxMissingShare: a full export that would end more than this share of
	// the partner's active records ends nothing (see store.FinishDocument).
	MaxMissingShare float64
	// ReceiptDir is where receipt files go ("" for none).
	ReceiptDir string
}

// Config configures a Pipeline.
type Config struct {
	Store     *store.Store
	Adapters  Adapters
	Validator *schema.Validator
	Partners  []Partner
	Logger    *slog.Logger
	// RetryMax is how often a transient failure is retried before the
	// document is failed; RetryInitialInterval the first backoff.
	RetryMax             int
	RetryInitialInterval time.Duration
	// PollInterval is how often an idle subscriber looks for messages.
	PollInterval time.Duration
	// Metrics counts documents and records; nil counts nothing.
	Metrics *metrics.Metrics
	// Linker links every stored registration to a chain client in the
	// transaction that stores it; nil links nothing (tests of the spine).
	Linker Linker
	// Consents takes the adapters' consent statements into the consent
	// registry in the transaction that stores their chunk; nil refuses
	// every statement (CONSENT_UNSUPPORTED).
	Consents ConsentTaker
}

// ConsentTaker takes the consent statements of a stored chunk;
// *consentflow.Flow implements it.
type ConsentTaker interface {
	Take(ctx context.Context, tx pgx.Tx, partner, documentID string, stmts []sdk.Consent) (consentflow.Result, error)
}

// Linker links stored registrations to chain clients; *clients.Registry
// implements it.
type Linker interface {
	LinkChunk(ctx context.Context, tx pgx.Tx, partner string, recs []clients.Input) ([]clients.Result, error)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5
	}
	if c.RetryInitialInterval == 0 {
		c.RetryInitialInterval = 500 * time.Millisecond
	}
	if c.PollInterval == 0 {
		c.PollInterval = 200 * time.Millisecond
	}
}

// Validate reports a missing dependency.
func (c *Config) Validate() error {
	if c.Store == nil || c.Adapters == nil || c.Validator == nil {
		return errors.New("pipeline: store, adapters and validator are required")
	}
	return nil
}

// Pipeline runs the stages. Create it with New, then Run it.
type Pipeline struct {
	cfg    Config
	log    *slog.Logger
	wlog   watermill.LoggerAdapter
	router *message.Router
	schema wsql.PostgreSQLQueueSchema
	offs   wsql.PostgreSQLQueueOffsetsAdapter

	mu       sync.RWMutex
	partners map[string]Partner
	handlers map[string][]*message.Handler // each partner's decode and store handlers
	runCtx   context.Context               // Run's context, for handlers added later
}

// New builds the router, creates the topics' tables and registers every
// stage's handlers.
func New(ctx context.Context, cfg Config) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{
		cfg: cfg,
		log: cfg.Logger,
		wlog: quietShutdownLogger{watermill.NewSlogLoggerWithLevelMapping(cfg.Logger.With("component", "watermill"),
			map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})},
		partners: map[string]Partner{},
		handlers: map[string][]*message.Handler{},
		schema: wsql.PostgreSQLQueueSchema{
			GenerateMessagesTableName: tableName,
			GeneratePayloadType:       func(string) string { return "BYTEA" },
			SubscribeBatchSize:        10,
		},
		offs: wsql.PostgreSQLQueueOffsetsAdapter{GenerateMessagesTableName: tableName, DeleteOnAck: true},
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, p.wlog)
	if err != nil {
		return nil, fmt.Errorf("create router: %w", err)
	}
	p.router = router
	// A handler stopped mid-message (the hub stops, a partner is removed)
	// leaves its message in the queue, for the next run.
	poison, err := middleware.PoisonQueueWithFilter(p.publisher(), topicPoison,
		func(err error) bool { return !errors.Is(err, context.Canceled) })
	if err != nil {
		return nil, fmt.Errorf("create poison queue: %w", err)
	}
	router.AddMiddleware(
		middleware.CorrelationID,
		poison,
		middleware.Retry{
			MaxRetries:      cfg.RetryMax,
			InitialInterval: cfg.RetryInitialInterval,
			Multiplier:      2,
			MaxInterval:     30 * time.Second,
			Logger:          p.wlog,
			ShouldRetry: func(params middleware.RetryParams) bool {
				var perm permanentError
				return !errors.As(params.Err, &perm)
			},
		}.Middleware,
		middleware.Recoverer,
	)
	for _, t := range []string{topicFinished, topicAccepted, topicPoison} {
		if err := p.initTopic(ctx, t); err != nil {
			return nil, err
		}
	}
	if _, err := p.addHandler(topicFinished, "receipts", p.handleFinished); err != nil {
		return nil, err
	}
	if _, err := p.addHandler(topicPoison, "poison", p.handlePoison); err != nil {
		return nil, err
	}
	for _, pt := range cfg.Partners {
		if err := p.AddPartner(ctx, pt); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// AddPartner creates the partner's topics and registers its handlers. On a
// running router the handlers start at once. For a partner that is there
// already it only replaces the settings, which the partner's next document
// uses.
func (p *Pipeline) AddPartner(ctx context.Context, pt Partner) error {
	p.mu.Lock()
	_, exists := p.partners[pt.ID]
	p.partners[pt.ID] = pt
	p.mu.Unlock()
	if exists {
		return nil
	}
	docs, chunks := partnerTopic(kindDocuments, pt.ID), partnerTopic(kindChunks, pt.ID)
	for _, t := range []string{docs, chunks} {
		if err := p.initTopic(ctx, t); err != nil {
			return err
		}
	}
	var hs []*message.Handler
	for _, h := range []struct {
		topic, name string
		fn          message.NoPublishHandlerFunc
	}{{docs, "decode." + pt.ID, p.handleDocument}, {chunks, "store." + pt.ID, p.handleChunk}} {
		handler, err := p.addHandler(h.topic, h.name, h.fn)
		if err != nil {
			return err
		}
		hs = append(hs, handler)
	}
	p.mu.Lock()
	p.handlers[pt.ID] = hs
	p.mu.Unlock()
	// Before Run, Run starts the handlers. Once Run was called, start them
	// when the router runs (RunHandlers starts only those not started yet),
	// with Run's context: they live as long as the router, not this call.
	p.mu.RLock()
	runCtx := p.runCtx
	p.mu.RUnlock()
	if runCtx == nil {
		return nil
	}
	select {
	case <-p.router.Running():
	case <-runCtx.Done():
		return fmt.Errorf("start handlers of %s: %w", pt.ID, runCtx.Err())
	}
	if err := p.router.RunHandlers(runCtx); err != nil {
		return fmt.Errorf("start handlers of %s: %w", pt.ID, err)
	}
	return nil
}

// RemovePartner stops the partner's handlers on the running router and
// forgets its settings. Its messages stay in its topics: a document being
// decoded is left where it was and resumed when the partner is added again.
// It returns when the handlers have stopped, or with ctx's error.
func (p *Pipeline) RemovePartner(ctx context.Context, id string) error {
	if !p.router.IsRunning() {
		return fmt.Errorf("remove partner %s: the pipeline does not run", id)
	}
	p.mu.Lock()
	hs := p.handlers[id]
	delete(p.handlers, id)
	delete(p.partners, id)
	p.mu.Unlock()
	for _, h := range hs {
		select {
		case <-h.Started():
			h.Stop()
		default:
			continue
		}
		select {
		case <-h.Stopped():
		case <-ctx.Done():
			return fmt.Errorf("remove partner %s: %w", id, ctx.Err())
		}
	}
	return nil
}

func (p *Pipeline) partner(id string) (Partner, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	pt, ok := p.partners[id]
	return pt, ok
}

func (p *Pipeline) subscriber() (*wsql.Subscriber, error) {
	noDeadline := time.Duration(0) // a large document may take minutes; a crash redelivers it
	return wsql.NewSubscriber(wsql.BeginnerFromPgx(p.cfg.Store.Pool()), wsql.SubscriberConfig{
		SchemaAdapter:  p.schema,
		OffsetsAdapter: p.offs,
		PollInterval:   p.cfg.PollInterval,
		ResendInterval: p.cfg.PollInterval,
		AckDeadline:    &noDeadline,
	}, p.wlog)
}

func (p *Pipeline) initTopic(ctx context.Context, topic string) error {
	sub, err := p.subscriber()
	if err != nil {
		return fmt.Errorf("create subscriber: %w", err)
	}
	defer sub.Close()
	if err := sub.SubscribeInitialize(topic); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

func (p *Pipeline) addHandler(topic, name string, h message.NoPublishHandlerFunc) (*message.Handler, error) {
	sub, err := p.subscriber()
	if err != nil {
		return nil, fmt.Errorf("create subscriber for %s: %w", topic, err)
	}
	return p.router.AddNoPublisherHandler(name, topic, sub, h), nil
}

// publisher publishes outside a transaction.
func (p *Pipeline) publisher() message.Publisher {
	pub, err := wsql.NewPublisher(wsql.BeginnerFromPgx(p.cfg.Store.Pool()), wsql.PublisherConfig{SchemaAdapter: p.schema}, p.wlog)
	if err != nil {
		panic(err) // only fails on a nil schema adapter or db, which New always sets
	}
	return pub
}

// publishTx publishes v on topic inside tx, so that the message exists if
// and only if tx commits.
func (p *Pipeline) publishTx(ctx context.Context, tx pgx.Tx, topic string, v any) error {
	payload, err := encode(v)
	if err != nil {
		return err
	}
	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: p.schema}, p.wlog)
	if err != nil {
		return fmt.Errorf("publisher on %s: %w", topic, err)
	}
	msg := message.NewMessage(watermill.NewULID(), payload)
	msg.SetContext(ctx)
	if cid := middleware.MessageCorrelationID(messageFromContext(ctx)); cid != "" {
		middleware.SetCorrelationID(cid, msg)
	}
	if err := pub.Publish(topic, msg); err != nil {
		return fmt.Errorf("publish on %s: %w", topic, err)
	}
	return nil
}

// Submit hands a landed document to its partner's decode stage inside the
// landing transaction tx (see store.Landing.OnLanded).
func (p *Pipeline) Submit(ctx context.Context, tx pgx.Tx, partner, documentID string) error {
	return p.publishTx(ctx, tx, partnerTopic(kindDocuments, partner), documentMessage{DocumentID: documentID, Partner: partner})
}

// Run runs the router until ctx ends. It returns once every handler stopped.
func (p *Pipeline) Run(ctx context.Context) error {
	p.mu.Lock()
	p.runCtx = ctx
	p.mu.Unlock()
	if err := p.router.Run(ctx); err != nil {
		return fmt.Errorf("run pipeline: %w", err)
	}
	return nil
}

// Running is closed when the router runs.
func (p *Pipeline) Running() chan struct{} { return p.router.Running() }

// Close stops the router.
func (p *Pipeline) Close() error { return p.router.Close() }

type msgKey struct{}

func withMessage(ctx context.Context, m *message.Message) context.Context {
	return context.WithValue(ctx, msgKey{}, m)
}

func messageFromContext(ctx context.Context) *message.Message {
	if m, ok := ctx.Value(msgKey{}).(*message.Message); ok {
		return m
	}
	return message.NewMessage("", nil)
}
