package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/ketenhub/ketenhub/hub/config"
)

// cmdServe runs the hub until it gets SIGINT or SIGTERM.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file")
	listen := fs.String("listen", "", "address to listen on (overrides the configuration)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := newLogger(stderr, slog.LevelInfo)
	cfg, err := config.Load(*path)
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	n, err := openNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer n.close()
	ln, tlsSrv, scheme, err := listenAPI(cfg, log)
	if err != nil {
		return err
	}
	n.tls = tlsSrv
	fmt.Fprintf(stdout, "Ketenhub luistert op %s://%s (beheertoken: %s of %s/api-token; medewerkers: ketenhub token)\n",
		scheme, ln.Addr(), EnvAPIToken, cfg.DataDir)
	return n.serve(ctx, ln)
}

// newLogger logs text lines to w at KETENHUB_LOG_LEVEL, or at def when that
// is unset or not a level.
func newLogger(w io.Writer, def slog.Level) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(os.Getenv("KETENHUB_LOG_LEVEL")))); err != nil {
		level = def
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
