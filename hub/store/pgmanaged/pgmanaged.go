// Package pgmanaged runs a local PostgreSQL server as a child process of the
// hub, for installations that configure no external database.
//
// Start creates the cluster on first use (initdb), starts `postgres -D dir`
// listening only on 127.0.0.1, waits until it accepts connections and makes
// sure the database "ketenhub" exists. Stop shuts it down. The server uses
// the PostgreSQL server binaries installed on the machine (Debian:
// `apt-get install -y postgresql`); the system cluster that the Debian
// package creates is not used.
//
// PostgreSQL refuses to run as root. When the hub runs as root, the server
// and initdb run as the "postgres" system user (or "nobody" when there is
// none): the cluster folder is owned by that user, and when that user cannot
// reach the data folder (for example below /root) the cluster is placed in
// Options.FallbackDir instead and the data folder becomes a symlink to it.
//
// The server gets SIGINT (fast shutdown) from the kernel when the hub dies,
// even by SIGKILL (Linux parent-death signal). A server left running by a
// hub that died anyway is found through postmaster.pid at the next Start and
// stopped before a new one starts; see Start.
//
// The package works on Linux only.
package pgmanaged

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// Superuser is the PostgreSQL superuser that initdb creates and URL uses.
	Superuser = "ketenhub"
	// Database is the database that Start creates when missing and URL names.
	Database = "ketenhub"
	// PasswordFile is the file in the cluster folder (mode 0600, owned by the
	// hub's user) that holds the generated password of Superuser.
	PasswordFile = "ketenhub.password"
	// ConfFile is the file in the cluster folder with the settings the hub
	// manages. It is rewritten at every start and included from
	// postgresql.conf; override a setting with ALTER SYSTEM instead.
	ConfFile = "ketenhub.conf"
	// ServerLogFile is the file in the cluster folder that receives the
	// server's own output until its logging collector takes over (which
	// writes to the folder "log" in the cluster folder).
	ServerLogFile = "server.log"
	// DefaultFallbackDir is the default of Options.FallbackDir.
	DefaultFallbackDir = "/var/lib/ketenhub"

	lockFile = "ketenhub.lock"

	// readyTimeout bounds the wait for a started server to accept
	// connections when ctx has no earlier deadline; crash recovery of a
	// large cluster can take minutes.
	readyTimeout = 5 * time.Minute
	// fastShutdownTimeout is how long Stop waits after SIGINT before it
	// sends SIGQUIT (immediate shutdown).
	fastShutdownTimeout = time.Minute
	// immediateShutdownTimeout is how long Stop waits after SIGQUIT before
	// it sends SIGKILL.
	immediateShutdownTimeout = 15 * time.Second
)

// deathSignal is the signal the kernel sends the server when the hub's
// thread that started it dies. Fast shutdown: clean, no recovery at the next
// start. Tests change it to simulate an orphaned server.
var deathSignal = syscall.SIGINT

// ErrDataDirInUse is returned by Start when another process (another hub)
// already runs a managed server on the same data folder.
var ErrDataDirInUse = errors.New("data folder is in use by another ketenhub process")

// Options configures Start.
type Options struct {
	// DataDir is the PostgreSQL cluster folder. It is created (with initdb)
	// when missing or empty. Required.
	DataDir string
	// Port is the TCP port on 127.0.0.1 to listen on; 0 picks a free one at
	// every start.
	Port int
	// Logger receives the package's own messages; nil means slog.Default().
	// PostgreSQL's log goes to files in the cluster folder, not here.
	Logger *slog.Logger
	// BinDir is the folder with the PostgreSQL server binaries (initdb,
	// postgres). Empty means: `pg_config --bindir`, else the newest
	// /usr/lib/postgresql/*/bin, else PATH; for an existing cluster the
	// binaries of its major version are preferred.
	BinDir string
	// FallbackDir is where the cluster is placed, in a folder
	// "pg-<hash of DataDir>", when the hub runs as root and the unprivileged
	// server user cannot traverse the folders leading to DataDir. Empty
	// means DefaultFallbackDir. It is not /var/tmp, whose old files may be
	// removed by systemd-tmpfiles: this is the system of record.
	FallbackDir string
	// Ephemeral trades durability for speed, for throwaway clusters in
	// tests: initdb --no-sync, fsync and full_page_writes off, smaller
	// shared_buffers. Committed data survives a crash of the server, not
	// of the machine. Never for real data.
	Ephemeral bool
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FallbackDir == "" {
		o.FallbackDir = DefaultFallbackDir
	}
}

// Validate reports whether the options can be used.
func (o *Options) Validate() error {
	if o.DataDir == "" {
		return errors.New("data folder is required")
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("port %d out of range", o.Port)
	}
	return nil
}

