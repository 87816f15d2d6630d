package auth_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/schemas"
)

var update = flag.Bool("update", false, "rewrite the expected.txt files of testdata")

// TestLoadConfig loads every testdata/<case>/auth.yaml and compares the
// problems (or "ok") with expected.txt.
func TestLoadConfig(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join("testdata", e.Name())
		file := filepath.Join(dir, "auth.yaml")
		if _, err := os.Stat(file); err != nil {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			got := "ok\n"
			cfg, err := auth.LoadConfig(file)
			if err != nil {
				var problems config.Errors
				if !errors.As(err, &problems) {
					t.Fatalf("LoadConfig returned %T, want config.Errors: %v", err, err)
				}
				if cfg != nil {
					t.Error("a Config together with problems")
				}
				var b strings.Builder
				for _, p := range problems {
					if p.Code == "" || p.Message == "" || p.File == "" {
						t.Errorf("problem without code, message or file: %#v", p)
					}
					b.WriteString(strings.ReplaceAll(filepath.ToSlash(p.Error()), filepath.ToSlash(dir)+"/", "") + "\n")
				}
				got = b.String()
			}
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

// TestSchemaAgrees: the schema for the lead's config loader accepts the
// example and refuses the broken cases, like LoadConfig does.
func TestSchemaAgrees(t *testing.T) {
	data, err := schemas.FS.ReadFile("auth.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource("auth.schema.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("auth.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, wantOK := range map[string]bool{"example": true, "empty": true, "unknown-field": false, "bad-values": false, "wrong-type": false} {
		raw, err := os.ReadFile(filepath.Join("testdata", name, "auth.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(raw, &root); err != nil {
			t.Fatal(err)
		}
		doc := jsonValue(&root)
		if doc == nil {
			doc = map[string]any{}
		}
		err = schema.Validate(doc)
		if gotOK := err == nil; gotOK != wantOK {
			t.Errorf("%s: schema says %v; want ok=%v", name, err, wantOK)
		}
	}
}

// jsonValue converts YAML to JSON values the way hub/config does: scalars
// other than numbers, booleans and null stay text (2026-12-31 is a string).
func jsonValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return jsonValue(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = jsonValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, jsonValue(c))
		}
		return l
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		_ = n.Decode(&v)
		return v
	}
	return n.Value
}

func TestLoadConfigResolvesPaths(t *testing.T) {
	cfg, err := auth.LoadConfig("testdata/example/auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/example")
	if cfg.Dir != abs || len(cfg.Partners) != 2 || cfg.Partners["ggz-oost"].APIKeys[0].Expires != "2026-12-31" {
		t.Errorf("loaded %+v", cfg)
	}
	var want []string
	if cfg.ClientCA != "" {
		want = append(want, filepath.Join(abs, cfg.ClientCA))
	}
	for _, k := range cfg.Users.Keys {
		if k.PublicKey != "" {
			want = append(want, filepath.Join(abs, k.PublicKey))
		}
	}
	if got := cfg.Files(); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("Files() = %v, want %v", got, want)
	}
	if _, err := auth.LoadConfig("testdata/nothing/auth.yaml"); err == nil || !strings.Contains(err.Error(), "bestaat niet") {
		t.Errorf("missing file: %v", err)
	}
}

func TestNewProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "not-a-key.pem"), []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ecFile := writePublicKey(t, dir, "ec.pem", &keys.ec.PublicKey)
	k, _ := auth.NewAPIKey()
	cfg := auth.Config{Dir: dir, ClientCA: "missing-ca.pem",
		Users: auth.UsersConfig{Keys: []auth.KeyConfig{
			{Alg: "HS256", SecretEnv: "UNSET_SECRET"},
			{Alg: "HS384", SecretEnv: "SHORT_SECRET"},
			{Alg: "RS256", PublicKey: "missing.pem"},
			{Alg: "RS256", PublicKey: ecFile},
			{Alg: "EdDSA", PublicKey: "not-a-key.pem"},
		}},
		Partners: map[string]auth.PartnerConfig{
			"onbekend": {Role: "spion", APIKeys: []auth.APIKeyConfig{{ID: k.ID, SHA256: k.Hash()}}},
		}}
	_, err := auth.New(cfg, auth.Options{
		Getenv:       env(map[string]string{"SHORT_SECRET": "te-kort"}),
		KnownPartner: func(id string) bool { return id != "onbekend" },
		KnownRole:    func(r string) bool { return r != "spion" },
	})
	var problems config.Errors
	if !errors.As(err, &problems) {
		t.Fatalf("New: %v; want config.Errors", err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Field+" "+p.Code)
		if strings.Contains(p.Message, "te-kort") {
			t.Errorf("the secret is in the message: %s", p.Message)
		}
	}
	want := []string{
		"partners.onbekend CONFIG_SCHEMA", "partners.onbekend.role CONFIG_ENUM",
		"users.keys[0].secret_env CONFIG_AUTH_KEY", "users.keys[1].secret_env CONFIG_AUTH_KEY",
		"users.keys[2].public_key CONFIG_AUTH_KEY", "users.keys[3].public_key CONFIG_AUTH_KEY",
		"users.keys[4].public_key CONFIG_AUTH_KEY", "client_ca CONFIG_AUTH_KEY",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"), err)
	}
	if !strings.Contains(err.Error(), "UNSET_SECRET met het geheim voor HS256 is niet gezet") {
		t.Errorf("message for an unset variable: %v", err)
	}
}

// TestNewDefaultRoleUnchecked: a partner without a role in auth.yaml gets
// DefaultRole, which KnownRole is not asked about (roles.yaml gives partner
// systems their role); a role written in auth.yaml is checked.
func TestNewDefaultRoleUnchecked(t *testing.T) {
	k, _ := auth.NewAPIKey()
	known := func(r string) bool { return r == "ketenpartner-systeem" }
	for _, tt := range []struct {
		name, role string
		ok         bool
	}{
		{"OKDefault", "", true},
		{"OKKnown", "ketenpartner-systeem", true},
		{"ErrUnknown", "spion", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := auth.Config{Partners: map[string]auth.PartnerConfig{
				"ggz-oost": {Role: tt.role, APIKeys: []auth.APIKeyConfig{{ID: k.ID, SHA256: k.Hash()}}}}}
			a, err := auth.New(cfg, auth.Options{KnownRole: known})
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			s, err := a.Authenticate(request("Authorization", "Bearer "+k.String()))
			want := tt.role
			if want == "" {
				want = auth.DefaultRole
			}
			if err != nil || s.Role != want {
				t.Errorf("subject %+v, %v; want role %q", s, err, want)
			}
		})
	}
}
