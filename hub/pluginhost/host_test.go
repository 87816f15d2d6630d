package pluginhost_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// testBinary is the test adapter, built once by TestMain.
var testBinary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pluginhost-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testBinary = filepath.Join(dir, "testadapter")
	cmd := exec.Command("go", "build", "-o", testBinary, "./internal/testadapter")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build test adapter:", err)
		return 1
	}
	return m.Run()
}

func binarySHA256(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(testBinary)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testLogger sends the Host's logs to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newHost(t *testing.T, spec pluginhost.Spec, cfg pluginhost.Config) *pluginhost.Host {
	t.Helper()
	if spec.Name == "" {
		spec.Name = "test"
	}
	if spec.Binary == "" {
		spec.Binary = testBinary
	}
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = 10 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	h, err := pluginhost.New(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// collector is a ChunkWriter that keeps the records it gets and can run a
// hook on each chunk.
type collector struct {
	mu      sync.Mutex
	records []sdk.Record
	onChunk func(sdk.Chunk) error
}

func (c *collector) WriteChunk(_ context.Context, ch sdk.Chunk) error {
	if c.onChunk != nil {
		if err := c.onChunk(ch); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, ch.Records...)
	return nil
}

func document(n int) *bytes.Reader {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "k%d\n", i)
	}
	return bytes.NewReader(b.Bytes())
}

func configure(t *testing.T, h *pluginhost.Host, config string) {
	t.Helper()
	if err := h.Configure(context.Background(), "ggz", []byte(config)); err != nil {
		t.Fatalf("Configure(%s): %v", config, err)
	}
}

func decodeOK(t *testing.T, h *pluginhost.Host, n int, tag string) {
	t.Helper()
	var out collector
	if err := h.Decode(context.Background(), sdk.Document{ID: "d"}, document(n), &out); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(out.records) != n {
		t.Fatalf("records = %d, want %d", len(out.records), n)
	}
	want := fmt.Sprintf(`"tag":%q`, tag)
	if !bytes.Contains(out.records[0].JSON, []byte(want)) {
		t.Errorf("record %s lacks %s: configuration not applied", out.records[0].JSON, want)
	}
}

func TestHost(t *testing.T) {
	h := newHost(t, pluginhost.Spec{SHA256: binarySHA256(t)}, pluginhost.Config{})
	ctx := context.Background()
	if s := h.Status(); s.State != pluginhost.StateStopped {
		t.Errorf("State before use = %s, want stopped", s.State)
	}
	d, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "testadapter" {
		t.Errorf("Describe().Name = %q", d.Name)
	}
	t.Run("ConfigError", func(t *testing.T) {
		err := h.Configure(ctx, "ggz", []byte(`{"batch":-1}`))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Field != "/batch" {
			t.Fatalf("err = %v, want *sdk.ConfigError for /batch", err)
		}
	})
	configure(t, h, `{"tag":"a","batch":7}`)
	decodeOK(t, h, 100, "a")
	s := h.Status()
	if s.State != pluginhost.StateRunning || s.PID == 0 || s.Restarts != 0 || s.Crashes != 0 {
		t.Errorf("Status = %+v, want running without restarts", s)
	}
}

func TestHostRestartAfterKill(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag":"kill","batch":10,"slow":"20ms"}`)
	pid := 0
	out := collector{onChunk: func(sdk.Chunk) error {
		if pid == 0 {
			pid = h.Status().PID
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill %d: %v", pid, err)
			}
		}
		return nil
	}}
	err := h.Decode(context.Background(), sdk.Document{ID: "d"}, document(2000), &out)
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Decode with killed process: err = %v, want sdk.ErrUnavailable", err)
	}
	t.Logf("Decode error: %v", err)
	if s := h.Status(); s.State != pluginhost.StateCrashed || s.Crashes != 1 || s.LastError == "" {
		t.Errorf("Status after kill = %+v, want crashed with one crash", s)
	}

	decodeOK(t, h, 30, "kill")
	s := h.Status()
	if s.State != pluginhost.StateRunning || s.Restarts != 1 || s.PID == pid {
		t.Errorf("Status after restart = %+v, want running with a new process", s)
	}
}

