package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// submissions records what the watcher hands to the pipeline.
type submissions struct {
	mu   sync.Mutex
	docs []string
}

func (s *submissions) Submit(_ context.Context, _ pgx.Tx, partner, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs = append(s.docs, partner+"/"+id)
	return nil
}

func (s *submissions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.docs)
}

func startWatcher(t *testing.T, p ingest.Partner, maxBytes int64) (*submissions, *store.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	subs := &submissions{}
	w := ingest.New(ingest.Config{Store: st, Submitter: subs, Partners: []ingest.Partner{p}, ScanInterval: 20 * time.Millisecond, MaxBytes: maxBytes})
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return subs, st
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestStableFileIsLandedOnce(t *testing.T) {
	dir := t.TempDir()
	subs, st := startWatcher(t, ingest.Partner{ID: "p", Folder: dir, StableAfter: 200 * time.Millisecond}, 0)
	write(t, filepath.Join(dir, ".export.csv.part"), "hidden")
	write(t, filepath.Join(dir, "export.csv.tmp"), "temporary")
	f, err := os.Create(filepath.Join(dir, "export.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// A file that keeps growing is not taken.
	for i := 0; i < 10; i++ {
		f.WriteString("line\n")
		time.Sleep(40 * time.Millisecond)
		if subs.count() != 0 {
			t.Fatal("file taken while it was still being written")
		}
	}
	f.Close()
	eventually(t, "landing", func() bool { return subs.count() == 1 })
	if _, err := os.Stat(filepath.Join(dir, "export.csv")); !os.IsNotExist(err) {
		t.Fatalf("landed file still in the drop folder: %v", err)
	}
	docs, err := st.Documents(context.Background(), "p", 10)
	if err != nil || len(docs) != 1 || docs[0].Size != 50 || docs[0].OriginalName != "export.csv" {
		t.Fatalf("documents %+v %v", docs, err)
	}
	// Hidden and temporary files stay untouched.
	for _, name := range []string{".export.csv.part", "export.csv.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The same content again: a duplicate notice, no new document.
	write(t, filepath.Join(dir, "again.csv"), "line\nline\nline\nline\nline\nline\nline\nline\nline\nline\n")
	eventually(t, "duplicate notice", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ingest.ReceiptsDir, "again.csv.*.duplicate.json"))
		return len(m) == 1
	})
	if subs.count() != 1 {
		t.Fatalf("duplicate submitted: %d submissions", subs.count())
	}
}

func TestDoneMarker(t *testing.T) {
	dir := t.TempDir()
	subs, _ := startWatcher(t, ingest.Partner{ID: "p", Folder: dir, StableAfter: time.Millisecond, DoneMarker: true}, 0)
	write(t, filepath.Join(dir, "a.csv"), "x")
	time.Sleep(300 * time.Millisecond)
	if subs.count() != 0 {
		t.Fatal("taken without marker")
	}
	write(t, filepath.Join(dir, "a.csv.done"), "")
	eventually(t, "landing", func() bool { return subs.count() == 1 })
	eventually(t, "marker removed", func() bool {
		_, err := os.Stat(filepath.Join(dir, "a.csv.done"))
		return os.IsNotExist(err)
	})
}

func TestTooLargeIsRejected(t *testing.T) {
	dir := t.TempDir()
	subs, st := startWatcher(t, ingest.Partner{ID: "p", Folder: dir, StableAfter: time.Millisecond}, 10)
	write(t, filepath.Join(dir, "big.csv"), "01234567890123456789")
	eventually(t, "rejection notice", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ingest.ReceiptsDir, "big.csv.*.rejected.json"))
		return len(m) == 1
	})
	m, _ := filepath.Glob(filepath.Join(dir, ingest.RejectedDir, "*big.csv"))
	if len(m) != 1 {
		t.Fatalf("rejected file not kept in %s: %v", ingest.RejectedDir, m)
	}
	if docs, _ := st.Documents(context.Background(), "p", 10); len(docs) != 0 || subs.count() != 0 {
		t.Fatalf("a refused file was landed: %d documents", len(docs))
	}
}

func TestClaimedFileIsLandedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	proc := filepath.Join(dir, ingest.ProcessingDir)
	if err := os.MkdirAll(proc, 0o750); err != nil {
		t.Fatal(err)
	}
	// As a crash between the claim and the landing leaves it.
	write(t, filepath.Join(proc, store.NewID()+"_left.csv"), "left over")
	subs, st := startWatcher(t, ingest.Partner{ID: "p", Folder: dir, StableAfter: time.Millisecond}, 0)
	eventually(t, "landing", func() bool { return subs.count() == 1 })
	docs, _ := st.Documents(context.Background(), "p", 10)
	if len(docs) != 1 || docs[0].OriginalName != "left.csv" {
		t.Fatalf("documents %+v", docs)
	}
	if entries, _ := os.ReadDir(proc); len(entries) != 0 {
		t.Fatalf("claimed file not removed after landing: %v", entries)
	}
}

func TestMissingFolderIsRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	subs, _ := startWatcher(t, ingest.Partner{ID: "p", Folder: dir, StableAfter: time.Millisecond}, 0)
	eventually(t, "folder", func() bool { _, err := os.Stat(dir); return err == nil })
	write(t, filepath.Join(dir, "a.csv"), "x")
	eventually(t, "landing", func() bool { return subs.count() == 1 })
}
