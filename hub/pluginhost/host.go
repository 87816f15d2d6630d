// Package pluginhost starts and supervises adapter plugin processes. A Host
// runs one adapter binary through hashicorp/go-plugin, hands out the live
// sdk.Adapter, restarts the process with backoff after a crash, and disables
// itself with a visible reason after repeated crashes, so that one partner's
// broken adapter never stalls another partner.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// ErrDisabled is wrapped by every error of a disabled Host. The Host stays
// disabled until Reset; Status says why.
var ErrDisabled = errors.New("adapter disabled")

// ErrClosed is wrapped by the errors of a Host after Close.
var ErrClosed = errors.New("adapter host closed")

// Spec names one adapter binary of the adapter catalog.
type Spec struct {
	Name   string // catalog name, used in errors and logs
	Binary string // path of the executable
	// SHA256 is the hex sha256 the binary must have. When set, go-plugin's
	// SecureConfig refuses to start a binary with a different sum.
	SHA256 string
}

// Config tunes a Host. The zero value gives the defaults.
type Config struct {
	// InitialBackoff is the wait before the first restart after a crash;
	// every further crash in a row doubles it up to MaxBackoff. Defaults
	// to 500ms and 1m.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxCrashes crashes within CrashWindow disable the Host. Defaults to
	// 5 within 10 minutes.
	MaxCrashes  int
	CrashWindow time.Duration
	// StartTimeout bounds the start of the process up to its handshake.
	// Defaults to 30s.
	StartTimeout time.Duration
	// Env is the environment of the adapter process, as KEY=value. The
	// hub's own environment, with its secrets, is not passed on.
	Env []string
	// Logger receives the Host's events and, at PluginLogLevel and above,
	// the log lines of go-plugin and the adapter process. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// PluginLogLevel is the lowest level of forwarded plugin log lines.
	// Defaults to slog.LevelWarn.
	PluginLogLevel slog.Leveler
}

func (c *Config) setDefaults() {
	if c.InitialBackoff == 0 {
		c.InitialBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Minute
	}
	if c.MaxCrashes == 0 {
		c.MaxCrashes = 5
	}
	if c.CrashWindow == 0 {
		c.CrashWindow = 10 * time.Minute
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PluginLogLevel == nil {
		c.PluginLogLevel = slog.LevelWarn
	}
}

// Validate reports a Config that cannot work: negative durations or counts,
// or a MaxBackoff below InitialBackoff.
func (c *Config) Validate() error {
	switch {
	case c.InitialBackoff < 0, c.MaxBackoff < 0, c.CrashWindow < 0, c.StartTimeout < 0:
		return errors.New("durations must not be negative")
	case c.MaxBackoff < c.InitialBackoff:
		return fmt.Errorf("max backoff %s is below initial backoff %s", c.MaxBackoff, c.InitialBackoff)
	case c.MaxCrashes < 0:
		return errors.New("max crashes must not be negative")
	}
	return nil
}

// State is the life-cycle state of a Host.
type State string

// The states of a Host.
const (
	StateStopped  State = "stopped"  // no process yet; started on first use
	StateRunning  State = "running"  // a live process serves calls
	StateCrashed  State = "crashed"  // the process died; restarted on next use, after backoff
	StateDisabled State = "disabled" // too many crashes, or a refused binary; see Reset
	StateClosed   State = "closed"   // Close was called
)

// Status is a snapshot of a Host for operators.
type Status struct {
	Name           string
	State          State
	PID            int       // of the running process, else 0
	Restarts       int       // processes started after the first
	Crashes        int       // crashes within the crash window
	NextStart      time.Time // earliest restart, while crashed
	LastError      string    // the last crash or start failure
	DisabledReason string    // why the Host is disabled
	DisabledCode   string    // CodeChecksum or CodeCrashes while disabled
}

// Stable codes of why a Host is disabled (Status.DisabledCode).
const (
	// CodeChecksum: the binary on disk does not have the pinned sha256.
	CodeChecksum = "ADAPTER_CHECKSUM"
	// CodeCrashes: the process crashed MaxCrashes times within CrashWindow.
	CodeCrashes = "ADAPTER_CRASHES"
)

// Host supervises the process of one adapter instance and is itself an
// sdk.Adapter: each call goes to the live process, which is started on
// first use and restarted after a crash. A Host is safe for concurrent use.
//
// Calls are not retried by the Host: a Decode that fails because the process
// died returns an error wrapping sdk.ErrUnavailable, and the caller decides
// whether to decode the document again.
type Host struct {
	spec Spec
	cfg  Config
	sum  []byte // pinned sha256, nil when not pinned
	log  *slog.Logger

	startSem chan struct{} // serialises starts; a channel so waiting honours ctx
	cfgMu    sync.Mutex    // serialises Configure with remembering it

	mu          sync.Mutex
	proc        *process // the live process, or nil
	closed      bool
	disabled    string // reason; empty when enabled
	disabledBy  string // CodeChecksum or CodeCrashes
	started     int
	crashes     []time.Time // within the window
	consecutive int         // crashes since the last successful Decode
	nextStart   time.Time
	lastErr     string
	configured  *configureCall
}

var _ sdk.Adapter = (*Host)(nil)

type process struct {
	client  *plugin.Client
	cmd     *exec.Cmd
	adapter sdk.Adapter
	pid     int
	cancel  context.CancelFunc // ends the process's context; see launch
}

// kill stops the process (gracefully if it answers) and releases what
// go-plugin holds for it.
func (p *process) kill() {
	p.client.Kill()
	p.cancel()
}

type configureCall struct {
	partner string
	config  []byte
}

// New returns a Host for spec; it starts no process until first use (or
// Start). It returns an error when spec or cfg is invalid.
func New(spec Spec, cfg Config) (*Host, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("adapter %q: config: %w", spec.Name, err)
	}
	if spec.Name == "" || spec.Binary == "" {
		return nil, fmt.Errorf("adapter %q: spec needs a name and a binary", spec.Name)
	}
	h := &Host{
		spec:     spec,
		cfg:      cfg,
		log:      cfg.Logger.With("adapter", spec.Name),
		startSem: make(chan struct{}, 1),
	}
	if spec.SHA256 != "" {
		sum, err := decodeSHA256(spec.SHA256)
		if err != nil {
			return nil, fmt.Errorf("adapter %q: %w", spec.Name, err)
		}
		h.sum = sum
	}
	return h, nil
}