func TestHostCrashInDecode(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag":"c","batch":5,"crash_after_chunks":2}`)
	var out collector
	err := h.Decode(context.Background(), sdk.Document{ID: "d"}, document(100), &out)
	if !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), "exit status 2") {
		t.Fatalf("err = %v, want sdk.ErrUnavailable naming exit status 2", err)
	}
	// The remembered configuration comes back after the restart; replace
	// it with a well-behaved one.
	configure(t, h, `{"tag":"ok","batch":5}`)
	decodeOK(t, h, 100, "ok")
}

func TestHostDisabledAfterCrashes(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{MaxCrashes: 3})
	configure(t, h, `{"tag":"d","batch":1,"crash_after_chunks":1}`)
	ctx := context.Background()
	for i := range 3 {
		err := h.Decode(ctx, sdk.Document{ID: "d"}, document(10), &collector{})
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Decode %d: err = %v, want sdk.ErrUnavailable", i, err)
		}
	}
	err := h.Decode(ctx, sdk.Document{ID: "d"}, document(10), &collector{})
	if !errors.Is(err, pluginhost.ErrDisabled) {
		t.Fatalf("Decode after 3 crashes: err = %v, want ErrDisabled", err)
	}
	s := h.Status()
	if s.State != pluginhost.StateDisabled || !strings.Contains(s.DisabledReason, "3 crashes") || s.DisabledCode != pluginhost.CodeCrashes {
		t.Errorf("Status = %+v, want disabled after 3 crashes", s)
	}
	if err := h.Configure(ctx, "ggz", []byte(`{}`)); !errors.Is(err, pluginhost.ErrDisabled) {
		t.Errorf("Configure while disabled: err = %v, want ErrDisabled", err)
	}

	h.Reset()
	if s := h.Status(); s.State == pluginhost.StateDisabled || s.Crashes != 0 {
		t.Errorf("Status after Reset = %+v", s)
	}
	configure(t, h, `{"tag":"back","batch":3}`)
	decodeOK(t, h, 10, "back")
}

func TestHostChecksum(t *testing.T) {
	wrong := strings.Repeat("ab", sha256.Size)
	h := newHost(t, pluginhost.Spec{SHA256: wrong}, pluginhost.Config{})
	err := h.Start(context.Background())
	if !errors.Is(err, pluginhost.ErrChecksumMismatch) || !strings.Contains(err.Error(), testBinary) {
		t.Fatalf("Start: err = %v, want ErrChecksumMismatch naming the binary", err)
	}
	t.Logf("Start error: %v", err)
	s := h.Status()
	if s.State != pluginhost.StateDisabled || !strings.Contains(s.DisabledReason, "sha256 mismatch") {
		t.Errorf("Status = %+v, want disabled for the checksum", s)
	}
	if s.DisabledCode != pluginhost.CodeChecksum {
		t.Errorf("DisabledCode = %q, want %s", s.DisabledCode, pluginhost.CodeChecksum)
	}
	if err := h.Start(context.Background()); !errors.Is(err, pluginhost.ErrDisabled) {
		t.Errorf("second Start: err = %v, want ErrDisabled", err)
	}
}

// TestHostChecksumAtRestart replaces the pinned binary on disk while its
// process runs, then kills the process: the restart verifies the sum again
// and disables the Host instead of running the other binary.
func TestHostChecksumAtRestart(t *testing.T) {
	orig, err := os.ReadFile(testBinary)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "adapter")
	if err := os.WriteFile(bin, orig, 0o700); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, pluginhost.Spec{Binary: bin, SHA256: binarySHA256(t)}, pluginhost.Config{})
	configure(t, h, `{"tag":"pinned","batch":10}`)
	decodeOK(t, h, 20, "pinned")
	pid := h.Status().PID

	// Replaced the way a deployment does it: a new file renamed over the old.
	tmp := bin + ".new"
	if err := os.WriteFile(tmp, append(orig, "tampered"...), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = h.Decode(context.Background(), sdk.Document{ID: "d"}, document(20), &collector{})
	for errors.Is(err, sdk.ErrUnavailable) { // the call that saw the process die
		err = h.Decode(context.Background(), sdk.Document{ID: "d"}, document(20), &collector{})
	}
	if !errors.Is(err, pluginhost.ErrChecksumMismatch) {
		t.Fatalf("Decode after the binary was replaced: err = %v, want ErrChecksumMismatch", err)
	}
	s := h.Status()
	if s.State != pluginhost.StateDisabled || s.DisabledCode != pluginhost.CodeChecksum || !strings.Contains(s.DisabledReason, bin) {
		t.Errorf("Status = %+v, want disabled for the checksum, naming the binary", s)
	}
	if err := h.Decode(context.Background(), sdk.Document{ID: "d"}, document(1), &collector{}); !errors.Is(err, pluginhost.ErrDisabled) {
		t.Errorf("Decode while disabled: err = %v, want ErrDisabled", err)
	}
}

