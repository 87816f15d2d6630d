// Package ingest watches each partner's drop folder and lands stable files
// in the store: a file is taken only once it stopped changing (or its .done
// marker exists), claimed with an atomic rename, and its bytes stored in
// PostgreSQL before anything else happens to it.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/internal/loops"
	"github.com/ketenhub/ketenhub/hub/metrics"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Folder names inside a drop folder. The hub owns them; partners write only
// files at the top.
const (
	ProcessingDir = ".processing" // claimed files while they are being landed
	RejectedDir   = ".rejected"   // files the hub refused to land (too large)
	ReceiptsDir   = "receipts"    // receipts for the partner
	DoneSuffix    = ".done"       // marker: <file>.done says <file> is complete
)

// Partner is one partner's drop folder.
type Partner struct {
	ID          string
	Folder      string
	StableAfter time.Duration
	DoneMarker  bool
}

// Submitter hands a landed document to the pipeline inside the landing
// transaction.
type Submitter interface {
	Submit(ctx context.Context, tx pgx.Tx, partner, documentID string) error
}

// Config configures a Watcher.
type Config struct {
	Store        *store.Store
	Submitter    Submitter
	Partners     []Partner
	ScanInterval time.Duration
	MaxBytes     int64
	Logger       *slog.Logger
	// Metrics counts landed, duplicate and refused files; nil counts nothing.
	Metrics *metrics.Metrics
}

// Watcher scans the drop folders. Each partner has its own loop, so one
// partner's large file never holds up another. Partners can be added,
// changed and removed while it runs (SetPartner, RemovePartner).
type Watcher struct {
	cfg   Config
	log   *slog.Logger
	loops *loops.Set[Partner] // one loop per partner
}

// loop is the scanning of one partner's drop folder.
type loop struct {
	p    Partner
	stop <-chan struct{} // closed to end the loop after the file in hand
}

// New returns a Watcher for cfg.Partners.
func New(cfg Config) *Watcher {
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Watcher{cfg: cfg, log: cfg.Logger}
	w.loops = loops.New(func(ctx context.Context, stop <-chan struct{}, _ string, p Partner) {
		w.watch(ctx, &loop{p: p, stop: stop})
	})
	for _, p := range cfg.Partners {
		w.loops.Set(p.ID, p)
	}
	return w
}

// Run scans until ctx ends, then waits for every partner's loop to end.
func (w *Watcher) Run(ctx context.Context) error {
	w.loops.Run(ctx)
	return nil
}

// SetPartner starts watching a partner's drop folder, or applies changed
// settings: the partner's loop ends after the file it is landing and a loop
// with the new settings takes over. Unchanged settings change nothing.
// Other partners' loops are not touched. It is safe to call at any time,
// also before Run.
func (w *Watcher) SetPartner(p Partner) { w.loops.Set(p.ID, p) }

// RemovePartner stops watching a partner's drop folder once the file in
// hand is landed. Files left in the folder stay there.
func (w *Watcher) RemovePartner(id string) { w.loops.Remove(id) }

// stopped tells whether the loop should end.
func (l *loop) stopped(ctx context.Context) bool {
	select {
	case <-l.stop:
		return true
	default:
		return ctx.Err() != nil
	}
}

// seen is what a scan remembers of a file to judge whether it is stable.
type seen struct {
	size    int64
	modTime time.Time
	since   time.Time
}

func (w *Watcher) watch(ctx context.Context, l *loop) {
	p := l.p
	log := w.log.With("partner", p.ID)
	files := map[string]seen{}
	missing := false
	// Files claimed before a crash are landed first; landing is idempotent.
	w.recoverClaimed(ctx, l, log)
	t := time.NewTicker(w.cfg.ScanInterval)
	defer t.Stop()
	for {
		if err := w.scan(ctx, l, files, log); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if !missing {
					log.Warn("drop folder is missing; recreating it", "folder", p.Folder)
					missing = true
				}
				if mkErr := os.MkdirAll(p.Folder, 0o750); mkErr != nil {
					log.Error("cannot recreate drop folder", "folder", p.Folder, "error", mkErr)
				}
			} else if ctx.Err() == nil {
				log.Error("scan drop folder", "error", err)
			}
		} else {
			missing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-l.stop:
			return
		case <-t.C:
		}
	}
}

func (w *Watcher) scan(ctx context.Context, l *loop, files map[string]seen, log *slog.Logger) error {
	p := l.p
	entries, err := os.ReadDir(p.Folder)
	if err != nil {
		return err
	}
	now := time.Now()
	present := map[string]bool{}
	// Oldest first, so that a partner's files are taken in the order they
	// were delivered (ReadDir sorts by name).
	modTimes := make(map[string]time.Time, len(entries))
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			modTimes[e.Name()] = info.ModTime()
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return modTimes[entries[i].Name()].Before(modTimes[entries[j].Name()]) })
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, DoneSuffix) || strings.HasSuffix(name, ".tmp") {
			continue
		}
		present[name] = true
		info, err := e.Info()
		if err != nil {
			continue // gone between ReadDir and Info
		}
		if p.DoneMarker {
			if _, err := os.Stat(filepath.Join(p.Folder, name+DoneSuffix)); err != nil {
				continue
			}
		} else {
			prev, ok := files[name]
			if !ok || prev.size != info.Size() || !prev.modTime.Equal(info.ModTime()) {
				files[name] = seen{size: info.Size(), modTime: info.ModTime(), since: now}
				continue
			}
			if now.Sub(prev.since) < p.StableAfter {
				continue
			}
		}
		delete(files, name)
		if l.stopped(ctx) {
			return nil
		}
		w.take(ctx, p, name, log)
	}
	for name := range files {
		if !present[name] {
			delete(files, name)
		}
	}
	return nil
}