// Name returns the catalog name of the adapter.
func (h *Host) Name() string { return h.spec.Name }

// Start makes sure the process runs, starting it when needed. It returns
// the errors of acquiring the process: ErrDisabled, ErrClosed, a start
// failure, or ctx's error while waiting for a restart backoff.
func (h *Host) Start(ctx context.Context) error {
	_, err := h.acquire(ctx)
	return err
}

// Describe asks the running adapter for its description. Besides the
// adapter's own errors it returns the errors of Start.
func (h *Host) Describe(ctx context.Context) (sdk.Description, error) {
	p, err := h.acquire(ctx)
	if err != nil {
		return sdk.Description{}, err
	}
	d, err := p.adapter.Describe(ctx)
	if err = h.after(p, err, false); err != nil {
		return sdk.Description{}, err
	}
	return d, nil
}

// Configure configures the running adapter. A successful configuration is
// remembered and applied again to every restarted process. It returns the
// adapter's *sdk.ConfigError as is (errors.As finds it), and otherwise the
// errors of Start.
func (h *Host) Configure(ctx context.Context, partner string, config []byte) error {
	h.cfgMu.Lock()
	defer h.cfgMu.Unlock()
	p, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	err = p.adapter.Configure(ctx, partner, config)
	var ce *sdk.ConfigError
	if errors.As(err, &ce) {
		return err
	}
	if err = h.after(p, err, false); err != nil {
		return err
	}
	h.mu.Lock()
	h.configured = &configureCall{partner: partner, config: append([]byte(nil), config...)}
	h.mu.Unlock()
	return nil
}

// Decode streams one document through the running adapter; see
// sdk.Adapter. When the process dies during the call, the error wraps
// sdk.ErrUnavailable and the next call restarts the process. It also
// returns the errors of Start.
func (h *Host) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	p, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	err = p.adapter.Decode(ctx, doc, src, out)
	return h.after(p, err, true)
}

