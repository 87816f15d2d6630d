package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

// reloader watches the partner files by polling their modification time,
// size and content hash, and hands each change to the partner set, for
// that partner alone: a new file starts a partner, a changed one is applied
// as a new revision (or refused), a removed one stops it. A change is
// applied once the file held still for one poll, so that a file being
// written is not read half. Touching the file of a partner that runs no
// revision or whose adapter is disabled starts it again.
type reloader struct {
	set      *partnerSet
	dir      string
	interval time.Duration
	log      *slog.Logger

	files map[string]*watchedFile // by partner id; only the poll goroutine uses it

	mu   sync.Mutex
	busy map[string]bool // partners being applied
	wg   sync.WaitGroup
}

// watchedFile is what the reloader remembers of one partner file.
type watchedFile struct {
	size    int64
	mtime   time.Time
	hash    string // of the bytes last read
	handed  string // the hash last handed to the partner set
	missing int    // polls in a row the file was not there
}

// newReloader watches the files of the partners loaded at start; their
// revisions count as handed over already.
func newReloader(set *partnerSet, cfg *config.Config, interval time.Duration, log *slog.Logger) *reloader {
	r := &reloader{set: set, dir: cfg.PartnersDir, interval: interval, log: log,
		files: map[string]*watchedFile{}, busy: map[string]bool{}}
	for _, p := range cfg.Partners {
		f := &watchedFile{hash: p.Revision, handed: p.Revision}
		if info, err := os.Stat(p.File); err == nil {
			f.size, f.mtime = info.Size(), info.ModTime()
		}
		// Changed since it was loaded: the next poll reads it again.
		if data, err := os.ReadFile(p.File); err == nil && config.RevisionOf(data) != p.Revision {
			f.mtime = time.Time{}
		}
		r.files[p.ID] = f
	}
	return r
}

// run polls until ctx ends, then waits for the changes being applied.
func (r *reloader) run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		r.poll(ctx)
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-t.C:
		}
	}
}

func (r *reloader) poll(ctx context.Context) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		r.log.Error("read partner files", "folder", r.dir, "error", err)
		return
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		id := strings.TrimSuffix(name, ".yaml")
		present[id] = true
		info, err := e.Info()
		if err != nil {
			continue
		}
		f := r.files[id]
		if f == nil {
			f = &watchedFile{}
			r.files[id] = f
		}
		f.missing = 0
		touched := !info.ModTime().Equal(f.mtime) || info.Size() != f.size
		if !touched && f.hash == f.handed {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil {
			continue // gone or unreadable for a moment; the next poll sees
		}
		f.size, f.mtime = info.Size(), info.ModTime()
		hash := config.RevisionOf(data)
		if hash != f.hash {
			f.hash = hash // changed since the last poll: wait until it holds still
			continue
		}
		if hash != f.handed || touched && r.set.unhealthy(id) {
			if r.dispatch(ctx, id, data) {
				f.handed = hash
			}
		}
	}
	for id, f := range r.files {
		if present[id] {
			continue
		}
		// Gone for two polls in a row: not an editor replacing the file.
		if f.missing++; f.missing >= 2 && r.dispatch(ctx, id, nil) {
			delete(r.files, id)
		}
	}
}

// dispatch applies a change of one partner in its own goroutine, so that a
// slow adapter start holds up no other partner. It returns false when that
// partner is still being applied; the next poll tries again.
func (r *reloader) dispatch(ctx context.Context, id string, data []byte) bool {
	r.mu.Lock()
	if r.busy[id] {
		r.mu.Unlock()
		return false
	}
	r.busy[id] = true
	r.mu.Unlock()
	r.wg.Go(func() {
		defer func() {
			r.mu.Lock()
			delete(r.busy, id)
			r.mu.Unlock()
		}()
		r.set.apply(ctx, id, data)
	})
	return true
}

// reload watches the partner files once the pipeline runs, until ctx ends.
func (n *node) reload(ctx context.Context) {
	select {
	case <-n.pipe.Running():
	case <-ctx.Done():
		return
	}
	newReloader(n.partners, n.cfg, n.cfg.Ingest.ScanInterval, n.log).run(ctx)
}
