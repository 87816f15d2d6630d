package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

// auditDatabase gives a database with a few audit events and their log.
func auditDatabase(t *testing.T) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st, err := store.Open(ctx, url, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	l := audit.New(st.Pool(), audit.Options{})
	for i := range 5 {
		err := l.Record(ctx, audit.Event{Type: audit.TypeDisclosure, Client: fmt.Sprintf("kc-%d", i%2), User: "u-12",
			Organisation: "opvang-zuid", Role: "casemanager", Purpose: "trajectmonitoring", Categories: []string{"basis"},
			Basis: audit.Basis{Kind: audit.BasisConsent, Ref: "consent-3"}, Outcome: audit.OutcomeSuccess, Source: "GET /v1/clients/{id}"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return url, st
}

func TestAuditCommands(t *testing.T) {
	ctx := context.Background()
	url, st := auditDatabase(t)
	t.Setenv(EnvDatabaseURL, url)

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"audit", "verify"}, &out, &errOut); err != nil {
		t.Fatalf("verify on an intact log: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "auditlog intact: 5 regel(s)") {
		t.Errorf("verify output:\n%s", out.String())
	}
	head := strings.TrimSpace(out.String()[strings.Index(out.String(), "anker): ")+len("anker): "):])

	out.Reset()
	if err := run(ctx, []string{"audit", "client", "kc-1", "--user", "fg-privacy"}, &out, &errOut); err != nil {
		t.Fatalf("client report: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "Logging voor cliënt kc-1, hele bewaarperiode: 2 gebeurtenis(sen)") ||
		!strings.Contains(out.String(), "toestemming consent-3") {
		t.Errorf("client report:\n%s", out.String())
	}
	// The reading itself is logged, and the chain stays intact.
	out.Reset()
	if err := run(ctx, []string{"audit", "client", "--json", "kc-1"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"type":"audit_read"`) || !strings.Contains(out.String(), `"user":"fg-privacy"`) {
		t.Errorf("the earlier reading is not in the report:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--anchor", head}, &out, &errOut); err != nil {
		t.Fatalf("verify with the earlier head as anchor: %v\n%s", err, out.String())
	}

	if _, err := st.Pool().Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `UPDATE audit_log SET role = 'beheerder' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run(ctx, []string{"audit", "verify"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "regel 3 [AUDIT_ALTERED]") {
		t.Errorf("verify on a tampered log: err = %v", err)
	}
	if !strings.Contains(out.String(), "auditlog VERBROKEN bij regel 3 [AUDIT_ALTERED]") {
		t.Errorf("verify output on a tampered log:\n%s", out.String())
	}

	// The built binary exits non-zero.
	hubBin, _ := binaries(t)
	cmd := exec.Command(hubBin, "audit", "verify")
	cmd.Env = append(os.Environ(), EnvDatabaseURL+"="+url)
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("ketenhub audit verify on a tampered log: %v, want exit status 1\n%s", err, b)
	}
	if !strings.Contains(string(b), "regel 3") {
		t.Errorf("output does not name the broken row:\n%s", b)
	}
}

func TestAuditUsage(t *testing.T) {
	ctx := context.Background()
	var out, errOut bytes.Buffer
	var ue usageError
	for _, args := range [][]string{{"audit"}, {"audit", "remove"}, {"audit", "client"}, {"audit", "client", "kc-1", "--from", "1-2-2025"}} {
		if err := run(ctx, args, &out, &errOut); !errors.As(err, &ue) {
			t.Errorf("%v: err = %v; want a usage error", args, err)
		}
	}
	t.Setenv(EnvDatabaseURL, "")
	err := run(ctx, []string{"audit", "verify", "--config", "testdata/does-not-exist.yaml"}, &out, &errOut)
	if err == nil {
		t.Error("verify without a database and with a missing config succeeded")
	}
}
