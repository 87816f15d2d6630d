package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/schemas"
)

// FuzzPartnerFile feeds arbitrary bytes through the YAML conversion and the
// partner schema: it must never panic and every problem must carry a code
// and a message.
func FuzzPartnerFile(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "partners", "*.yaml"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, errs := parseYAML("p.yaml", data)
		if doc != nil {
			errs = append(errs, hubSchemas()[schemas.Partner].validate(doc, "")...)
		}
		for _, e := range errs {
			if e.Code == "" || e.Message == "" || e.File != "p.yaml" {
				t.Fatalf("incomplete problem %#v", e)
			}
			_ = e.Error()
		}
	})
}
