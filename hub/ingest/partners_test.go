package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

// TestPartnersChangeWhileRunning adds, changes and removes partners while
// the watcher runs; the other partner's folder is taken throughout.
func TestPartnersChangeWhileRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), t.TempDir()
	subs := &submissions{}
	w := ingest.New(ingest.Config{Store: st, Submitter: subs, ScanInterval: 20 * time.Millisecond,
		Partners: []ingest.Partner{{ID: "a", Folder: a, StableAfter: time.Millisecond}}})
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })

	landed := func(partner string) int {
		docs, err := st.Documents(context.Background(), partner, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(docs)
	}
	write(t, filepath.Join(a, "1.csv"), "a1")
	eventually(t, "a's first file", func() bool { return landed("a") == 1 })

	t.Run("Add", func(t *testing.T) {
		w.SetPartner(ingest.Partner{ID: "b", Folder: b, StableAfter: time.Millisecond})
		write(t, filepath.Join(b, "1.csv"), "b1")
		eventually(t, "b's first file", func() bool { return landed("b") == 1 })
	})
	t.Run("Change", func(t *testing.T) {
		// From now on b's files wait for their .done marker.
		w.SetPartner(ingest.Partner{ID: "b", Folder: b, StableAfter: time.Millisecond, DoneMarker: true})
		write(t, filepath.Join(b, "2.csv"), "b2")
		write(t, filepath.Join(a, "2.csv"), "a2")
		eventually(t, "a's second file", func() bool { return landed("a") == 2 })
		time.Sleep(200 * time.Millisecond)
		if landed("b") != 1 {
			t.Fatal("b's file taken without its marker after the change")
		}
		write(t, filepath.Join(b, "2.csv.done"), "")
		eventually(t, "b's second file", func() bool { return landed("b") == 2 })
	})
	t.Run("Remove", func(t *testing.T) {
		w.RemovePartner("b")
		time.Sleep(100 * time.Millisecond) // the loop ends after its scan
		write(t, filepath.Join(b, "3.csv"), "b3")
		write(t, filepath.Join(b, "3.csv.done"), "")
		write(t, filepath.Join(a, "3.csv"), "a3")
		eventually(t, "a's third file", func() bool { return landed("a") == 3 })
		time.Sleep(200 * time.Millisecond)
		if landed("b") != 2 {
			t.Fatal("a removed partner's file was taken")
		}
		if _, err := os.Stat(filepath.Join(b, "3.csv")); err != nil {
			t.Fatalf("a removed partner's file left its folder: %v", err)
		}
	})
	t.Run("AddAgain", func(t *testing.T) {
		w.SetPartner(ingest.Partner{ID: "b", Folder: b, StableAfter: time.Millisecond, DoneMarker: true})
		eventually(t, "b's waiting file", func() bool { return landed("b") == 3 })
	})
}
