package pgmanaged

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// handleStalePID deals with a postmaster.pid in dir before the server
// starts, with the hub's lock held (see Start for the policy).
func handleStalePID(ctx context.Context, dir string, log *slog.Logger) error {
	path := filepath.Join(dir, "postmaster.pid")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		log.Info("managed postgresql: unreadable postmaster.pid, leaving it to PostgreSQL", "path", path)
		return nil
	}
	if !processAlive(pid) {
		log.Info("managed postgresql: postmaster.pid of a server that is gone; PostgreSQL recovers", "pid", pid)
		return nil
	}
	isPostmaster, known := postmasterOf(pid, dir)
	switch {
	case !known:
		log.Info("managed postgresql: postmaster.pid names a live process that cannot be inspected; leaving it to PostgreSQL", "pid", pid)
		return nil
	case !isPostmaster:
		log.Warn("managed postgresql: postmaster.pid names a live process that is not this cluster's server (pid reused); removing the stale file", "pid", pid)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale postmaster.pid: %w", err)
		}
		return nil
	}
	log.Warn("managed postgresql: stopping the server left running by a previous hub", "pid", pid, "dir", dir)
	return stopForeign(ctx, pid)
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	// The state follows the command name in parentheses, which may itself
	// hold parentheses: take the last ')'.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		switch stat[i+2] {
		case 'Z', 'X':
			return false
		}
	}
	return true
}

// postmasterOf reports whether pid is a postgres program whose working
// folder is dir (the postmaster changes into its data folder). known is
// false when /proc does not tell.
func postmasterOf(pid int, dir string) (isPostmaster, known bool) {
	proc := "/proc/" + strconv.Itoa(pid)
	exe, err := os.Readlink(proc + "/exe")
	if err != nil {
		return false, false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if filepath.Base(exe) != "postgres" {
		return false, true
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if err != nil {
		return false, false
	}
	return cwd == dir, true
}

// stopForeign stops a server that is not the hub's child: SIGINT, then
// SIGQUIT, then SIGKILL, polling until it is gone. When ctx ends first it
// returns ctx's error, the server possibly still shutting down.
func stopForeign(ctx context.Context, pid int) error {
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{
		{syscall.SIGINT, fastShutdownTimeout},
		{syscall.SIGQUIT, immediateShutdownTimeout},
		{syscall.SIGKILL, immediateShutdownTimeout},
	}
	for _, step := range steps {
		if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stop orphaned server %d: %w", pid, err)
		}
		for deadline := time.Now().Add(step.wait); time.Now().Before(deadline); {
			if !processAlive(pid) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("stop orphaned server %d: %w", pid, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return fmt.Errorf("stop orphaned server %d: still running after SIGKILL", pid)
}

// The parent-death signal is sent when the *thread* that forked the child
// ends (https://go.dev/issue/27505). Go ends a thread when a goroutine that
// locked it exits, which any goroutine that happens to run on the forking
// thread later may do. So the server is forked from one goroutine that
// locks its thread and never exits: that thread lives as long as the hub.
var spawner struct {
	once sync.Once
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	errc chan<- error
}

// startOnLockedThread calls cmd.Start on the spawner's thread.
func startOnLockedThread(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread()
			for r := range spawner.reqs {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawner.reqs <- spawnRequest{cmd: cmd, errc: errc}
	return <-errc
}
