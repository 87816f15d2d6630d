package pgmanaged

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The test binary doubles as a "hub" that a test can SIGKILL: with
// helperDirEnv set it starts a server on that folder, prints its pid and
// URL, and waits for stdin to close.
const (
	helperDirEnv      = "PGMANAGED_TEST_HUB_DIR"
	helperNoDeathsEnv = "PGMANAGED_TEST_HUB_NO_DEATHSIG"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(helperHub(dir))
	}
	os.Exit(m.Run())
}

func helperHub(dir string) int {
	if os.Getenv(helperNoDeathsEnv) != "" {
		deathSignal = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{DataDir: dir, Ephemeral: true, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("READY %d %s\n", s.cmd.Process.Pid, s.URL())
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Stop(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testDir returns a fresh folder that the server user can traverse.
func testDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgmanaged-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func mustStart(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func mustConnect(t *testing.T, url string) *pgx.Conn {
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

func mustExec(t *testing.T, url string, sql string, args ...any) {
	t.Helper()
	if _, err := mustConnect(t, url).Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func countRows(t *testing.T, url string) int {
	t.Helper()
	var n int
	if err := mustConnect(t, url).QueryRow(context.Background(), "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatalf("count rows: %v", err)
	}
	return n
}

// waitGone waits until pid has exited.
func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !processAlive(pid) {
			return
		}
	}
	t.Fatalf("process %d still running after %s", pid, within)
}

// processUID returns the real uid of pid.
func processUID(t *testing.T, pid int) uint32 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			uid, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				t.Fatal(err)
			}
			return uint32(uid)
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return 0
}

func TestStart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	s := mustStart(t, Options{DataDir: dir})
	conn := mustConnect(t, s.URL())

	ctx := context.Background()
	for setting, want := range map[string]string{
		"current_user":                               Superuser,
		"current_database()":                         Database,
		"current_setting('fsync')":                   "on",
		"current_setting('listen_addresses')":        "127.0.0.1",
		"current_setting('shared_buffers')":          "256MB",
		"current_setting('max_connections')":         "100",
		"current_setting('server_encoding')":         "UTF8",
		"current_setting('lc_collate')":              "C",
		"current_setting('data_checksums')":          "on",
		"current_setting('unix_socket_directories')": s.DataDir(),
	} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT "+setting+"::text").Scan(&got); err != nil {
			t.Fatalf("%s: %v", setting, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}

	fi, err := os.Stat(filepath.Join(s.DataDir(), PasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(s.DataDir(), ServerLogFile)); err != nil {
		t.Errorf("server log: %v", err)
	}

	wrong := strings.Replace(s.URL(), s.password, "wrong", 1)
	if c, err := pgx.Connect(ctx, wrong); err == nil {
		_ = c.Close(ctx)
		t.Error("connected with a wrong password")
	}

	pid := s.cmd.Process.Pid
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if s.Err() != nil {
		t.Errorf("Err after Stop = %v", s.Err())
	}
	if processAlive(pid) {
		t.Error("server still running after Stop")
	}
	if _, err := os.Stat(filepath.Join(s.DataDir(), "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after clean stop: %v", err)
	}
}

// TestRunsAsServerUser checks that a root hub runs initdb and the server as
// the unprivileged user, and gives it the cluster folder.
func TestRunsAsServerUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the hub is not root here: the server runs as the hub's own user")
	}
	t.Parallel()
	acct, err := serverAccount()
	if err != nil {
		t.Fatal(err)
	}
	s := mustStart(t, Options{DataDir: filepath.Join(testDir(t), "pg"), Ephemeral: true})
	if uid := processUID(t, s.cmd.Process.Pid); uid != acct.uid || uid == 0 {
		t.Errorf("server runs as uid %d, want %d (%s)", uid, acct.uid, acct.user)
	}
	fi, err := os.Stat(s.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != acct.uid {
		t.Errorf("cluster folder owned by uid %d, want %d", uid, acct.uid)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("cluster folder mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestFallbackDir: a data folder below a folder the server user cannot
// traverse (like /root) gets its cluster in the fallback folder.
func TestFallbackDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback is for a root hub only")
	}
	t.Parallel()
	closed := testDir(t)
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(closed, "var", "pg")
	fallback := testDir(t)

	s := mustStart(t, Options{DataDir: dataDir, FallbackDir: fallback, Ephemeral: true})
	if filepath.Dir(s.DataDir()) != fallback || !strings.HasPrefix(filepath.Base(s.DataDir()), "pg-") {
		t.Fatalf("cluster in %s, want a pg-<hash> folder in %s", s.DataDir(), fallback)
	}
	if target, err := os.Readlink(dataDir); err != nil || target != s.DataDir() {
		t.Errorf("data folder link = %q, %v; want a symlink to %s", target, err, s.DataDir())
	}
	mustExec(t, s.URL(), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	again := mustStart(t, Options{DataDir: dataDir, FallbackDir: fallback, Ephemeral: true})
	if again.DataDir() != s.DataDir() {
		t.Errorf("second start uses %s, first used %s", again.DataDir(), s.DataDir())
	}
	if n := countRows(t, again.URL()); n != 1 {
		t.Errorf("rows after restart = %d, want 1", n)
	}
}

// TestLongDataDir: a cluster folder too long for a unix socket path gets
// TCP only.
func TestLongDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), strings.Repeat("d", 100))
	s := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	var sockets string
	if err := mustConnect(t, s.URL()).QueryRow(context.Background(), "SHOW unix_socket_directories").Scan(&sockets); err != nil {
		t.Fatal(err)
	}
	if sockets != "" {
		t.Errorf("unix_socket_directories = %q, want none", sockets)
	}
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	s := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	mustExec(t, s.URL(), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1), (2)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	again := mustStart(t, Options{DataDir: dir, Port: port, Ephemeral: true})
	if !strings.Contains(again.URL(), ":"+strconv.Itoa(port)+"/") {
		t.Errorf("URL does not use the requested port %d", port)
	}
	if n := countRows(t, again.URL()); n != 2 {
		t.Errorf("rows after restart = %d, want 2", n)
	}
}

func TestDataDirInUse(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	mustStart(t, Options{DataDir: dir, Ephemeral: true})
	_, err := Start(context.Background(), Options{DataDir: dir, Logger: testLogger(t)})
	if !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("second Start: %v, want ErrDataDirInUse", err)
	}
}