// Status returns a snapshot of the Host's state.
func (h *Host) Status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Status{
		Name:           h.spec.Name,
		Crashes:        len(h.pruneLocked(time.Now())),
		LastError:      h.lastErr,
		DisabledReason: h.disabled,
		DisabledCode:   h.disabledBy,
	}
	if h.started > 0 {
		s.Restarts = h.started - 1
	}
	switch {
	case h.closed:
		s.State = StateClosed
	case h.disabled != "":
		s.State = StateDisabled
	case h.proc != nil && !h.proc.client.Exited():
		s.State = StateRunning
		s.PID = h.proc.pid
	case h.proc != nil || h.started > 0:
		s.State = StateCrashed
		s.NextStart = h.nextStart
	default:
		s.State = StateStopped
	}
	return s
}

// Reset enables a disabled Host again and forgets its crashes, so that the
// next call starts the process without backoff. It does not reopen a closed
// Host.
func (h *Host) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.disabled != "" {
		h.log.Info("adapter re-enabled", "was", h.disabled)
	}
	h.disabled, h.disabledBy = "", ""
	h.crashes = nil
	h.consecutive = 0
	h.nextStart = time.Time{}
}

// Close stops the process, gracefully if it answers and by force otherwise,
// and makes every later call fail with ErrClosed. It never fails.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	p := h.proc
	h.proc = nil
	h.mu.Unlock()
	if p != nil {
		p.kill()
	}
	return nil
}

// acquire returns the live process, starting it when there is none.
func (h *Host) acquire(ctx context.Context) (*process, error) {
	if p, err := h.current(); p != nil || err != nil {
		return p, err
	}
	select {
	case h.startSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("start adapter %q: %w", h.spec.Name, ctx.Err())
	}
	defer func() { <-h.startSem }()
	// Another caller may have started it while this one waited.
	if p, err := h.current(); p != nil || err != nil {
		return p, err
	}
	return h.start(ctx)
}

// current returns the live process, or nil when one must be started, or
// the error that keeps the Host from starting one. A process found dead is
// recorded as a crash and cleaned up.
func (h *Host) current() (*process, error) {
	h.mu.Lock()
	dead := h.proc
	if dead != nil && dead.client.Exited() {
		h.crashedLocked(dead, errors.New(exitCause(dead)))
	} else {
		dead = nil
	}
	var err error
	switch {
	case h.closed:
		err = fmt.Errorf("adapter %q: %w", h.spec.Name, ErrClosed)
	case h.disabled != "":
		err = fmt.Errorf("adapter %q: %w: %s", h.spec.Name, ErrDisabled, h.disabled)
	}
	p := h.proc
	h.mu.Unlock()
	if dead != nil {
		// Kill only releases what go-plugin still holds for the dead process.
		dead.kill()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start waits out the backoff, then starts and configures a new process.
// The caller holds startSem.
func (h *Host) start(ctx context.Context) (*process, error) {
	h.mu.Lock()
	wait := time.Until(h.nextStart)
	configured := h.configured
	h.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("restart adapter %q: %w", h.spec.Name, ctx.Err())
		}
	}

	p, err := h.launch(ctx)
	if err != nil && ctx.Err() != nil {
		// Given up by the caller: no crash of the adapter.
		return nil, fmt.Errorf("start adapter %q: %w", h.spec.Name, ctx.Err())
	}
	if err != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		if errors.Is(err, ErrChecksumMismatch) {
			// A wrong binary does not fix itself by restarting.
			h.lastErr = err.Error()
			h.disableLocked(CodeChecksum, err.Error())
		} else {
			h.failedLocked(err)
		}
		return nil, fmt.Errorf("start adapter %q: %w", h.spec.Name, err)
	}
	if configured != nil {
		if err := p.adapter.Configure(ctx, configured.partner, configured.config); err != nil {
			p.kill()
			err = fmt.Errorf("configure restarted process: %w", err)
			h.mu.Lock()
			h.failedLocked(err)
			h.mu.Unlock()
			return nil, fmt.Errorf("start adapter %q: %w", h.spec.Name, err)
		}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		p.kill()
		return nil, fmt.Errorf("adapter %q: %w", h.spec.Name, ErrClosed)
	}
	h.proc = p
	h.started++
	h.log.Info("adapter started", "pid", p.pid, "restarts", h.started-1)
	return p, nil
}

