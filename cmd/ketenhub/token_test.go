package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/auth"
)

// TestToken mints a token for the example region and checks that the hub's
// authentication of config/auth.yaml accepts it as that user.
func TestToken(t *testing.T) {
	t.Setenv(EnvJWTSecret, e2eJWTSecret)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"token", "--config", "../../config/ketenhub.yaml", "--user", "mw-12", "--org", "opvang-zuid",
		"--role", "opvang-medewerker", "--act-for", "rv-3", "--ttl", "1h"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	cfg, err := auth.LoadConfig("../../config/auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(*cfg, auth.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/v1/registrations", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
	s, err := a.Authenticate(req)
	if err != nil || s.ID != "mw-12" || s.Organisation != "opvang-zuid" || s.Role != "opvang-medewerker" || s.ActingFor != "rv-3" {
		t.Fatalf("subject %+v, %v", s, err)
	}
	var ue usageError
	for _, args := range [][]string{
		{"token", "--user", "u"},
		{"token", "--user", "u", "--org", "nergens", "--role", "beleid"},
		{"token", "--user", "u", "--org", "ggz-oost", "--role", "spion"},
		{"token", "--user", "u", "--org", "ggz-oost", "--role", "ketenpartner-systeem"},
		{"token", "--user", "u", "--org", "ggz-oost", "--role", "beleid", "--ttl", "720h"},
	} {
		args = append(args, "--config", "../../config/ketenhub.yaml")
		if err := run(ctx, args, &out, &errOut); !errors.As(err, &ue) {
			t.Errorf("%v: err = %v; want a usage error", args, err)
		}
	}
}

// TestTokenGeneratesSecret: without KETENHUB_JWT_SECRET the token command
// and the hub share <data>/jwt-secret, generated once with mode 0600.
func TestTokenGeneratesSecret(t *testing.T) {
	t.Setenv(EnvJWTSecret, "")
	dir := t.TempDir()
	for _, name := range []string{"roles.yaml", "auth.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "config", name))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, name), b)
	}
	for _, p := range []string{"gemeente-szw", "ggz-oost", "opvang-zuid"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "config", "partners", p+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, "partners", p+".yaml"), b)
	}
	mustWrite(t, filepath.Join(dir, "ketenhub.yaml"), []byte("data_dir: data\nadapters:\n  csv:\n    binary: ketenhub-csv\n"))
	var out, errOut bytes.Buffer
	args := []string{"token", "--config", filepath.Join(dir, "ketenhub.yaml"), "--user", "u-1", "--org", "ggz-oost", "--role", "beleid"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	fi, err := os.Stat(filepath.Join(dir, "data", "jwt-secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt-secret: %v %v", fi, err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "data", "jwt-secret"))
	out.Reset()
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "data", "jwt-secret")); !bytes.Equal(first, again) {
		t.Error("the secret was generated twice")
	}
}
