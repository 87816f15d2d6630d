package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// TestPartnerTestCommand runs `ketenhub partner test` as ICT staff would,
// with the built hub and adapter binaries, on the example exports, on a
// broken sample and with a broken partner file, and compares the output
// with testdata/partner-test/*.golden (go test -run TestPartnerTestCommand
// -update rewrites them). Nothing is stored: the command has no database.
func TestPartnerTestCommand(t *testing.T) {
	hubBin, _ := binaries(t)
	r := newRegion(t, map[string]string{"kapot": brokenPartnerYAML(t)})
	draft := strings.Replace(string(readFile(t, filepath.Join(repoRoot(), "config", "partners", "opvang-zuid.yaml"))), "id: opvang-zuid", "id: nieuw", 1)
	mustWrite(t, filepath.Join(r.dir, "drafts", "nieuw.yaml"), []byte(strings.Replace(draft, `["2006-01-02"]`, `["jjjj-mm-dd"]`, 1)))
	sample := func(name string) string { return filepath.Join(repoRoot(), "plugins", "csv", "testdata", name) }
	tests := []struct {
		name     string
		args     []string
		wantExit int
	}{
		{"ggz-oost", []string{"ggz-oost", sample("ggz-oost.csv")}, 0},
		{"opvang-zuid", []string{"opvang-zuid", sample("opvang-zuid.csv")}, 0},
		{"gemeente-szw", []string{"gemeente-szw", sample("gemeente-szw.csv")}, 0},
		{"broken-sample", []string{"opvang-zuid", sample("broken-opvang-zuid.csv")}, 1},
		{"broken-sample-json", []string{"opvang-zuid", sample("broken-opvang-zuid.csv"), "--json"}, 1},
		{"broken-config", []string{"kapot", sample("opvang-zuid.csv")}, 1},
		{"draft-file", []string{"nieuw", sample("opvang-zuid.csv"), "--file", "drafts/nieuw.yaml"}, 1},
		{"unknown-partner", []string{"onbekend", sample("opvang-zuid.csv")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"partner", "test", "--config", "ketenhub.yaml", "--received-at", "2025-03-01T09:30:00+01:00"}, tt.args...)
			cmd := exec.Command(hubBin, args...)
			cmd.Dir = r.dir
			cmd.Env = append(os.Environ(), EnvDatabaseURL+"=postgres://nobody@127.0.0.1:1/none")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tt.wantExit {
				t.Errorf("exit %d, want %d; stderr:\n%s", exit, tt.wantExit, stderr.String())
			}
			if tt.wantExit == 2 {
				if !strings.Contains(stderr.String(), "onbekend") {
					t.Errorf("usage error does not name the partner: %s", stderr.String())
				}
				return
			}
			golden := filepath.Join("testdata", "partner-test", tt.name+".golden")
			if *updateGolden {
				mustWrite(t, golden, out)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -run TestPartnerTestCommand -update writes it)", err)
			}
			if string(out) != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, out)
			}
		})
	}
}

// brokenPartnerYAML is opvang-zuid's file as partner "kapot" with a wrong
// export kind.
func brokenPartnerYAML(t *testing.T) string {
	b := readFile(t, filepath.Join(repoRoot(), "config", "partners", "opvang-zuid.yaml"))
	s := strings.Replace(string(b), "id: opvang-zuid", "id: kapot", 1)
	s = strings.Replace(s, "kind: delta", "kind: soms", 1)
	return strings.Replace(s, "# Opvang Zuid,", "# Kapot: a copy of Opvang Zuid,", 1)
}

// TestPartnerTestConsent: partner test shows the consent statements that
// a partner's consent columns give, and refuses one its role may not
// record (purpose beleid: CONSENT_FORBIDDEN), as the hub would; nothing is
// stored.
func TestPartnerTestConsent(t *testing.T) {
	hubBin, _ := binaries(t)
	r := newRegion(t, nil)
	mustWrite(t, filepath.Join(r.dir, "drafts", "ggz-oost.yaml"), []byte(ggzWithConsent(t, "zorgcoordinatie", "beleid")))
	mustWrite(t, filepath.Join(r.dir, "monster.csv"), ggzConsentExport("triage", "ja"))
	cmd := exec.Command(hubBin, "partner", "test", "--config", "ketenhub.yaml", "--file", "drafts/ggz-oost.yaml", "--json",
		"ggz-oost", "monster.csv")
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), EnvDatabaseURL+"=postgres://nobody@127.0.0.1:1/none")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v (want 1: a refused statement is an error)", err)
	}
	var rep partnerTestReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Counts.Valid != 2 || rep.Counts.Consents != 2 || rep.Counts.ConsentsRejected != 1 || len(rep.Consents) != 1 {
		t.Fatalf("counts %+v, consents %+v", rep.Counts, rep.Consents)
	}
	c := rep.Consents[0]
	var st sdk.ConsentStatement
	if err := json.Unmarshal(c.Statement, &st); err != nil || c.Line != 2 || c.RecordKey != "ggz-9100001" ||
		st.Purpose != "zorgcoordinatie" || st.State != "given" || st.Client.RecordKey != c.RecordKey {
		t.Errorf("statement %+v (%s): %v", c, c.Statement, err)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Code != sdk.CodeConsentForbidden || rep.Errors[0].Line != 2 ||
		!strings.Contains(rep.Errors[0].Message, "[") {
		t.Errorf("errors %+v", rep.Errors)
	}
}
