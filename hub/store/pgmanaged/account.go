package pgmanaged

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// account is the unprivileged user the server runs as when the hub runs as
// root. A nil *account means: run as the hub's own user.
type account struct {
	user   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups, including gid
}

// serverUsers are the users tried, in order, when the hub runs as root.
var serverUsers = []string{"postgres", "nobody"}

// serverAccount returns the account to run the server as: nil when the hub
// is not root, else the first of serverUsers that exists.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range serverUsers {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		a, err := newAccount(u)
		if err != nil {
			return nil, err
		}
		if a.uid == 0 {
			continue
		}
		return a, nil
	}
	return nil, fmt.Errorf("running as root, and none of the users %v exists to run PostgreSQL as (PostgreSQL refuses to run as root); install PostgreSQL with `apt-get install -y postgresql`, which creates the user postgres", serverUsers)
}

func newAccount(u *user.User) (*account, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", u.Username, u.Gid, err)
	}
	a := &account{user: u.Username, uid: uint32(uid), gid: uint32(gid), groups: []uint32{uint32(gid)}}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("user %s: look up groups: %w", u.Username, err)
	}
	for _, id := range ids {
		g, err := strconv.ParseUint(id, 10, 32)
		if err == nil && !slices.Contains(a.groups, uint32(g)) {
			a.groups = append(a.groups, uint32(g))
		}
	}
	return a, nil
}

// name is the user name for logs.
func (a *account) name() string {
	if a == nil {
		if u, err := user.Current(); err == nil {
			return u.Username
		}
		return strconv.Itoa(os.Geteuid())
	}
	return a.user
}

// credential returns the credential for exec.Cmd; nil keeps the hub's.
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
}

// chown gives path (not what is below it) to the account.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	if err := os.Lchown(path, int(a.uid), int(a.gid)); err != nil {
		return fmt.Errorf("give %s to user %s: %w", path, a.user, err)
	}
	return nil
}

// own gives the folder dir and everything below it to the account, when dir
// itself is not already the account's.
func (a *account) own(dir string, log *slog.Logger) error {
	if a == nil {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("stat cluster folder: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == a.uid {
		return nil
	}
	log.Info("managed postgresql: giving cluster folder to the server user", "dir", dir, "user", a.user)
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == filepath.Join(dir, PasswordFile) {
			return nil // stays the hub's: the server needs no copy
		}
		return a.chown(path)
	})
	if err != nil {
		return fmt.Errorf("give cluster folder to user %s: %w", a.user, err)
	}
	return nil
}

// canSearch reports whether the account may traverse the existing folder
// dir, judged by its mode bits (ACLs are not consulted, so a folder that an
// ACL opens counts as closed, which only leads to the fallback).
func (a *account) canSearch(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false, fmt.Errorf("stat %s: no owner information", dir)
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0, nil
	case slices.Contains(a.groups, st.Gid):
		return perm&0o010 != 0, nil
	default:
		return perm&0o001 != 0, nil
	}
}

// blockedAncestor returns the first existing folder from / down to the
// parent of path that the account cannot traverse, or "" when there is none.
// Folders that do not exist yet are created later with mode 0711.
func (a *account) blockedAncestor(path string) (string, error) {
	var chain []string
	for p := filepath.Dir(path); ; p = filepath.Dir(p) {
		chain = append(chain, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		ok, err := a.canSearch(chain[i])
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if !ok {
			return chain[i], nil
		}
	}
	return "", nil
}

// resolveClusterDir returns the cluster folder to use for dataDir, with
// symlinks resolved, and makes sure its parent exists. As root, when the
// server user cannot reach dataDir, the cluster goes to
// fallbackDir/pg-<hash of dataDir> and dataDir, when missing, becomes a
// symlink to it so that an operator finds the data.
func resolveClusterDir(dataDir, fallbackDir string, a *account, log *slog.Logger) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("data folder %s: %w", dataDir, err)
	}
	dir := abs
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		dir = real
	} else if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("data folder %s is a symlink to a folder that does not exist: %w", abs, err)
	}
	parentMode := os.FileMode(0o700)
	if a != nil {
		parentMode = 0o711 // traversable by the server user, not listable
	}
	if a == nil {
		return dir, mkdirAll(filepath.Dir(dir), parentMode)
	}
	blocked, err := a.blockedAncestor(dir)
	if err != nil {
		return "", fmt.Errorf("check access of user %s to %s: %w", a.user, dir, err)
	}
	if blocked == "" {
		return dir, mkdirAll(filepath.Dir(dir), parentMode)
	}
	if clusterMajor(dir) != "" {
		return "", fmt.Errorf("the cluster in %s cannot be reached by user %s, who runs PostgreSQL, because %s is not searchable for it; move the cluster or make the folders above it searchable (chmod o+x)", dir, a.user, blocked)
	}
	if err := mkdirAll(fallbackDir, 0o711); err != nil {
		return "", err
	}
	fb, err := filepath.EvalSymlinks(fallbackDir)
	if err != nil {
		return "", fmt.Errorf("fallback folder %s: %w", fallbackDir, err)
	}
	if b, err := a.blockedAncestor(filepath.Join(fb, "x")); err != nil || b != "" {
		return "", fmt.Errorf("user %s, who runs PostgreSQL, can reach neither %s (blocked at %s) nor the fallback folder %s (blocked at %q, %v)", a.user, dir, blocked, fb, b, err)
	}
	sum := sha256.Sum256([]byte(abs))
	cluster := filepath.Join(fb, "pg-"+hex.EncodeToString(sum[:])[:12])
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		if err := mkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return "", err
		}
		if err := mkdirAll(cluster, 0o700); err != nil {
			return "", err
		}
		if err := os.Symlink(cluster, abs); err != nil {
			return "", fmt.Errorf("link data folder to fallback: %w", err)
		}
	}
	log.Warn("managed postgresql: the server user cannot reach the data folder, using the fallback folder",
		"data_dir", abs, "blocked_at", blocked, "user", a.user, "cluster", cluster)
	return cluster, nil
}

func mkdirAll(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	return nil
}
