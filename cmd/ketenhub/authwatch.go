package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/reload"
)

// authWatchInterval is how often the hub looks at auth.yaml.
var authWatchInterval = policy.DefaultWatchInterval

// authFile is one reading of auth.yaml.
type authFile struct {
	cfg *auth.Config // nil when the file cannot be read or has problems
	// revision is the sha256 (hex) of auth.yaml; "" when it cannot be read.
	revision string
	// key is what a reload compares: the revision, the contents of the
	// files it names (client CA, public keys) and the partners it was read
	// against.
	key string
	err error // the file's problems (config.Errors) or why it cannot be read
}

// readAuthFile reads and checks auth.yaml at path for the given partners.
func readAuthFile(path string, partners []string) authFile {
	data, err := os.ReadFile(path)
	if err != nil {
		_, problems := auth.LoadConfig(path) // the same problem, in the configuration's words
		return authFile{key: "unreadable", err: cmp.Or(problems, err)}
	}
	f := authFile{revision: config.RevisionOf(data)}
	h := sha256.New()
	h.Write([]byte(f.revision))
	f.cfg, f.err = auth.ParseConfig(path, data)
	if f.cfg != nil {
		for _, name := range f.cfg.Files() {
			b, _ := os.ReadFile(name) // New reports a file it cannot read
			sum := sha256.Sum256(b)
			h.Write(sum[:])
		}
	}
	ids := slices.Sorted(slices.Values(partners))
	h.Write([]byte(strings.Join(ids, ",")))
	f.key = hex.EncodeToString(h.Sum(nil))
	return f
}

// partnerIDs returns the ids of the partners that have a partner file: the
// ones loaded at start until the partner set runs, then the set's, which
// follow the files while the hub runs.
func (n *node) partnerIDs() []string {
	if n.partners == nil {
		ids := make([]string, 0, len(n.cfg.Partners))
		for _, p := range n.cfg.Partners {
			ids = append(ids, p.ID)
		}
		return ids
	}
	return n.partners.ids()
}

// knownPartner reports whether partner id has a partner file.
func (n *node) knownPartner(id string) bool {
	if n.partners == nil {
		return slices.ContainsFunc(n.cfg.Partners, func(p config.Partner) bool { return p.ID == id })
	}
	return n.partners.has(id)
}

// ids returns the ids of the partners with a file, sorted.
func (s *partnerSet) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.parts))
	for id := range s.parts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// has reports whether partner id has a file.
func (s *partnerSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.parts[id]
	return ok
}

// watchAuth puts a changed auth.yaml in force while the hub runs, as
// watchRoles does for roles.yaml: looked at every few seconds and at
// SIGHUP, and again when partners are added or removed or a file it names
// (client CA, public keys) changes. A file with problems is refused as a
// whole (logged with file:line:col, the configuration in force stays); a
// good one is put in force at once for every later request. Every attempt
// is logged in the audit trail (config_change reload).
func (n *node) watchAuth(ctx context.Context, tried authFile) {
	inForce := tried.revision
	reload.Every(ctx, authWatchInterval, policy.DefaultWatchInterval, hupTrigger(ctx), func() {
		f := readAuthFile(n.cfg.AuthFile, n.partnerIDs())
		if f.key == tried.key {
			return
		}
		tried = f
		err := f.err
		if err == nil {
			err = n.auth.Reload(*f.cfg)
		}
		if err != nil {
			n.log.Error("auth.yaml not reloaded; the authentication in force stays", "file", n.cfg.AuthFile,
				"revision", f.revision, "problems", err.Error())
		} else {
			n.log.Info("auth.yaml reloaded", "file", n.cfg.AuthFile, "revision", f.revision, "previous", inForce)
		}
		n.auditReload(ctx, "auth watcher", n.cfg.AuthFile, f.revision, inForce, err)
		if err == nil {
			inForce = f.revision
		}
	})
}

// auditReload logs in the audit trail one attempt to put a changed
// configuration file that governs access in force while the hub runs:
// config_change reload with the file's name, the revision tried and the one
// in force before; a refused file with its number of problems.
func (n *node) auditReload(ctx context.Context, source, file, revision, previous string, problems error) {
	_ = n.auditConfig(ctx, "reload", source, file, revision, previous, problems)
}

// auditConfig logs a configuration_change event (action load or reload) for
// file; revision and previous are left out when empty. Its error is logged
// and returned.
func (n *node) auditConfig(ctx context.Context, action, source, file, revision, previous string, problems error) error {
	d := map[string]any{"file": filepath.Base(file)}
	if revision != "" {
		d["revision"] = revision
	}
	if previous != "" {
		d["previous"] = previous
	}
	ev := audit.Event{Type: audit.TypeConfigChange, Action: action, User: "hub", Source: source, Outcome: audit.OutcomeSuccess}
	if problems != nil {
		ev.Outcome = audit.OutcomeFailure
		var ce config.Errors
		if errors.As(problems, &ce) {
			d["problems"] = len(ce)
		}
	}
	ev.Detail, _ = json.Marshal(d)
	err := n.audit.Record(ctx, ev)
	if err != nil {
		n.log.Error("audit of a configuration "+action+" failed", "file", file, "error", err)
	}
	return err
}

// hupTrigger returns a channel that receives once for every SIGHUP until
// ctx ends.
func hupTrigger(ctx context.Context) <-chan struct{} {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	trigger := make(chan struct{})
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case trigger <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return trigger
}