// launch starts the binary through go-plugin and dispenses its Adapter.
// When ctx ends before the adapter answered the handshake, the process is
// killed and launch returns at once: go-plugin's own wait cannot be
// cancelled, but it ends when the process does.
func (h *Host) launch(ctx context.Context) (*process, error) {
	procCtx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(procCtx, h.spec.Binary)
	cmd.Env = append([]string(nil), h.cfg.Env...)
	cc := &plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginMap,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     h.cfg.StartTimeout,
		Logger:           newHCLogger(h.log, h.cfg.PluginLogLevel.Level()),
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
	}
	if h.sum != nil {
		cc.SecureConfig = &plugin.SecureConfig{Checksum: h.sum, Hash: sha256.New()}
	}
	client := plugin.NewClient(cc)
	started := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-started:
		}
	}()
	a, err := sdk.Dispense(client)
	close(started)
	if err != nil {
		client.Kill()
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("binary %s: %w", h.spec.Binary, ctx.Err())
		}
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			if verr := VerifyChecksum(h.spec.Binary, h.spec.SHA256); verr != nil {
				return nil, verr
			}
			return nil, fmt.Errorf("verify adapter binary %s: %w: %w", h.spec.Binary, ErrChecksumMismatch, err)
		}
		return nil, fmt.Errorf("binary %s: %w", h.spec.Binary, err)
	}
	p := &process{client: client, cmd: cmd, adapter: a, cancel: cancel}
	if rc := client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	return p, nil
}

// after looks at the outcome of a call on p. When the process died it
// records a crash and adds that to the error. A successful Decode ends a
// series of crashes, resetting the backoff.
func (h *Host) after(p *process, err error, decode bool) error {
	if err == nil {
		if decode {
			h.mu.Lock()
			if h.proc == p {
				h.consecutive = 0
			}
			h.mu.Unlock()
		}
		return nil
	}
	if !errors.Is(err, sdk.ErrUnavailable) && !p.client.Exited() {
		return fmt.Errorf("adapter %q: %w", h.spec.Name, err)
	}
	// The broken connection is often seen before the process is reaped.
	exited := waitExited(p.client, 2*time.Second)
	// Alive but unreachable is useless, so replace it; for a dead process
	// Kill releases what go-plugin still holds.
	p.kill()
	cause := "connection lost"
	if exited {
		cause = exitCause(p)
	}
	h.mu.Lock()
	h.crashedLocked(p, errors.New(cause))
	h.mu.Unlock()
	return fmt.Errorf("adapter %q: %s: %w", h.spec.Name, cause, err)
}

// exitCause describes how p's process ended. It must only be called once
// p.client.Exited() has returned true.
func exitCause(p *process) string {
	if ps := p.cmd.ProcessState; ps != nil {
		return "process exited: " + ps.String()
	}
	return "process exited"
}

// waitExited polls until c's process has exited or d has passed.
func waitExited(c *plugin.Client, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !c.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// crashedLocked records that p died, once, and schedules the restart.
func (h *Host) crashedLocked(p *process, cause error) {
	if h.proc != p {
		return // already recorded, or replaced
	}
	h.proc = nil
	h.log.Warn("adapter crashed", "pid", p.pid, "error", cause)
	h.failedLocked(cause)
}

// failedLocked counts a crash or failed start, sets the backoff and
// disables the Host when there were too many.
func (h *Host) failedLocked(cause error) {
	now := time.Now()
	h.crashes = append(h.pruneLocked(now), now)
	h.consecutive++
	h.lastErr = cause.Error()
	h.nextStart = now.Add(backoff(h.cfg.InitialBackoff, h.cfg.MaxBackoff, h.consecutive))
	if len(h.crashes) >= h.cfg.MaxCrashes {
		h.disableLocked(CodeCrashes, fmt.Sprintf("%d crashes within %s, last: %s", len(h.crashes), h.cfg.CrashWindow, h.lastErr))
	}
}

func (h *Host) disableLocked(code, reason string) {
	h.disabled, h.disabledBy = reason, code
	h.log.Error("adapter disabled", "code", code, "reason", reason)
}

// pruneLocked drops crashes older than the window and returns the rest.
func (h *Host) pruneLocked(now time.Time) []time.Time {
	i := 0
	for i < len(h.crashes) && now.Sub(h.crashes[i]) > h.cfg.CrashWindow {
		i++
	}
	h.crashes = h.crashes[i:]
	return h.crashes
}

// backoff returns the wait before restart n (1 for the first): initial,
// doubled for every further crash in a row, at most ceiling.
func backoff(initial, ceiling time.Duration, n int) time.Duration {
	d := initial
	for i := 1; i < n; i++ {
		if d >= ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}