// TestHostStartCancelled gives up on an adapter that never answers the
// handshake: Start returns with the context's error long before the start
// timeout, and that counts as no crash.
func TestHostStartCancelled(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hangs")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 60\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, pluginhost.Spec{Binary: bin}, pluginhost.Config{StartTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := h.Start(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start: err = %v, want the context's error", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("Start took %s after its context ended", took)
	}
	if s := h.Status(); s.Crashes != 0 || s.State == pluginhost.StateDisabled {
		t.Errorf("Status = %+v, want no crash counted", s)
	}
}

func TestHostClose(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pid := h.Status().PID
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Describe(context.Background()); !errors.Is(err, pluginhost.ErrClosed) {
		t.Errorf("Describe after Close: err = %v, want ErrClosed", err)
	}
	if s := h.Status(); s.State != pluginhost.StateClosed {
		t.Errorf("State = %s, want closed", s.State)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("process %d still runs after Close", pid)
	}
}

func TestHostConcurrent(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag":"p","batch":50}`)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var out collector
			if err := h.Decode(context.Background(), sdk.Document{ID: "d"}, document(500), &out); err != nil {
				errs <- err
				return
			}
			if len(out.records) != 500 {
				errs <- fmt.Errorf("records = %d, want 500", len(out.records))
			}
			_ = h.Status()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := h.Status(); s.Restarts != 0 {
		t.Errorf("Restarts = %d, want 0", s.Restarts)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		spec pluginhost.Spec
		cfg  pluginhost.Config
	}{
		{"ErrNoName", pluginhost.Spec{Binary: "x"}, pluginhost.Config{}},
		{"ErrNoBinary", pluginhost.Spec{Name: "x"}, pluginhost.Config{}},
		{"ErrBadSHA256", pluginhost.Spec{Name: "x", Binary: "x", SHA256: "xyz"}, pluginhost.Config{}},
		{"ErrShortSHA256", pluginhost.Spec{Name: "x", Binary: "x", SHA256: "abcd"}, pluginhost.Config{}},
		{"ErrBackoff", pluginhost.Spec{Name: "x", Binary: "x"}, pluginhost.Config{InitialBackoff: time.Minute, MaxBackoff: time.Second}},
		{"ErrNegative", pluginhost.Spec{Name: "x", Binary: "x"}, pluginhost.Config{MaxCrashes: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pluginhost.New(tt.spec, tt.cfg); err == nil {
				t.Error("New succeeded, want error")
			}
		})
	}
}

func TestVerifyChecksum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(path, []byte("adapter"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("adapter"))
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name   string
		path   string
		sha    string
		wantIs error
		ok     bool
	}{
		{name: "OK", path: path, sha: good, ok: true},
		{name: "OKUpperCase", path: path, sha: strings.ToUpper(good), ok: true},
		{name: "ErrChecksumMismatch", path: path, sha: strings.Repeat("0", 64), wantIs: pluginhost.ErrChecksumMismatch},
		{name: "ErrNotExist", path: path + ".missing", sha: good, wantIs: os.ErrNotExist},
		{name: "ErrInvalidHex", path: path, sha: "zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pluginhost.VerifyChecksum(tt.path, tt.sha)
			if tt.ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("err = %v, want an error naming %s", err, tt.path)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
		})
	}
}
