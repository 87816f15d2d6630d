package pgmanaged

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// initCluster creates a cluster in dir with initdb. initdb runs in a staging
// folder next to dir that is renamed to dir when complete, so dir never holds
// a half-made cluster or one without its password file.
func initCluster(ctx context.Context, bins binaries, dir string, a *account, ephemeral bool, log *slog.Logger) error {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	leftovers, _ := filepath.Glob(filepath.Join(parent, "."+base+".initdb-*"))
	for _, p := range leftovers {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove leftover of an interrupted initdb: %w", err)
		}
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("data folder %s is not empty and holds no PostgreSQL cluster (no PG_VERSION); empty it or choose another folder", dir)
	}

	password, err := newPassword()
	if err != nil {
		return err
	}
	staging, err := os.MkdirTemp(parent, "."+base+".initdb-")
	if err != nil {
		return fmt.Errorf("create initdb folder: %w", err)
	}
	defer func() { _ = os.RemoveAll(staging) }()
	if err := a.chown(staging); err != nil {
		return err
	}
	pwFile, err := os.CreateTemp(parent, "."+base+".initdb-pw-")
	if err != nil {
		return fmt.Errorf("create password file for initdb: %w", err)
	}
	defer func() { _ = os.Remove(pwFile.Name()) }()
	_, err = pwFile.WriteString(password + "\n")
	if cerr := pwFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write password file for initdb: %w", err)
	}
	if err := a.chown(pwFile.Name()); err != nil {
		return err
	}

	args := []string{
		"-D", staging,
		"--username=" + Superuser,
		"--pwfile=" + pwFile.Name(),
		"--encoding=UTF8",
		"--locale=C",
		"--auth=scram-sha-256",
		"--data-checksums",
		"--no-instructions",
	}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bins.dir, "initdb"), args...)
	cmd.Dir = parent
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: a.credential()}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	log.Info("managed postgresql: creating cluster", "dir", dir, "user", a.name(), "version", bins.major)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, strings.TrimSpace(out.String()))
	}

	if err := appendInclude(filepath.Join(staging, "postgresql.conf")); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(staging, PasswordFile), []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write superuser password: %w", err)
	}
	// syscall.Rename, unlike os.Rename, replaces an empty folder at dir.
	if err := syscall.Rename(staging, dir); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	if d, err := os.Open(parent); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// newPassword returns a random password that needs no escaping in a URL.
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// includeLine makes postgresql.conf read ConfFile; ALTER SYSTEM settings in
// postgresql.auto.conf still win because that file is read last.
const includeLine = "include_if_exists = '" + ConfFile + "'"

// appendInclude adds includeLine to the postgresql.conf at path once.
func appendInclude(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read postgresql.conf: %w", err)
	}
	if bytes.Contains(b, []byte(includeLine)) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	_, err = f.WriteString("\n# Settings managed by ketenhub.\n" + includeLine + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	return nil
}

// settings returns the content of ConfFile. listen_addresses, port and
// unix_socket_directories are given on the command line.
func settings(ephemeral bool) string {
	durable := `fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 256MB
`
	if ephemeral {
		durable = `fsync = off
synchronous_commit = on
full_page_writes = off
shared_buffers = 128MB
`
	}
	return `# Written by ketenhub at every start of the managed server: edits here are lost.
# Override a setting with ALTER SYSTEM (postgresql.auto.conf) instead.
` + durable + `max_connections = 100
effective_cache_size = 1GB
maintenance_work_mem = 128MB
work_mem = 8MB
max_wal_size = 1GB
password_encryption = 'scram-sha-256'
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql-%a.log'
log_rotation_age = 1d
log_rotation_size = 0
log_truncate_on_rotation = on
log_line_prefix = '%m [%p] %q%u@%d '
`
}

// writeConf writes ConfFile into dir and makes sure postgresql.conf
// includes it.
func writeConf(dir string, a *account, ephemeral bool) error {
	if err := appendInclude(filepath.Join(dir, "postgresql.conf")); err != nil {
		return err
	}
	tmp := filepath.Join(dir, ConfFile+".tmp")
	if err := writeFileSync(tmp, []byte(settings(ephemeral)), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", ConfFile, err)
	}
	if err := a.chown(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ConfFile)); err != nil {
		return fmt.Errorf("write %s: %w", ConfFile, err)
	}
	return nil
}

func writeFileSync(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockDir takes the hub's lock on the cluster folder: an exclusive flock on
// a file in it, held until Stop. The kernel drops it when the hub dies, so a
// free lock means no live hub manages this cluster.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrDataDirInUse
		}
		return nil, fmt.Errorf("lock data folder: %w", err)
	}
	return f, nil
}
