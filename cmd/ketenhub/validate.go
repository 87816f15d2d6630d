package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// cmdValidate loads the hub and partner configuration, starts every
// partner's adapter to check its own configuration, loads roles.yaml and
// auth.yaml, and reports every problem as file:line:col: field: message
// [CODE].
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return reportConfigErrors(stdout, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var problems config.Errors
	for i := range cfg.Partners {
		p := &cfg.Partners[i]
		h, err := startAdapter(ctx, cfg, p, log)
		if err != nil {
			var ce config.Errors
			if errors.As(err, &ce) {
				problems = append(problems, ce...)
				continue
			}
			problems = append(problems, config.Error{File: p.File, Field: "adapter.name", Code: "CONFIG_ADAPTER_START", Message: "adapter kan niet starten: " + err.Error()})
			continue
		}
		h.host.Close()
	}
	var ids []string
	for _, p := range cfg.Partners {
		ids = append(ids, p.ID)
	}
	var knownRole func(string) bool
	roles, err := policy.Load(cfg.RolesFile, policy.LoadOptions{Partners: ids})
	if err != nil {
		problems = appendProblems(problems, err)
	} else {
		knownRole = func(r string) bool { _, ok := roles.Roles[r]; return ok }
	}
	known := func(id string) bool { return slices.Contains(ids, id) }
	if _, err := openAuth(cfg, readAuthFile(cfg.AuthFile, ids), known, knownRole, false, log); err != nil {
		problems = appendProblems(problems, err)
	}
	if len(problems) > 0 {
		return reportConfigErrors(stdout, problems)
	}
	fmt.Fprintf(stdout, "configuratie in orde: %s, %d partner(s), %d rol(len), aanmelding %s\n", cfg.File, len(cfg.Partners),
		len(roles.Roles), cfg.AuthFile)
	return nil
}

// appendProblems adds the positioned problems of err, or err as one problem.
func appendProblems(problems config.Errors, err error) config.Errors {
	var ce config.Errors
	if errors.As(err, &ce) {
		return append(problems, ce...)
	}
	return append(problems, config.Error{Code: config.CodeFile, Message: err.Error()})
}

func reportConfigErrors(w io.Writer, err error) error {
	var ce config.Errors
	if errors.As(err, &ce) {
		for _, e := range ce {
			fmt.Fprintln(w, e.Error())
		}
		return fmt.Errorf("configuratie bevat %d fout(en)", len(ce))
	}
	return err
}
