// Package pgtest gives tests a fresh, empty PostgreSQL database each, so that
// `go test ./...` runs against real PostgreSQL on a fresh clone.
//
// A package whose tests need a database calls Main from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test calls NewDatabase. The first call starts one throwaway
// cluster for the test binary (pgmanaged, in a temporary folder, tuned for
// speed over durability); Main stops and removes it when the tests end.
// When KETENHUB_TEST_DATABASE_URL is set, that server is used instead and
// nothing is started. Without PostgreSQL server binaries the tests fail: tests
// on real PostgreSQL are not optional.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/store/pgmanaged"
)

// EnvURL names the environment variable with the URL (or keyword/value
// connection string) of an existing server to create test databases on, as
// a user that may create databases.
const EnvURL = "KETENHUB_TEST_DATABASE_URL"

// cluster is the test binary's throwaway cluster.
var cluster struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	tmp     string
	server  *pgmanaged.Server
	err     error
}

// Main runs the tests of m, then stops and removes the throwaway cluster if
// one was started, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	cluster.mu.Lock()
	cluster.inMain = true
	cluster.mu.Unlock()

	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDatabase creates a new, empty database for tb and returns a URL (or,
// when KETENHUB_TEST_DATABASE_URL is a keyword/value string, a connection
// string) for it. The database is dropped when tb ends, even when
// connections to it are still open. NewDatabase fails tb when no server can
// be had.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin, err := adminURL()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	name, err := databaseName(tb.Name())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := execAdmin(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := execAdmin(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop test database: %v", err)
		}
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return u
}

// adminURL returns where to connect to create databases: EnvURL when set,
// else the throwaway cluster, started on first use.
func adminURL() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	if !cluster.inMain {
		return "", fmt.Errorf("no test server: call pgtest.Main(m) from TestMain in this package, or set %s", EnvURL)
	}
	if !cluster.started {
		cluster.started = true
		cluster.tmp, cluster.server, cluster.err = startCluster()
	}
	if cluster.err != nil {
		return "", cluster.err
	}
	return cluster.server.DatabaseURL("postgres"), nil
}

// startCluster starts the throwaway cluster in a new temporary folder.
func startCluster() (string, *pgmanaged.Server, error) {
	tmp, err := os.MkdirTemp("", "ketenhub-pgtest-")
	if err != nil {
		return "", nil, fmt.Errorf("start throwaway postgresql: %w", err)
	}
	// A root test run starts the server as an unprivileged user, which must
	// be able to pass through this folder.
	if err := os.Chmod(tmp, 0o711); err != nil {
		_ = os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("start throwaway postgresql: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := pgmanaged.Start(ctx, pgmanaged.Options{
		DataDir: filepath.Join(tmp, "pg"),
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// Used when the server user cannot reach tmp (TMPDIR below /root).
		FallbackDir: "/var/tmp/ketenhub-pgtest",
		Ephemeral:   true,
	})
	if err != nil {
		_ = os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("start throwaway postgresql (tests need real PostgreSQL; or set %s to use a running server): %w", EnvURL, err)
	}
	return tmp, s, nil
}

// shutdown stops and removes the throwaway cluster, if any.
func shutdown() error {
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	if cluster.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.server.Stop(ctx)
	for _, dir := range []string{cluster.server.DataDir(), cluster.tmp} {
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove throwaway cluster: %w", rerr))
		}
	}
	cluster.server = nil
	return err
}

// execAdmin runs one statement on a fresh connection to admin.
func execAdmin(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// databaseName makes a unique database name from a test name: a readable
// part and random hex, within PostgreSQL's 63 bytes.
func databaseName(testName string) (string, error) {
	var b strings.Builder
	b.WriteString("test_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	random := make([]byte, 6)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("database name: %w", err)
	}
	return b.String() + "_" + hex.EncodeToString(random), nil
}

// withDatabase returns the connection string conn with its database set to
// name. conn is a postgres:// URL or a keyword/value string.
func withDatabase(conn, name string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			// Not the whole *url.Error: its message holds the password.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return "", fmt.Errorf("parse database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// Keyword/value: a later dbname overrides an earlier one.
	return strings.TrimSpace(conn) + " dbname=" + name, nil
}