// take claims a stable file with an atomic rename and lands it.
func (w *Watcher) take(ctx context.Context, p Partner, name string, log *slog.Logger) {
	procDir := filepath.Join(p.Folder, ProcessingDir)
	if err := os.MkdirAll(procDir, 0o750); err != nil {
		log.Error("create processing folder", "error", err)
		return
	}
	claimed := filepath.Join(procDir, store.NewID()+"_"+name)
	if err := os.Rename(filepath.Join(p.Folder, name), claimed); err != nil {
		log.Warn("claim dropped file", "error", err)
		return
	}
	_ = os.Remove(filepath.Join(p.Folder, name+DoneSuffix))
	w.land(ctx, p, claimed, name, log)
}

// recoverClaimed lands files that were claimed but not landed before a crash.
func (w *Watcher) recoverClaimed(ctx context.Context, l *loop, log *slog.Logger) {
	p := l.p
	procDir := filepath.Join(p.Folder, ProcessingDir)
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		original := name
		if i := strings.IndexByte(name, '_'); i > 0 {
			original = name[i+1:]
		}
		log.Info("landing a file claimed before a restart", "file", hub.SafeFileName(original))
		w.land(ctx, p, filepath.Join(procDir, name), original, log)
	}
}

func (w *Watcher) land(ctx context.Context, p Partner, path, original string, log *slog.Logger) {
	f, err := os.Open(path)
	if err != nil {
		log.Error("open claimed file", "error", err)
		return
	}
	doc, dup, err := w.cfg.Store.Land(ctx, store.Landing{
		Partner: p.ID, OriginalName: original, Source: "drop", MaxBytes: w.cfg.MaxBytes,
		OnLanded: func(ctx context.Context, tx pgx.Tx, id string) error {
			return w.cfg.Submitter.Submit(ctx, tx, p.ID, id)
		},
	}, f)
	f.Close()
	switch {
	case hub.ErrorCode(err) == hub.ETOOLARGE:
		w.reject(p, path, original, err, log)
		return
	case err != nil:
		// The file stays claimed; it is landed again at the next start.
		log.Error("land dropped file", "error", err)
		return
	}
	if dup {
		w.cfg.Metrics.Document(p.ID, "duplicate")
		log.Info("dropped file was delivered before; not ingested again", "document", doc.ID)
		w.writeNotice(p, original, doc.ID, notice{Status: "duplicate", DuplicateOf: doc.ID, SHA256: doc.SHA256,
			Message: "dit bestand is eerder aangeleverd (zelfde inhoud) en is niet opnieuw verwerkt; zie de kwitantie van document " + doc.ID}, log)
	} else {
		w.cfg.Metrics.Document(p.ID, "landed")
		log.Info("document landed", "document", doc.ID, "bytes", doc.Size)
	}
	if err := os.Remove(path); err != nil {
		log.Error("remove landed file", "error", err)
	}
}

func (w *Watcher) reject(p Partner, path, original string, cause error, log *slog.Logger) {
	dir := filepath.Join(p.Folder, RejectedDir)
	if err := os.MkdirAll(dir, 0o750); err == nil {
		if err := os.Rename(path, filepath.Join(dir, filepath.Base(path))); err != nil {
			log.Error("move rejected file", "error", err)
		}
	}
	w.cfg.Metrics.Document(p.ID, "rejected")
	log.Warn("dropped file refused", "reason", hub.ErrorCode(cause))
	w.writeNotice(p, original, store.NewID(), notice{Status: "rejected", Code: "DOC_TOO_LARGE", Message: hub.ErrorMessage(cause)}, log)
}

// notice is the receipt of a file that was not processed.
type notice struct {
	File        string    `json:"file"`
	Status      string    `json:"status"`
	Code        string    `json:"code,omitempty"`
	DuplicateOf string    `json:"duplicate_of,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	Message     string    `json:"message"`
	At          time.Time `json:"at"`
}

func (w *Watcher) writeNotice(p Partner, original, id string, n notice, log *slog.Logger) {
	n.File, n.At = original, time.Now().UTC().Truncate(time.Millisecond)
	dir := filepath.Join(p.Folder, ReceiptsDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		log.Error("create receipt folder", "error", err)
		return
	}
	b, _ := json.MarshalIndent(n, "", "  ")
	name := fmt.Sprintf("%s.%s.%s.json", hub.SafeFileName(original), id, n.Status)
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
		if err != nil {
			log.Error("write notice", "error", err)
		}
	}
}