// Server is a running managed PostgreSQL server. Its methods are safe for
// concurrent use.
type Server struct {
	logger   *slog.Logger
	dir      string
	port     int
	password string

	cmd      *exec.Cmd
	lock     *os.File
	done     chan struct{}
	waitErr  error
	stopping atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts the managed PostgreSQL server for opts.DataDir, creating the
// cluster first when the folder is missing or empty, and returns when the
// server accepts connections and the database Database exists. ctx bounds
// the start-up only, not the server's life; call Stop to end it.
//
// A postmaster.pid left in the cluster folder is handled like this: when its
// process is dead, PostgreSQL itself recovers. When it is alive and is a
// postgres running on this cluster folder, it is an orphan of a hub that
// died (a live hub holds the folder's lock, see ErrDataDirInUse), so Start
// stops it (SIGINT, then SIGQUIT) and starts its own server: reusing it would
// leave a server that is not the hub's child, so neither Stop nor the
// parent-death signal would reach it. When it is alive but some other
// process (a reused pid), the stale file is removed.
//
// Start returns ErrDataDirInUse when another process runs a managed server
// on the same folder, and an error that says how to install PostgreSQL when
// its server binaries are missing.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("start managed postgresql: %w", err)
	}
	log := opts.Logger

	acct, err := serverAccount()
	if err != nil {
		return nil, fmt.Errorf("start managed postgresql: %w", err)
	}
	dir, err := resolveClusterDir(opts.DataDir, opts.FallbackDir, acct, log)
	if err != nil {
		return nil, fmt.Errorf("start managed postgresql: %w", err)
	}
	wantMajor := clusterMajor(dir)
	bins, err := findBinaries(ctx, opts.BinDir, wantMajor)
	if err != nil {
		return nil, fmt.Errorf("start managed postgresql: %w", err)
	}
	if wantMajor == "" {
		if err := initCluster(ctx, bins, dir, acct, opts.Ephemeral, log); err != nil {
			return nil, fmt.Errorf("start managed postgresql: %w", err)
		}
	} else if err := acct.own(dir, log); err != nil {
		return nil, fmt.Errorf("start managed postgresql: %w", err)
	}

	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("start managed postgresql in %s: %w", dir, err)
	}
	s, err := start(ctx, opts, log, acct, bins, dir, lock)
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("start managed postgresql in %s: %w", dir, err)
	}
	return s, nil
}

func start(ctx context.Context, opts Options, log *slog.Logger, acct *account, bins binaries, dir string, lock *os.File) (*Server, error) {
	pw, err := os.ReadFile(filepath.Join(dir, PasswordFile))
	if err != nil {
		return nil, fmt.Errorf("read superuser password (was this cluster created by ketenhub?): %w", err)
	}
	if err := handleStalePID(ctx, dir, log); err != nil {
		return nil, err
	}
	if err := writeConf(dir, acct, opts.Ephemeral); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	s := &Server{logger: log, dir: dir, password: strings.TrimSpace(string(pw)), lock: lock}
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		err = s.run(ctx, bins, acct, port)
		if err == nil {
			break
		}
		retry := attempt < 10 && ctx.Err() == nil &&
			(errors.Is(err, errPortInUse) && opts.Port == 0 || errors.Is(err, errShmemInUse))
		if !retry {
			return nil, err
		}
		log.Info("managed postgresql did not start, retrying", "attempt", attempt, "err", err)
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (last attempt: %w)", ctx.Err(), err)
		}
	}
	if err := s.ensureDatabase(ctx, Database); err != nil {
		s.kill()
		return nil, err
	}
	log.Info("managed postgresql started", "dir", dir, "addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		"pid", s.cmd.Process.Pid, "user", acct.name(), "version", bins.major)
	return s, nil
}

var (
	errPortInUse  = errors.New("port in use")
	errShmemInUse = errors.New("shared memory of a previous server still in use")
)

// run starts postgres on port and waits until it accepts connections. On
// failure the process has exited and s is unchanged.
func (s *Server) run(ctx context.Context, bins binaries, acct *account, port int) error {
	logPath := filepath.Join(s.dir, ServerLogFile)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	logStart, _ := logf.Seek(0, 2)
	sockets := ""
	if len(s.dir)+len("/.s.PGSQL.65535.lock") < 108 {
		sockets = s.dir
	}
	cmd := exec.Command(filepath.Join(bins.dir, "postgres"),
		"-D", s.dir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+sockets,
	)
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group: a Ctrl-C in the hub's terminal reaches the hub
		// only, which then stops the server in order.
		Setpgid:    true,
		Pdeathsig:  deathSignal,
		Credential: acct.credential(),
	}
	if err := startOnLockedThread(cmd); err != nil {
		_ = logf.Close()
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		_ = logf.Close()
		close(done)
	}()

	ready := s.waitReady(ctx, port, done)
	if ready != nil {
		select {
		case <-done:
		default:
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-done:
			case <-time.After(immediateShutdownTimeout):
				_ = cmd.Process.Kill()
				<-done
			}
		}
		tail := logTail(logPath, logStart)
		switch {
		case strings.Contains(tail, "could not bind") || strings.Contains(tail, "Address already in use"):
			ready = fmt.Errorf("%w: %w", errPortInUse, ready)
		case strings.Contains(tail, "pre-existing shared memory block"):
			ready = fmt.Errorf("%w: %w", errShmemInUse, ready)
		}
		if tail != "" {
			return fmt.Errorf("%w; server log %s ends with:\n%s", ready, logPath, tail)
		}
		return fmt.Errorf("%w (see %s and %s)", ready, logPath, filepath.Join(s.dir, "log"))
	}

	s.cmd = cmd
	s.port = port
	s.done = make(chan struct{})
	go func() {
		<-done
		s.waitErr = waitErr
		if !s.stopping.Load() {
			s.logger.Error("managed postgresql exited unexpectedly", "err", waitErr, "dir", s.dir)
		}
		close(s.done)
	}()
	return nil
}

