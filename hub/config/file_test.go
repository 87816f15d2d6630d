package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/schemas"
)

func TestParseFile(t *testing.T) {
	data := []byte("id: ggz-oost\nname: GGZ Oost\nadapter:\n  name: csv\nexport:\n  kind: weekly\n")
	f, errs := config.ParseFile("partners/ggz-oost.yaml", data, schemas.Partner)
	if f == nil {
		t.Fatal("no file")
	}
	if len(errs) != 1 || errs[0].Error() != `partners/ggz-oost.yaml:6:9: export.kind: waarde "weekly" is niet toegestaan; kies uit: full, delta [CONFIG_ENUM]` {
		t.Errorf("problems: %v", errs)
	}
	if len(f.Revision) != 64 {
		t.Errorf("revision %q", f.Revision)
	}
	var v struct {
		Adapter struct {
			Name string `json:"name"`
		} `json:"adapter"`
	}
	f.Decode(&v)
	if v.Adapter.Name != "csv" {
		t.Errorf("decoded adapter name %q", v.Adapter.Name)
	}
	if m, ok := f.Value().(map[string]any); !ok || m["id"] != "ggz-oost" {
		t.Errorf("value %v", f.Value())
	}
	if got := f.At("/adapter/name", "X", "m").Error(); got != "partners/ggz-oost.yaml:4:9: adapter.name: m [X]" {
		t.Errorf("At = %s", got)
	}
	if got := f.AtKey("/adapter/name", "X", "m").Error(); got != "partners/ggz-oost.yaml:4:3: adapter.name: m [X]" {
		t.Errorf("AtKey = %s", got)
	}
	if got := f.At("/adapter/config/columns", "X", "m").Error(); got != "partners/ggz-oost.yaml:4:3: adapter.config.columns: m [X]" {
		t.Errorf("At on a missing field = %s", got)
	}
}

func TestParseFileProblems(t *testing.T) {
	if f, errs := config.ParseFile("x.yaml", []byte("a: [\n"), schemas.Partner); f != nil || len(errs) != 1 || errs[0].Code != config.CodeYAML {
		t.Errorf("broken YAML: file %v, problems %v", f, errs)
	}
	if _, errs := config.ParseFile("x.yaml", []byte("id: x\n"), "nothing.schema.json"); len(errs) != 1 || errs[0].Code != config.CodeSchema {
		t.Errorf("unknown schema: %v", errs)
	}
	_, errs := config.LoadFile(filepath.Join(t.TempDir(), "gone.yaml"), "gone.yaml", schemas.Partner)
	if len(errs) != 1 || errs[0].Code != config.CodeFile || !strings.HasPrefix(errs[0].Error(), "gone.yaml: ") {
		t.Errorf("missing file: %v", errs)
	}
}
