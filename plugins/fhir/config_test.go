package main

import (
	"context"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
)

func TestConfigure(t *testing.T) {
	tests := []struct {
		name, config, field string
	}{
		{"OK", `{"format": "xml", "max_resource_bytes": 1048576, "inactive": "ignore", "initials_from_given": false, "process_step": "triage"}`, ""},
		{"ErrJSON", `{`, ""},
		{"ErrUnknownSetting", `{"delimiter": ";"}`, "/delimiter"},
		{"ErrType", `{"format": 1}`, "/format"},
		{"ErrFormat", `{"format": "csv"}`, "/format"},
		{"ErrSmall", `{"max_resource_bytes": 1000}`, "/max_resource_bytes"},
		{"ErrInactive", `{"inactive": "keep"}`, "/inactive"},
		{"ErrStep", `{"process_step": "intake"}`, "/process_step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newAdapter().Configure(context.Background(), testPartner, []byte(tt.config))
			if tt.name == "OK" {
				if err != nil {
					t.Fatalf("Configure: %v", err)
				}
				return
			}
			adaptertest.WantConfigError(t, err, tt.field)
			// What Configure refuses the schema refuses too.
			if tt.name != "ErrJSON" && adaptertest.SchemaAccepts(t, configSchemaJSON, tt.config) {
				t.Errorf("config.schema.json accepts what Configure refuses: %s", tt.config)
			}
		})
	}
	t.Run("ErrKeepsPrevious", func(t *testing.T) {
		a := mustAdapter(t, string(adaptertest.ReadConfig(t, "ggz-bulk")))
		adaptertest.KeepsPrevious(t, a, &a.plan, testPartner, []byte(`{"format": "csv"}`))
	})
}

// TestTestConfigs checks the configurations in testdata against the schema.
func TestTestConfigs(t *testing.T) {
	for _, name := range []string{"default", "ggz-bulk"} {
		if !adaptertest.SchemaAccepts(t, configSchemaJSON, string(adaptertest.ReadConfig(t, name))) {
			t.Errorf("config.schema.json refuses testdata/config/%s.json", name)
		}
	}
}
