package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
	"github.com/ketenhub/ketenhub/schemas"
)

// partners are the example partners of config/partners, each with its
// export in testdata.
var partners = []string{"ggz-oost", "opvang-zuid", "gemeente-szw"}

// goldenCases are the documents with golden output: the example exports and
// a broken export, each decoded with a partner's configuration.
var goldenCases = []struct{ name, partner string }{
	{"ggz-oost", "ggz-oost"},
	{"opvang-zuid", "opvang-zuid"},
	{"gemeente-szw", "gemeente-szw"},
	{"broken-opvang-zuid", "opvang-zuid"},
}

func TestGoldenPartnerExports(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			checkGolden(t, mustAdapter(t, gc.partner, string(partnerConfig(t, gc.partner))), gc.name)
		})
	}
}

// checkGolden decodes testdata/<name>.csv with a and compares the records,
// errors and consent statements with testdata/golden/<name>.json.
func checkGolden(t *testing.T, a sdk.Adapter, name string) {
	t.Helper()
	w := decodeString(t, a, string(sdktest.Testdata(t, name+".csv")))
	sdktest.CheckRecords(t, w.Records())
	sdktest.Golden(t, filepath.Join("testdata", "golden", name+".json"), sdktest.GoldenChunks(w.Chunks()), *update)
}

// TestPartnerConfigs checks the example partner files against the adapter's
// configuration schema and, where it is present, the hub's partner schema.
func TestPartnerConfigs(t *testing.T) {
	partnerSchema := compileFromFS(t, "partner.schema.json")
	for _, id := range partners {
		t.Run(id, func(t *testing.T) {
			cfg := partnerConfig(t, id)
			var c Config
			if err := configSchema.Decode(cfg, &c); err != nil {
				t.Errorf("adapter.config does not satisfy config.schema.json: %v", err)
			}
			if partnerSchema == nil {
				return
			}
			raw, err := os.ReadFile(filepath.Join("..", "..", "config", "partners", id+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &doc); err != nil {
				t.Fatal(err)
			}
			if err := partnerSchema.Validate(doc); err != nil {
				t.Errorf("%s.yaml does not satisfy partner.schema.json: %v", id, err)
			}
		})
	}
}

// compileFromFS compiles a schema of package schemas, or returns nil when
// the file is not there.
func compileFromFS(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	raw, err := schemas.FS.ReadFile(name)
	if err != nil {
		return nil
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource(name, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

// TestEveryColumnMapped checks that each example configuration maps every
// column of its export.
func TestEveryColumnMapped(t *testing.T) {
	for _, id := range partners {
		t.Run(id, func(t *testing.T) {
			a := mustAdapter(t, id, string(partnerConfig(t, id)))
			p := a.plan.Load()
			data, err := os.ReadFile(filepath.Join("testdata", id+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			header, _, _ := bytes.Cut(data, []byte("\n"))
			fields := bytes.Split(bytes.TrimSpace(header), []byte(string(p.read.Delimiter)))
			mapped := map[string]bool{}
			for _, c := range p.columns {
				mapped[mapping.Fold(c.key)] = true
			}
			for _, f := range fields {
				if !mapped[mapping.Fold(string(f))] {
					t.Errorf("column %q is not mapped", f)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	d, err := newAdapter().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "csv" || d.Version == "" || !slices.Equal(d.Capabilities, []string{"decode", sdk.CapabilityDigest, sdk.CapabilityEncode}) {
		t.Errorf("Describe = %s %s %q", d.Name, d.Version, d.Capabilities)
	}
	var v map[string]any
	if err := json.Unmarshal(d.ConfigSchema, &v); err != nil {
		t.Fatalf("config schema is no JSON: %v", err)
	}
	if v["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Errorf("config schema is not draft-07: %v", v["$schema"])
	}
	if err := configSchema.Compile(); err != nil {
		t.Errorf("config schema does not compile: %v", err)
	}
}
