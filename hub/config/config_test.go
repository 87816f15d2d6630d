package config_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

var update = flag.Bool("update", false, "rewrite the expected.txt files of testdata")

// TestLoad runs every folder in testdata that holds a ketenhub.yaml: it
// loads the folder, checks each partner's adapter config against
// adapter.schema.json when that file exists, and compares the problems
// (file names relative to the folder) with expected.txt, or "ok".
func TestLoad(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join("testdata", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "ketenhub.yaml")); err != nil {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			got := run(t, dir)
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

func run(t *testing.T, dir string) string {
	t.Helper()
	var problems config.Errors
	cfg, err := config.Load(filepath.Join(dir, "ketenhub.yaml"))
	switch {
	case err != nil:
		if !errors.As(err, &problems) {
			t.Fatalf("Load returned %T, want config.Errors: %v", err, err)
		}
		if cfg != nil {
			t.Error("Load returned a Config together with problems")
		}
	default:
		schema, err := os.ReadFile(filepath.Join(dir, "adapter.schema.json"))
		if err == nil {
			for i := range cfg.Partners {
				problems = append(problems, config.ValidateAdapterConfig(&cfg.Partners[i], schema)...)
			}
		}
	}
	if len(problems) == 0 {
		return "ok\n"
	}
	prefix := filepath.ToSlash(dir) + "/"
	var b strings.Builder
	for _, p := range problems {
		if p.Code == "" || p.Message == "" {
			t.Errorf("problem without code or message: %#v", p)
		}
		b.WriteString(strings.ReplaceAll(filepath.ToSlash(p.Error()), prefix, "") + "\n")
	}
	return b.String()
}

func TestLoadValues(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "ok"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("File", cfg.File, filepath.Join(dir, "ketenhub.yaml"))
	check("Listen", cfg.Listen, "0.0.0.0:9090")
	check("DataDir", cfg.DataDir, filepath.Join(dir, "data"))
	check("PartnersDir", cfg.PartnersDir, filepath.Join(dir, "partners"))
	check("AuthFile", cfg.AuthFile, filepath.Join(dir, "toegang", "auth.yaml"))
	check("RolesFile", cfg.RolesFile, "/etc/ketenhub/roles.yaml")
	check("Bus", cfg.Bus, config.BusNATS)
	check("NATS.URL", cfg.NATS.URL, "nats://127.0.0.1:4222")
	check("csv.Binary", cfg.Adapters["csv"].Binary, filepath.Join(dir, "bin", "ketenhub-csv"))
	check("csv.SHA256", cfg.Adapters["csv"].SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	check("iwmo.Binary", cfg.Adapters["iwmo"].Binary, "/opt/ketenhub/ketenhub-iwmo")
	check("ScanInterval", cfg.Ingest.ScanInterval, 250*time.Millisecond)
	check("StableAfter", cfg.Ingest.StableAfter, 90*time.Second)
	check("MaxDocumentBytes", cfg.Ingest.MaxDocumentBytes, int64(1<<20))
	check("RetryMax", cfg.Pipeline.RetryMax, 0)
	check("RetryInitialInterval", cfg.Pipeline.RetryInitialInterval, time.Second)

	if len(cfg.Partners) != 2 {
		t.Fatalf("got %d partners, want 2", len(cfg.Partners))
	}
	ggz, wt := cfg.Partners[0], cfg.Partners[1]
	check("ggz.ID", ggz.ID, "ggz-oost")
	check("ggz.Name", ggz.Name, "GGZ Oost")
	check("ggz.File", ggz.File, filepath.Join(dir, "partners", "ggz-oost.yaml"))
	check("ggz.Adapter.Name", ggz.Adapter.Name, "csv")
	check("ggz.Adapter.Config", string(ggz.Adapter.Config),
		`{"columns":["bsn","naam",3,true],"delimiter":";","nested":{"a":1.5,"b":null}}`)
	check("ggz.Drop.Folder", ggz.Drop.Folder, filepath.Join(dir, "data", "inbox", "ggz"))
	check("ggz.Drop.StableAfter", ggz.Drop.StableAfter, 5*time.Second)
	check("ggz.Drop.DoneMarker", ggz.Drop.DoneMarker, true)
	check("ggz.Export", ggz.Export, config.Export{Kind: config.ExportFull, Missing: config.MissingEnd, MaxMissingShare: config.DefaultMaxMissingShare})
	check("ggz.Enabled", ggz.Enabled, false)
	if len(ggz.Revision) != 64 {
		t.Errorf("ggz.Revision = %q, want 64 hex digits", ggz.Revision)
	}

	check("wt.ID", wt.ID, "wijkteam")
	check("wt.Adapter.Config", string(wt.Adapter.Config), `{}`)
	check("wt.Drop.Folder", wt.Drop.Folder, filepath.Join(dir, "data", "drop", "wijkteam"))
	check("wt.Drop.StableAfter", wt.Drop.StableAfter, 90*time.Second)
	check("wt.Drop.DoneMarker", wt.Drop.DoneMarker, false)
	check("wt.Export", wt.Export, config.Export{Kind: config.ExportDelta, Missing: config.MissingKeep, MaxMissingShare: config.DefaultMaxMissingShare})
	check("wt.Enabled", wt.Enabled, true)
}

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ketenhub.yaml"), "# alles standaard\n")
	if err := os.Mkdir(filepath.Join(dir, "partners"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Listen:      config.DefaultListen,
		DataDir:     filepath.Join(dir, "var"),
		PartnersDir: filepath.Join(dir, "partners"),
		AuthFile:    filepath.Join(dir, "auth.yaml"),
		RolesFile:   filepath.Join(dir, "roles.yaml"),
		Bus:         config.BusPostgres,
		Ingest: config.Ingest{ScanInterval: time.Second, StableAfter: 2 * time.Second, MaxDocumentBytes: 1 << 30,
			PushMaxBytes: config.DefaultPushMaxBytes, PushWait: config.DefaultPushWait},
		Pipeline: config.Pipeline{RetryMax: 5, RetryInitialInterval: 500 * time.Millisecond},
		File:     filepath.Join(dir, "ketenhub.yaml"),
	}
	if cfg.Listen != want.Listen || cfg.DataDir != want.DataDir || cfg.PartnersDir != want.PartnersDir ||
		cfg.AuthFile != want.AuthFile || cfg.RolesFile != want.RolesFile || cfg.Bus != want.Bus || cfg.Ingest != want.Ingest || cfg.Pipeline != want.Pipeline || cfg.File != want.File ||
		len(cfg.Adapters) != 0 || len(cfg.Partners) != 0 {
		t.Errorf("got %+v\nwant %+v", *cfg, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Run("ErrNoHubFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ketenhub.yaml")
		_, err := config.Load(path)
		wantProblems(t, err, path+": het bestand kan niet worden gelezen: bestaat niet [CONFIG_FILE]")
	})
	t.Run("ErrNoPartnersDir", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ketenhub.yaml")
		write(t, path, "listen: 127.0.0.1:8080\npartners_dir: partners-x\n")
		_, err := config.Load(path)
		wantProblems(t, err, path+`:2:15: partners_dir: de map met partnerbestanden "partners-x" kan niet worden gelezen: bestaat niet [CONFIG_FILE]`)
	})
}

func TestLoadPartner(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Run("OK", func(t *testing.T) {
		// A changed version of an existing partner replaces it: its own drop
		// folder is no conflict.
		path := filepath.Join(dir, "wijkteam.yaml")
		write(t, path, "id: wijkteam\nname: Wijkteam Zuid\nadapter: {name: csv}\n")
		p, err := config.LoadPartner(cfg, path)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Wijkteam Zuid" || p.Drop.Folder != filepath.Join(cfg.DataDir, "drop", "wijkteam") ||
			p.Drop.StableAfter != cfg.Ingest.StableAfter || !p.Enabled {
			t.Errorf("got %+v", *p)
		}
	})
	t.Run("ErrDuplicateDrop", func(t *testing.T) {
		path := filepath.Join(dir, "nieuw.yaml")
		write(t, path, "id: nieuw\nname: Nieuw\nadapter: {name: csv}\ndrop: {folder: inbox/ggz}\n")
		_, err := config.LoadPartner(cfg, path)
		wantProblems(t, err, path+`:4:16: drop.folder: dropmap "inbox/ggz" is ook de dropmap van partner "ggz-oost" (testdata/ok/partners/ggz-oost.yaml); elke partner heeft een eigen dropmap [CONFIG_DUPLICATE]`)
	})
	t.Run("ErrSchema", func(t *testing.T) {
		path := filepath.Join(dir, "kapot.yaml")
		write(t, path, "id: kapot\nadapter: {name: xml}\n")
		_, err := config.LoadPartner(cfg, path)
		wantProblems(t, err,
			path+`:1:1: name: verplicht veld "name" ontbreekt [CONFIG_REQUIRED]`,
			path+`:2:17: adapter.name: adapter "xml" staat niet in de adaptercatalogus (adapters) van ketenhub.yaml; bekend: csv, iwmo [CONFIG_ADAPTER_UNKNOWN]`)
	})
}

// TestAdapterConfig covers what the adapter-config folder does not: a
// schema that does not compile.
func TestAdapterConfig(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := &cfg.Partners[0]
	t.Run("OK", func(t *testing.T) {
		schema := `{"type": "object", "properties": {"delimiter": {"type": "string"}}}`
		if errs := config.ValidateAdapterConfig(p, []byte(schema)); errs.Err() != nil {
			t.Error(errs)
		}
	})
	t.Run("ErrAdapterSchema", func(t *testing.T) {
		errs := config.ValidateAdapterConfig(p, []byte(`{"type": "object", "properties": {"x": {"type": 5}}}`))
		if len(errs) != 1 || errs[0].Code != config.CodeAdapterSchema || errs[0].Line != 4 {
			t.Errorf("got %v", errs)
		}
	})
	t.Run("ErrRemoteRef", func(t *testing.T) {
		errs := config.ValidateAdapterConfig(p, []byte(`{"$ref": "https://example.org/schema.json"}`))
		if len(errs) != 1 || errs[0].Code != config.CodeAdapterSchema {
			t.Errorf("got %v", errs)
		}
	})
}

func TestAdapterConfigError(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ggz, wt := &cfg.Partners[0], &cfg.Partners[1]
	tests := []struct {
		name    string
		p       *config.Partner
		pointer string
		want    string
	}{
		{"Field", ggz, "/delimiter", "testdata/ok/partners/ggz-oost.yaml:6:16: adapter.config.delimiter: m [C]"},
		{"ListItem", ggz, "/columns/2", "testdata/ok/partners/ggz-oost.yaml:7:26: adapter.config.columns[2]: m [C]"},
		{"Whole", ggz, "", "testdata/ok/partners/ggz-oost.yaml:5:3: adapter.config: m [C]"},
		{"Missing", ggz, "/nested/c", "testdata/ok/partners/ggz-oost.yaml:8:13: adapter.config.nested.c: m [C]"},
		{"NoConfig", wt, "/columns", "testdata/ok/partners/wijkteam.yaml:3:1: adapter.config.columns: m [C]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := filepath.ToSlash(tt.p.AdapterConfigError(tt.pointer, "C", "m").Error()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestExampleConfig loads the example region in config/. Its partner files
// may come and go; whatever is there must load.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Adapters["csv"]; !ok {
		t.Error("the example catalog has no csv adapter")
	}
	for _, p := range cfg.Partners {
		var v map[string]any
		if err := json.Unmarshal(p.Adapter.Config, &v); err != nil {
			t.Errorf("partner %s: adapter config is not a JSON object: %v", p.ID, err)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  config.Error
		want string
	}{
		{"Full", config.Error{File: "a.yaml", Line: 3, Column: 5, Field: "adapter.name", Code: "C", Message: "m"}, "a.yaml:3:5: adapter.name: m [C]"},
		{"NoColumn", config.Error{File: "a.yaml", Line: 3, Code: "C", Message: "m"}, "a.yaml:3: m [C]"},
		{"NoPosition", config.Error{File: "a.yaml", Field: "id", Code: "C", Message: "m"}, "a.yaml: id: m [C]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	errs := config.Errors{tests[0].err, tests[1].err}
	if got, want := errs.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	if config.Errors(nil).Err() != nil {
		t.Error("empty Errors.Err() is not nil")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	var problems config.Errors
	if !errors.As(err, &problems) {
		t.Fatalf("got %v, want config.Errors", err)
	}
	if got := problems.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
