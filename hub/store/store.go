// Package store is Ketenhub's system of record on PostgreSQL (pgx): raw
// documents, registrations, quarantine and receipts. Migrations are embedded
// and run by Open.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockID is the advisory lock that keeps two hub nodes from migrating at once.
const migrationLockID = 0x6b6574656e687562 // "ketenhub"

// Store is the hub's PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// Options configure Open.
type Options struct {
	// MaxConns is the pool size; 0 means 32.
	MaxConns int32
	Logger   *slog.Logger
}

// Open connects to the database at url, runs the embedded migrations and
// returns the Store. It returns an error when the database cannot be reached
// or a migration fails.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// Plan every statement for its own parameters: a generic plan cached
	// while a table was still small (a sequential scan) would otherwise stay
	// in use on that connection as the table grows to millions of rows.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	// Compress large values (chunk messages on the bus, document parts)
	// with lz4 where the server has it: five times faster than pglz.
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings
			WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`)
		return err
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 32
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{pool: pool, log: log}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("run migrations: %w", err)
	}
	for _, r := range results {
		s.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path)
	}
	return nil
}

// Pool returns the connection pool, for the bus (watermill-sql) and for
// stages that must share a transaction with the store.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// InTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// InDerivedTx runs fn in a transaction whose commit does not wait for the
// disk (synchronous_commit off). Only for state that can be derived again
// from durable state: the pipeline's stages, which are re-run from the
// durably landed document after a database crash. PostgreSQL writes commits
// in order, so a crash loses at most the latest derived transactions, whole,
// never an earlier one without a later one.
func (s *Store) InDerivedTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return fmt.Errorf("derived transaction: %w", err)
		}
		return fn(tx)
	})
}

// isNoRows reports whether err means that a query found nothing.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
