package pgtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func currentDatabase(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	admin, err := adminURL()
	if err != nil {
		t.Fatal(err)
	}
	var exists bool
	err = connect(t, admin).QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

func TestNewDatabase(t *testing.T) {
	var names []string
	t.Run("FreshAndSeparate", func(t *testing.T) {
		a := connect(t, NewDatabase(t))
		b := connect(t, NewDatabase(t))
		nameA, nameB := currentDatabase(t, a), currentDatabase(t, b)
		if nameA == nameB {
			t.Fatalf("two calls gave the same database %s", nameA)
		}
		names = append(names, nameA, nameB)

		ctx := context.Background()
		var tables int
		if err := a.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("new database has %d tables", tables)
		}
		if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (n int)"); err != nil {
			t.Fatal(err)
		}
		if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Error("a table made in one database shows in the other")
		}
	})
	for _, name := range names {
		if databaseExists(t, name) {
			t.Errorf("database %s not dropped after its test", name)
		}
	}
}

// TestNewDatabaseDropsWithOpenConnection: the database goes even when the
// test leaves a connection open until after the drop.
func TestNewDatabaseDropsWithOpenConnection(t *testing.T) {
	var name string
	var conn *pgx.Conn
	t.Run("Leaky", func(t *testing.T) {
		url := NewDatabase(t)
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		conn = c
		name = currentDatabase(t, conn)
	})
	defer func() { _ = conn.Close(context.Background()) }()
	if databaseExists(t, name) {
		t.Errorf("database %s not dropped", name)
	}
}

// TestEnvURL: with KETENHUB_TEST_DATABASE_URL set, databases are made on
// that server, given as a URL or as a keyword/value string.
func TestEnvURL(t *testing.T) {
	admin, err := adminURL()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	keywordValue := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=disable",
		cfg.Host, cfg.Port, cfg.User, cfg.Password)
	for name, env := range map[string]string{"URL": admin, "KeywordValue": keywordValue} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvURL, env)
			url := NewDatabase(t)
			if got := currentDatabase(t, connect(t, url)); !strings.HasPrefix(got, "test_testenvurl") {
				t.Errorf("connected to %q, want a fresh test database", got)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	long := strings.Repeat("VeryLong/Name ", 10)
	a, err := databaseName(long)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := databaseName(long)
	if a == b {
		t.Error("two names for one test are equal")
	}
	if len(a) > 63 {
		t.Errorf("name %q longer than 63 bytes", a)
	}
	if strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		t.Errorf("name %q has characters that need quoting", a)
	}
}