// waitReady polls until the server accepts a connection, the process
// exits or ctx ends.
func (s *Server) waitReady(ctx context.Context, port int, exited <-chan struct{}) error {
	cfg, err := pgx.ParseConfig(s.databaseURL(port, "postgres"))
	if err != nil {
		return fmt.Errorf("parse connection settings: %w", err)
	}
	cfg.ConnectTimeout = 2 * time.Second
	var last error
	for {
		select {
		case <-exited:
			return errors.New("server exited during start-up")
		default:
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(context.Background())
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-exited:
			return errors.New("server exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("wait for server to accept connections: %w (last error: %w)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ensureDatabase creates the database name when it does not exist.
func (s *Server) ensureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.DatabaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to create database %q: %w", name, err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	s.logger.Info("managed postgresql: created database", "database", name)
	return nil
}

// URL returns the postgres:// URL of the database Database for pgx. It holds
// the superuser password: do not log it.
func (s *Server) URL() string {
	return s.DatabaseURL(Database)
}

// DatabaseURL returns the postgres:// URL of the database name on this
// server, as Superuser. It holds the password: do not log it.
func (s *Server) DatabaseURL(name string) string {
	return s.databaseURL(s.port, name)
}

func (s *Server) databaseURL(port int, name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// DataDir returns the cluster folder actually used: Options.DataDir with
// symlinks resolved, which is a folder below Options.FallbackDir when the
// cluster had to be placed there.
func (s *Server) DataDir() string {
	return s.dir
}

// Done returns a channel that is closed when the server process has exited,
// whether through Stop or not.
func (s *Server) Done() <-chan struct{} {
	return s.done
}

// Err returns why the server process exited, after Done is closed: nil for
// a clean exit, else the exit error. Before Done is closed it returns nil.
func (s *Server) Err() error {
	select {
	case <-s.done:
		return s.waitErr
	default:
		return nil
	}
}

// Stop shuts the server down: SIGINT (fast shutdown: open transactions are
// rolled back, a checkpoint is written), then, when it has not exited after
// a minute or when ctx ends, SIGQUIT (immediate shutdown: the next start runs
// crash recovery), and as a last resort SIGKILL. It then releases the data
// folder. Stop returns an error when it had to go beyond fast shutdown or the
// server had already exited with an error; calling it again returns the same
// result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.stopping.Store(true)
	defer func() { _ = s.lock.Close() }()
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("stop managed postgresql: it had already exited: %w", s.waitErr)
		}
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		s.logger.Warn("managed postgresql: send SIGINT", "err", err)
	}
	timer := time.NewTimer(fastShutdownTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
		s.logger.Info("managed postgresql stopped", "dir", s.dir)
		if s.waitErr != nil {
			return fmt.Errorf("stop managed postgresql: %w", s.waitErr)
		}
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}
	s.logger.Warn("managed postgresql: fast shutdown did not finish, using immediate shutdown", "dir", s.dir)
	s.kill()
	return errors.New("stop managed postgresql: fast shutdown did not finish in time; used immediate shutdown, the next start runs crash recovery")
}

// kill ends the server with SIGQUIT, then SIGKILL, and waits for it.
func (s *Server) kill() {
	s.stopping.Store(true)
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
		return
	case <-time.After(immediateShutdownTimeout):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the environment of initdb and postgres: deliberately small,
// so that the hub's secrets and PG* variables do not reach them.
func childEnv() []string {
	env := []string{"LC_ALL=C", "PATH=/usr/local/bin:/usr/bin:/bin"}
	if p, ok := os.LookupEnv("PATH"); ok {
		env[1] = "PATH=" + p
	}
	if tz, ok := os.LookupEnv("TZ"); ok {
		env = append(env, "TZ="+tz)
	}
	return env
}

// logTail returns the last lines of the file at path written after offset.
func logTail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b[offset:])), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
