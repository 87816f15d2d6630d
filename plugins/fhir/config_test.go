package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/plugins/sdk"
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
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || ce.Message == "" {
				t.Errorf("Configure = %v, want a *sdk.ConfigError for %q", err, tt.field)
			}
			// What Configure refuses the schema refuses too.
			if tt.name != "ErrJSON" && schemaAccepts(t, tt.config) {
				t.Errorf("config.schema.json accepts what Configure refuses: %s", tt.config)
			}
		})
	}
	t.Run("ErrKeepsPrevious", func(t *testing.T) {
		a := mustAdapter(t, string(readConfig(t, "ggz-bulk")))
		before := a.plan.Load()
		if err := a.Configure(context.Background(), testPartner, []byte(`{"format": "csv"}`)); err == nil {
			t.Fatal("Configure succeeded")
		}
		if a.plan.Load() != before {
			t.Error("a failed Configure replaced the configuration")
		}
	})
}

// TestTestConfigs checks the configurations in testdata against the schema.
func TestTestConfigs(t *testing.T) {
	for _, name := range []string{"default", "ggz-bulk"} {
		if !schemaAccepts(t, string(readConfig(t, name))) {
			t.Errorf("config.schema.json refuses testdata/config/%s.json", name)
		}
	}
}

func schemaAccepts(t *testing.T, config string) bool {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource("config.schema.json", bytes.NewReader(configSchemaJSON)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(config), &v); err != nil {
		return false
	}
	return s.Validate(v) == nil
}