// TestServerKilled: the server dies by SIGKILL and leaves a postmaster.pid
// of a dead process; the next Start recovers.
func TestServerKilled(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	s := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	mustExec(t, s.URL(), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	s.stopping.Store(true) // the kill below is expected
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if s.Err() == nil {
		t.Error("Err after SIGKILL = nil")
	}
	if err := s.Stop(context.Background()); err == nil {
		t.Error("Stop after the server died = nil, want its exit error")
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("want a stale postmaster.pid: %v", err)
	}

	again := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	if n := countRows(t, again.URL()); n != 1 {
		t.Errorf("rows after recovery = %d, want 1", n)
	}
}

// startHub runs the test binary as a hub that starts a server on dir.
func startHub(t *testing.T, dir string, deathsig bool) (hub *exec.Cmd, serverPID int, url string) {
	t.Helper()
	hub = exec.Command(os.Args[0], "-test.run=^$")
	hub.Env = append(os.Environ(), helperDirEnv+"="+dir)
	if !deathsig {
		hub.Env = append(hub.Env, helperNoDeathsEnv+"=1")
	}
	hub.Stderr = t.Output()
	if _, err := hub.StdinPipe(); err != nil { // kept open: the hub waits on it
		t.Fatal(err)
	}
	out, err := hub.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = hub.Process.Kill()
		_ = hub.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("hub did not start its server: %v", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "READY" {
		t.Fatalf("hub said %q", line)
	}
	serverPID, err = strconv.Atoi(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return hub, serverPID, f[2]
}

func killHub(t *testing.T, hub *exec.Cmd) {
	t.Helper()
	if err := hub.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = hub.Wait()
}

// TestHubKilled: the parent-death signal stops the server when the hub is
// SIGKILLed, also when the server runs under another user (root hub), and
// the next hub starts on the same folder with the data intact.
func TestHubKilled(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	hub, pid, url := startHub(t, dir, true)
	if os.Geteuid() == 0 {
		if uid := processUID(t, pid); uid == 0 {
			t.Fatal("server runs as root")
		}
	}
	mustExec(t, url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")

	killHub(t, hub)
	waitGone(t, pid, 30*time.Second)

	s := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	if n := countRows(t, s.URL()); n != 1 {
		t.Errorf("rows after hub was killed = %d, want 1", n)
	}
}

// TestOrphanStopped: a server that outlived its hub (no parent-death
// signal) is found through postmaster.pid and stopped by the next Start.
func TestOrphanStopped(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	hub, pid, url := startHub(t, dir, false)
	mustExec(t, url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	killHub(t, hub)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	time.Sleep(300 * time.Millisecond)
	if !processAlive(pid) {
		t.Fatal("server died with its hub although it had no parent-death signal")
	}

	s := mustStart(t, Options{DataDir: dir, Ephemeral: true})
	if processAlive(pid) {
		t.Error("orphaned server still running")
	}
	if s.cmd.Process.Pid == pid {
		t.Error("orphaned server reused")
	}
	if n := countRows(t, s.URL()); n != 1 {
		t.Errorf("rows = %d, want 1", n)
	}
}

func TestFindBinaries(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		b, err := findBinaries(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if b.major == "" {
			t.Errorf("no major version found in %s", b.dir)
		}
		again, err := findBinaries(ctx, "", b.major)
		if err != nil || again != b {
			t.Errorf("findBinaries for major %s = %+v, %v; want %+v", b.major, again, err, b)
		}
	})
	t.Run("ErrWrongMajor", func(t *testing.T) {
		_, err := findBinaries(ctx, "", "9")
		if err == nil || !strings.Contains(err.Error(), "pg_upgrade") {
			t.Errorf("err = %v, want advice on pg_upgrade", err)
		}
	})
	t.Run("ErrMissingBinDir", func(t *testing.T) {
		_, err := Start(ctx, Options{DataDir: filepath.Join(testDir(t), "pg"), BinDir: t.TempDir(), Logger: testLogger(t)})
		if err == nil || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
			t.Errorf("err = %v, want the install command", err)
		}
	})
	t.Run("ErrMissing", func(t *testing.T) {
		oldConfig, oldGlob := pgConfigProgram, libGlob
		t.Cleanup(func() { pgConfigProgram, libGlob = oldConfig, oldGlob })
		empty := t.TempDir()
		pgConfigProgram = filepath.Join(empty, "pg_config")
		libGlob = filepath.Join(empty, "*", "bin")
		t.Setenv("PATH", empty)
		_, err := findBinaries(ctx, "", "")
		if err == nil || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
			t.Errorf("err = %v, want the install command", err)
		}
	})
}

func TestBlockedAncestor(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// A made-up account that owns nothing and is in no group here.
	other := &account{user: "other", uid: 54321, gid: 54321, groups: []uint32{54321}}
	me, err := newAccount(u)
	if err != nil {
		t.Fatal(err)
	}
	open := testDir(t)
	closed := filepath.Join(open, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		acct *account
		path string
		want string
	}{
		{"OpenForOthers", other, filepath.Join(open, "pg"), ""},
		{"ClosedForOthers", other, filepath.Join(closed, "pg"), closed},
		{"ClosedForOthersMissingBelow", other, filepath.Join(closed, "a", "b", "pg"), closed},
		{"OwnerMayPass", me, filepath.Join(closed, "pg"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.acct.blockedAncestor(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("blockedAncestor(%s) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
