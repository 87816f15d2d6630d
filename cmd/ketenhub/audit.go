package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgmanaged"
)

const auditUsage = `Usage: ketenhub audit <subcommand> [flags]

Subcommands:
  verify                 check the hash chain of the audit trail; exits 1 at the first broken row
  client <client-id>     print who saw or changed what about one client (access request)

Both use KETENHUB_DATABASE_URL, or else the hub's managed PostgreSQL in the
data folder of --config (the hub must not be running then).
Run 'ketenhub audit <subcommand> -h' for the flags.
`

// cmdAudit runs `ketenhub audit verify` and `ketenhub audit client`.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return usageError{"audit: no subcommand given"}
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	case "client":
		return cmdAuditClient(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, auditUsage)
		return nil
	}
	fmt.Fprint(stderr, auditUsage)
	return usageError{fmt.Sprintf("audit: unknown subcommand %q", args[0])}
}

// anchorFlags collects repeated --anchor seq:hash flags.
type anchorFlags []audit.Link

func (a *anchorFlags) String() string { return fmt.Sprint([]audit.Link(*a)) }

func (a *anchorFlags) Set(s string) error {
	l, err := audit.ParseLink(s)
	if err != nil {
		return err
	}
	*a = append(*a, l)
	return nil
}

// cmdAuditVerify checks the whole chain and prints the head to write down
// as an anchor. A broken chain prints the first broken row and returns an
// error, so the command exits 1.
func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file (for the data folder of the managed PostgreSQL)")
	var anchors anchorFlags
	fs.Var(&anchors, "anchor", "a head written down earlier, as seq:hash; the row must still have that hash (repeatable)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args); err != nil || helpAsked(args) {
		return err
	}
	log, done, err := openAuditLog(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer done()
	r, err := log.Verify(ctx, anchors...)
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			OK   bool   `json:"ok"`
			Head string `json:"head"`
			audit.Report
		}{r.OK(), r.Head.String(), r}
		if err := json.NewEncoder(stdout).Encode(out); err != nil {
			return err
		}
	} else if r.OK() {
		fmt.Fprintf(stdout, "auditlog intact: %d regel(s) gecontroleerd\nkop (leg vast als anker): %s\n", r.Rows, r.Head)
	} else {
		fmt.Fprintf(stdout, "auditlog VERBROKEN bij regel %d [%s]: %s\n%d regel(s) voor de breuk zijn in orde\n",
			r.Break.Seq, r.Break.Code, r.Break.Message(), r.Rows)
	}
	if !r.OK() {
		return fmt.Errorf("auditketen verbroken bij regel %d [%s]", r.Break.Seq, r.Break.Code)
	}
	return nil
}

// cmdAuditClient prints every logged event about one client, and logs that
// the audit trail was read.
func cmdAuditClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit client", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file (for the data folder of the managed PostgreSQL)")
	from := fs.String("from", "", "first day (YYYY-MM-DD); empty: from the start")
	to := fs.String("to", "", "last day, included (YYYY-MM-DD); empty: up to now")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	by := fs.String("user", "", "who asks (logged as the reader of the audit trail); default: the system user")
	purpose := fs.String("purpose", "inzageverzoek", "why the audit trail is read (logged)")
	client, err := parseWithArgument(fs, args)
	if err != nil || helpAsked(args) {
		return err
	}
	if client == "" {
		return usageError{"audit client: give the client id: ketenhub audit client <client-id>"}
	}
	lo, err := parseDay("--from", *from)
	if err != nil {
		return err
	}
	hi, err := parseDay("--to", *to)
	if err != nil {
		return err
	}
	if !hi.IsZero() {
		hi = hi.AddDate(0, 0, 1) // --to names the last day, included
	}
	reader := *by
	if reader == "" {
		reader = "cli"
		if u, err := user.Current(); err == nil {
			reader = "cli:" + u.Username
		}
	}
	log, done, err := openAuditLog(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer done()
	r, err := log.ForClient(ctx, client, lo, hi)
	if err != nil {
		return err
	}
	err = log.Record(ctx, audit.Event{Type: audit.TypeAuditRead, Client: client, User: reader, Purpose: *purpose,
		Outcome: audit.OutcomeSuccess, Source: "ketenhub audit client",
		Detail: json.RawMessage(fmt.Sprintf(`{"entries":%d}`, len(r.Entries)))})
	if err != nil {
		return fmt.Errorf("log the reading of the audit trail: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	return r.WriteText(stdout)
}

// parseWithArgument parses flags around one argument that is not a flag,
// which it returns ("" when absent): `client ID --from X` and `client
// --from X ID` both work.
func parseWithArgument(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseFlagsOnly(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", nil
	}
	arg := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	return arg, nil
}

// parseFlagsOnly parses flags up to the first argument that is not one.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	return nil
}

// parseDay reads a YYYY-MM-DD day in local time; "" is the zero time.
func parseDay(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, time.Local)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("%s %q: want a day as YYYY-MM-DD", flagName, s)}
	}
	return d, nil
}

// openAuditLog opens the audit trail in KETENHUB_DATABASE_URL, or else in the
// managed PostgreSQL of the hub configured at cfgPath, which must exist
// already and must not be in use by a running hub. done closes everything.
func openAuditLog(ctx context.Context, cfgPath string, stderr io.Writer) (_ *audit.Log, done func(), err error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var pg *pgmanaged.Server
	stopPG := func() {
		if pg == nil {
			return
		}
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pg.Stop(stopCtx); err != nil {
			log.Error("stop managed PostgreSQL", "error", err)
		}
	}
	url := os.Getenv(EnvDatabaseURL)
	if url == "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return nil, nil, reportConfigErrors(stderr, err)
		}
		dir := filepath.Join(cfg.DataDir, "postgres")
		if _, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("no managed PostgreSQL in %s (has the hub of %s ever run?); or set %s: %w", dir, cfgPath, EnvDatabaseURL, err)
		}
		pg, err = pgmanaged.Start(ctx, pgmanaged.Options{DataDir: dir, Logger: log})
		if errors.Is(err, pgmanaged.ErrDataDirInUse) {
			return nil, nil, fmt.Errorf("the hub is running on %s with its managed PostgreSQL; stop it first, or set %s: %w", cfg.DataDir, EnvDatabaseURL, err)
		}
		if err != nil {
			return nil, nil, err
		}
		url = pg.URL()
	}
	st, err := store.Open(ctx, url, store.Options{MaxConns: 4, Logger: log})
	if err != nil {
		stopPG()
		return nil, nil, err
	}
	return audit.New(st.Pool(), audit.Options{Logger: log}), func() { st.Close(); stopPG() }, nil
}

// helpAsked reports whether the flags asked for help, which parseFlags has
// printed: the command then does nothing else.
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
