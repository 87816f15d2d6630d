package policy_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/policy"
)

var update = flag.Bool("update", false, "rewrite the expected.txt files of testdata/load")

// TestLoadProblems loads every testdata/load/<case>/roles.yaml and
// compares the problems with expected.txt.
func TestLoadProblems(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "load"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join("testdata", "load", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			p, err := policy.Load(filepath.Join(dir, "roles.yaml"), policy.LoadOptions{Partners: partners})
			var problems config.Errors
			if !errors.As(err, &problems) {
				t.Fatalf("Load returned %T, want config.Errors: %v", err, err)
			}
			if p != nil {
				t.Error("Load returned a policy together with problems")
			}
			var b strings.Builder
			for _, pr := range problems {
				if pr.Code == "" || pr.Message == "" {
					t.Errorf("problem without code or message: %#v", pr)
				}
				b.WriteString(strings.ReplaceAll(filepath.ToSlash(pr.Error()), filepath.ToSlash(dir)+"/", "") + "\n")
			}
			got := b.String()
			golden := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := policy.Load(filepath.Join(t.TempDir(), "roles.yaml"), policy.LoadOptions{})
	var problems config.Errors
	if !errors.As(err, &problems) || len(problems) != 1 || problems[0].Code != config.CodeFile {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

func TestLoadValues(t *testing.T) {
	p := loadTestPolicy(t)
	if len(p.Revision) != 64 {
		t.Errorf("revision %q is not a sha256", p.Revision)
	}
	if p.File != "testdata/roles.yaml" {
		t.Errorf("file %q", p.File)
	}
	if p.Bemoeizorg.Max != 90*24*time.Hour || p.Bemoeizorg.ReviewEvery != 30*24*time.Hour {
		t.Errorf("bemoeizorg limits %+v", p.Bemoeizorg)
	}
	r := p.Roles["trajectmanager-veelplegers"]
	want := []string{"asten", "deurne", "gemert-bakel", "helmond", "laarbeek", "someren"}
	if !slices.Equal(r.Scope.Municipalities, want) {
		t.Errorf("municipalities of de-peel: %v, want %v", r.Scope.Municipalities, want)
	}
	if p.Roles["ketenpartner-systeem"].For != policy.Partner || p.Roles["regievoerder"].For != policy.User {
		t.Error("role kinds not read")
	}
	if p.Purposes["beleid"].Classes == nil || len(p.Purposes["beleid"].Classes) != 0 {
		t.Errorf("purpose beleid with classes: [] must cap to nothing, got %#v", p.Purposes["beleid"].Classes)
	}
	if p.Purposes["zorgcoordinatie"].Classes != nil || !p.Purposes["zorgcoordinatie"].ConsentRequired {
		t.Errorf("purpose zorgcoordinatie: %+v", p.Purposes["zorgcoordinatie"])
	}
	if got := p.Recipients("ggz-oost"); !slices.Equal(got, []string{"ggz-oost", "kernpartners"}) {
		t.Errorf("recipients of ggz-oost: %v", got)
	}
	if got := p.Recipients("wijkteam-west"); !slices.Equal(got, []string{"wijkteam-west"}) {
		t.Errorf("recipients of wijkteam-west: %v", got)
	}
	rules := p.ConsentRules()
	if !rules.BemoeizorgRoles["regievoerder"] || rules.BemoeizorgRoles["opvang-medewerker"] {
		t.Errorf("bemoeizorg roles %v", rules.BemoeizorgRoles)
	}
	if !rules.Recipients["kernpartners"] || !rules.Recipients["opvang-zuid"] || rules.Recipients["wijkteam-west"] {
		t.Errorf("recipients %v", rules.Recipients)
	}
	if !rules.Purposes["zorgcoordinatie"] || rules.Purposes["marketing"] {
		t.Errorf("purposes %v", rules.Purposes)
	}
	if p2, err := policy.Load("testdata/roles.yaml", policy.LoadOptions{}); err != nil || p2.ConsentRules().Recipients != nil {
		t.Errorf("without a partner list recipients must not be checked: %v", err)
	}
}

// TestExampleRoles loads the example region's roles.yaml against its
// partners and checks the promises docs/privacy.md makes about it.
func TestExampleRoles(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "config", "partners"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			ids = append(ids, id)
		}
	}
	p, err := policy.Load(filepath.Join("..", "..", "config", "roles.yaml"), policy.LoadOptions{Partners: ids})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range p.Roles {
		ops := r.Operations
		if slices.Contains(ops, policy.OperateHub) && (len(r.Classes) > 0 || slices.ContainsFunc(ops, policy.Operation.ConcernsClient)) {
			t.Errorf("role %s operates the hub and reaches client data", name)
		}
		if slices.Contains(ops, policy.ReadStats) && slices.ContainsFunc(ops, policy.Operation.DisclosesData) && name == "beleid" {
			t.Errorf("role beleid sees more than aggregates")
		}
	}
	if slices.Contains(p.Roles["opvang-medewerker"].Classes, policy.Special) {
		t.Error("opvang-medewerker sees the diagnosis itself")
	}
	if !slices.Contains(p.Roles["opvang-medewerker"].Classes, policy.Sensitive) {
		t.Error("opvang-medewerker does not see that a diagnosis exists")
	}
	if slices.Contains(p.Bemoeizorg.Classes, policy.Special) {
		t.Error("bemoeizorg shows special category data")
	}
	for _, id := range ids {
		if p.Partners[id] == "" {
			t.Errorf("partner %s has no role", id)
		}
	}
}

// TestPrivacyDocShowsExample keeps the copy of config/roles.yaml in
// docs/privacy.md the same as the file.
func TestPrivacyDocShowsExample(t *testing.T) {
	doc := string(mustRead(t, filepath.Join("..", "..", "docs", "privacy.md")))
	roles := string(mustRead(t, filepath.Join("..", "..", "config", "roles.yaml")))
	if !strings.Contains(doc, "```yaml\n"+roles+"```\n") {
		t.Error("docs/privacy.md does not show config/roles.yaml as it is; copy the file into its last code block")
	}
}
