package policy_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/policy"
)

// TestWatch changes roles.yaml under a watching engine: a good change is
// put in force, a broken one is refused once (the rules in force stay), a
// touch without a change does nothing, and a trigger looks at once.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roles.yaml")
	good, err := os.ReadFile("testdata/roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Written the way configuration tools write: a new file renamed over
	// the old one, so that the watcher never reads half a file.
	write := func(data []byte) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(good)
	p, err := policy.Load(path, policy.LoadOptions{Partners: partners})
	if err != nil {
		t.Fatal(err)
	}
	e := policy.NewEngine(p, &fakeConsents{}, policy.EngineOptions{Partners: partners, Logger: slog.New(slog.DiscardHandler)})

	var mu sync.Mutex
	var results []policy.ReloadResult
	got := func() []policy.ReloadResult {
		mu.Lock()
		defer mu.Unlock()
		return append([]policy.ReloadResult(nil), results...)
	}
	waitFor := func(n int) []policy.ReloadResult {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if r := got(); len(r) >= n {
				return r
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("got %d reload results, want %d: %+v", len(got()), n, got())
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trigger := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Watch(ctx, path, policy.WatchOptions{Interval: 20 * time.Millisecond, Trigger: trigger,
			OnReload: func(_ context.Context, r policy.ReloadResult) {
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}})
	}()

	// Nothing changed: nothing happens.
	time.Sleep(100 * time.Millisecond)
	if r := got(); len(r) != 0 {
		t.Fatalf("reloads without a change: %+v", r)
	}

	changed := bytes.Replace(good, []byte("    operations: [read_audit]"), []byte("    operations: [read_audit, read_stats]"), 1)
	write(changed)
	r := waitFor(1)[0]
	if r.Err != nil || r.Previous != p.Revision || r.Revision == p.Revision || e.Policy().Revision != r.Revision {
		t.Fatalf("good change: %+v, in force %s", r, e.Policy().Revision)
	}

	broken := bytes.Replace(good, []byte("operations: [operate_hub]"), []byte("operations: [operate_hub, lookup]"), 1)
	write(broken)
	r = waitFor(2)[1]
	if r.Err == nil || e.Policy().Revision != r.Previous {
		t.Fatalf("broken change: %+v, in force %s", r, e.Policy().Revision)
	}
	// The same broken content again, touched: not tried again.
	write(broken)
	time.Sleep(100 * time.Millisecond)
	if n := len(got()); n != 2 {
		t.Fatalf("the refused content was tried again: %+v", got())
	}

	// Back to the original, looked at through the trigger.
	write(good)
	select {
	case trigger <- struct{}{}:
	case <-time.After(5 * time.Second):
		t.Fatal("trigger not taken")
	}
	r = waitFor(3)[2]
	if r.Err != nil || e.Policy().Revision != p.Revision {
		t.Fatalf("revert: %+v", r)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return when its context ended")
	}
}

// TestWatchNewPartner: a roles.yaml that names a partner the hub does not
// have yet is refused, and put in force without a change of its own once
// the partner is added (EngineOptions.PartnerIDs).
func TestWatchNewPartner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yaml")
	good, err := os.ReadFile("testdata/roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(path, policy.LoadOptions{Partners: partners})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ids := slices.Clone(partners)
	e := policy.NewEngine(p, &fakeConsents{}, policy.EngineOptions{Logger: slog.New(slog.DiscardHandler),
		PartnerIDs: func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(ids) }})
	results := make(chan policy.ReloadResult, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Watch(ctx, path, policy.WatchOptions{Interval: 10 * time.Millisecond,
		OnReload: func(_ context.Context, r policy.ReloadResult) { results <- r }})
	next := func() policy.ReloadResult {
		t.Helper()
		select {
		case r := <-results:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no reload")
		}
		return policy.ReloadResult{}
	}

	withNew := bytes.Replace(good, []byte("\npartners:\n"), []byte("\npartners:\n  wijkteam-noord: ketenpartner-systeem\n"), 1)
	if err := os.WriteFile(path+".tmp", withNew, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil { // never half a file
		t.Fatal(err)
	}
	if r := next(); r.Err == nil || !strings.Contains(r.Err.Error(), "wijkteam-noord") {
		t.Fatalf("roles naming an unknown partner: %+v", r)
	}
	mu.Lock()
	ids = append(ids, "wijkteam-noord")
	mu.Unlock()
	r := next()
	if r.Err != nil || e.Policy().Partners["wijkteam-noord"] != "ketenpartner-systeem" {
		t.Fatalf("after the partner was added: %+v", r)
	}
	// Nothing changes any more: nothing is tried again.
	select {
	case r := <-results:
		t.Errorf("tried again without a change: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}
