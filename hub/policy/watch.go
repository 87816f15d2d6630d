package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/reload"
)

// DefaultWatchInterval is how often Watch looks at roles.yaml when
// WatchOptions.Interval is zero.
const DefaultWatchInterval = 2 * time.Second

// WatchOptions configure Engine.Watch.
type WatchOptions struct {
	// Interval between two looks at the file; zero means DefaultWatchInterval.
	Interval time.Duration
	// Trigger, when not nil, asks for a look at once (the hub sends on it
	// for SIGHUP).
	Trigger <-chan struct{}
	// OnReload, when not nil, is called once for every new content of the
	// file the engine tried to put in force: with Err nil when it is in
	// force, or with the problems that kept the previous rules in force.
	OnReload func(ctx context.Context, r ReloadResult)
}

// ReloadResult is the outcome of one attempt to put a changed roles.yaml
// in force.
type ReloadResult struct {
	// File is the file as named to Watch.
	File string
	// Revision is the sha256 (hex) of the content tried, "" when the file
	// could not be read.
	Revision string
	// Previous is the revision in force before the attempt ("" for none).
	Previous string
	// Err is nil when Revision is now in force. Otherwise the previous rules
	// stay in force; Err holds the problems (config.Errors, positioned) or
	// why the file could not be read.
	Err error
}

// Watch looks at the file at path every interval (and whenever Trigger
// fires) and puts a changed content in force for every later decision, as
// Reload does: a file with problems is refused and the rules in force
// stay. It compares the content's sha256 with the revision in force, so a
// touch without a change does nothing and a refused content is tried once,
// not at every look. When the partners change (EngineOptions.PartnerIDs)
// the content is tried again against them. A file that cannot be read
// keeps the rules in force too. Watch returns when ctx ends.
func (e *Engine) Watch(ctx context.Context, path string, opts WatchOptions) {
	tried := ""
	if p := e.cur.Load(); p != nil {
		tried = watchKey(p.Revision, e.partners())
	}
	reload.Every(ctx, opts.Interval, DefaultWatchInterval, opts.Trigger, func() {
		tried = e.look(ctx, path, tried, opts.OnReload)
	})
}

// look reads the file once and tries a content it has not tried before
// with these partners. It returns what it tried last (see watchKey).
func (e *Engine) look(ctx context.Context, path, tried string, onReload func(context.Context, ReloadResult)) string {
	previous := ""
	cur := e.cur.Load()
	if cur != nil {
		previous = cur.Revision
	}
	data, err := os.ReadFile(path)
	if err != nil {
		const unreadable = "unreadable"
		if tried != unreadable {
			e.log.Error("roles file cannot be read; the roles in force stay", "file", path, "error", err.Error())
			if onReload != nil {
				onReload(ctx, ReloadResult{File: path, Previous: previous, Err: fmt.Errorf("read %s: %w", path, err)})
			}
		}
		return unreadable
	}
	sum := sha256.Sum256(data)
	rev := hex.EncodeToString(sum[:])
	partners := e.partners()
	key := watchKey(rev, partners)
	if key == tried || rev == previous && cur.parsedWith(partners) {
		return key
	}
	res := ReloadResult{File: path, Revision: rev, Previous: previous}
	p, err := Parse(path, data, LoadOptions{Partners: partners})
	if err != nil {
		res.Err = fmt.Errorf("reload %s: %w", path, err)
		e.log.Error("roles not reloaded; the previous roles stay in force", "file", path, "revision", rev, "problems", err.Error())
	} else {
		e.Swap(p)
		e.log.Info("roles reloaded", "file", path, "revision", rev, "previous", previous)
	}
	if onReload != nil {
		onReload(ctx, res)
	}
	return key
}

// watchKey names what look tried: a content with a set of partners.
func watchKey(revision string, partners []string) string {
	ids := slices.Clone(partners)
	slices.Sort(ids)
	return revision + " " + strings.Join(ids, ",")
}
