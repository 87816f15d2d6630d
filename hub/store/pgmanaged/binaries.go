package pgmanaged

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// binaries is a folder with the PostgreSQL server programs.
type binaries struct {
	dir   string // holds initdb and postgres
	major string // major version, "15"
}

// Where findBinaries looks; variables so that tests can point them elsewhere.
var (
	pgConfigProgram = "pg_config"
	libGlob         = "/usr/lib/postgresql/*/bin"
)

// installHint ends the error for missing server binaries.
const installHint = "install them with `apt-get install -y postgresql` (as root; the system cluster it creates is not used), or set KETENHUB_DATABASE_URL to use an existing server"

// findBinaries finds the server programs: explicit when set, else
// `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin, else
// PATH. When wantMajor is set (an existing cluster), the first candidate of
// that major version wins.
func findBinaries(ctx context.Context, explicit, wantMajor string) (binaries, error) {
	var candidates []string
	if explicit != "" {
		candidates = []string{explicit}
	} else {
		candidates = binaryCandidates(ctx)
	}
	var found []binaries
	for _, dir := range candidates {
		b, ok := probeBinaries(ctx, dir)
		if !ok {
			continue
		}
		if wantMajor == "" || b.major == wantMajor {
			return b, nil
		}
		found = append(found, b)
	}
	switch {
	case len(found) > 0:
		return binaries{}, fmt.Errorf("the cluster was created by PostgreSQL %s, but only PostgreSQL %s server binaries were found (in %s); install postgresql-%s, or upgrade the cluster with pg_upgrade",
			wantMajor, found[0].major, found[0].dir, wantMajor)
	case explicit != "":
		return binaries{}, fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) in %s; %s", explicit, installHint)
	default:
		return binaries{}, fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) found via pg_config, in %s or on PATH; %s", libGlob, installHint)
	}
}

// binaryCandidates lists folders that may hold the server programs, best
// first.
func binaryCandidates(ctx context.Context) []string {
	var dirs []string
	if out, err := exec.CommandContext(ctx, pgConfigProgram, "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	matches, _ := filepath.Glob(libGlob)
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	slices.SortFunc(matches, func(a, b string) int {
		va, vb := version(a), version(b)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		default:
			return strings.Compare(a, b)
		}
	})
	dirs = append(dirs, matches...)
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	return dirs
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// probeBinaries reports whether dir holds initdb and postgres, and postgres'
// major version.
func probeBinaries(ctx context.Context, dir string) (binaries, bool) {
	for _, prog := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, prog))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return binaries{}, false
		}
	}
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return binaries{}, false
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return binaries{}, false
	}
	return binaries{dir: dir, major: string(m[1])}, true
}

// clusterMajor returns the major version in dir/PG_VERSION, or "" when dir
// holds no cluster.
func clusterMajor(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
