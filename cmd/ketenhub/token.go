package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/policy"
)

const tokenUsage = `Usage: ketenhub token --user U --org O --role R [--act-for X] [--ttl 8h] [--key ID] [--config config/ketenhub.yaml]

Prints a user's token (JWT) signed with an HMAC key of auth.yaml, for the
example region, tests and demonstrations: in production users get their
tokens from their organisation's login system. The organisation must be a
configured partner and the role a role of roles.yaml. The secret is read from
the key's environment variable (KETENHUB_JWT_SECRET: else the hub's
<data>/jwt-secret, generated when missing).

  curl -H "Authorization: Bearer $(bin/ketenhub token --user u-1 --org opvang-zuid --role opvang-medewerker)" \
    "http://127.0.0.1:8080/v1/registrations?purpose=zorgcoordinatie"
`

// maxTokenTTL bounds --ttl: a token is a credential.
const maxTokenTTL = 7 * 24 * time.Hour

// cmdToken runs `ketenhub token`.
func cmdToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage) }
	path := fs.String("config", DefaultConfig, "hub configuration file")
	user := fs.String("user", "", "user id (sub): a pseudonymous employee id, never a name or BSN")
	org := fs.String("org", "", "the user's organisation: a partner id")
	role := fs.String("role", "", "a role of roles.yaml")
	actFor := fs.String("act-for", "", "the responsible user the user acts for (optional)")
	ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid")
	keyID := fs.String("key", "", "the id of the HMAC key in auth.yaml (default: the first HMAC key)")
	if err := parseFlags(fs, args); err != nil || helpAsked(args) {
		return err
	}
	if *user == "" || *org == "" || *role == "" {
		return usageError{"token: --user, --org and --role are required"}
	}
	if *ttl <= 0 || *ttl > maxTokenTTL {
		return usageError{fmt.Sprintf("token: --ttl must be between 0 and %s", maxTokenTTL)}
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	var ids []string
	for _, p := range cfg.Partners {
		ids = append(ids, p.ID)
	}
	if !slices.Contains(ids, *org) {
		return usageError{fmt.Sprintf("token: organisation %q is not a partner of the hub; known: %s", *org, strings.Join(ids, ", "))}
	}
	roles, err := policy.Load(cfg.RolesFile, policy.LoadOptions{Partners: ids})
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	r, ok := roles.Roles[*role]
	if !ok {
		names := make([]string, 0, len(roles.Roles))
		for n := range roles.Roles {
			names = append(names, n)
		}
		slices.Sort(names)
		return usageError{fmt.Sprintf("token: role %q is not in %s; known: %s", *role, cfg.RolesFile, strings.Join(names, ", "))}
	}
	if r.For != policy.User {
		return usageError{fmt.Sprintf("token: role %q is for partner systems, which use an API key", *role)}
	}
	ac, err := auth.LoadConfig(cfg.AuthFile)
	if err != nil {
		return reportConfigErrors(stderr, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	key, secret, err := ac.HMACKey(*keyID, secretEnv(cfg.DataDir, true, log))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, err := auth.SignHMAC(key, secret, auth.TokenClaims{User: *user, Organisation: *org, Role: *role, ActingFor: *actFor,
		Issuer: ac.Users.Issuer, Audience: ac.Users.Audience, TTL: *ttl}, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
