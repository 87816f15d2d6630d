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
		{"OK", `{"role": "aanbieder", "codes": ["98026987"], "message_types": ["WMO301"], "process_steps": {"WMO301": "triage"}, "timezone": "UTC"}`, ""},
		{"ErrJSON", `{`, ""},
		{"ErrUnknownSetting", `{"role": "gemeente", "codes": ["0384"], "delimiter": ";"}`, "/delimiter"},
		{"ErrType", `{"role": "gemeente", "codes": "0384"}`, "/codes"},
		{"ErrNoRole", `{"codes": ["0384"]}`, "/role"},
		{"ErrRole", `{"role": "zorgverzekeraar", "codes": ["0384"]}`, "/role"},
		{"ErrNoCodes", `{"role": "gemeente"}`, "/codes"},
		{"ErrCodeForRole", `{"role": "aanbieder", "codes": ["0384"]}`, "/codes/0"},
		{"ErrMessageType", `{"role": "gemeente", "codes": ["0384"], "message_types": ["WMO301", "JW301"]}`, "/message_types/1"},
		{"ErrStepType", `{"role": "gemeente", "codes": ["0384"], "process_steps": {"WMO399": "triage"}}`, "/process_steps/WMO399"},
		{"ErrStep", `{"role": "gemeente", "codes": ["0384"], "process_steps": {"WMO301": "toewijzing"}}`, "/process_steps/WMO301"},
		{"ErrMunicipalityCode", `{"role": "gemeente", "codes": ["0384"], "municipalities": {"384": "Diemen"}}`, "/municipalities/384"},
		{"ErrProviderName", `{"role": "gemeente", "codes": ["0384"], "providers": {"98025566": " "}}`, "/providers/98025566"},
		{"ErrDomain", `{"role": "gemeente", "codes": ["0384"], "life_domains": {"16": "Wonen"}}`, "/life_domains/16"},
		{"ErrEncoding", `{"role": "gemeente", "codes": ["0384"], "ei_encoding": "latin1"}`, "/ei_encoding"},
		{"ErrSecret", `{"role": "gemeente", "codes": ["0384"], "key_secret": "kort"}`, "/key_secret"},
		{"ErrTimezone", `{"role": "gemeente", "codes": ["0384"], "timezone": "Europe/Diemen"}`, "/timezone"},
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
			// What Configure refuses the schema refuses too, where the schema
			// can see it (not the role-dependent code length).
			if tt.name != "ErrJSON" && tt.name != "ErrCodeForRole" && tt.name != "ErrTimezone" && adaptertest.SchemaAccepts(t, configSchemaJSON, tt.config) {
				t.Errorf("config.schema.json accepts what Configure refuses: %s", tt.config)
			}
		})
	}
	t.Run("ErrKeepsPrevious", func(t *testing.T) {
		a := mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen")))
		adaptertest.KeepsPrevious(t, a, &a.plan, testPartner, []byte(`{}`))
	})
}

// TestTestConfigs checks the configurations in testdata against the schema.
func TestTestConfigs(t *testing.T) {
	for _, name := range []string{"gemeente-diemen", "aanbieder-thuishulp"} {
		if !adaptertest.SchemaAccepts(t, configSchemaJSON, string(adaptertest.ReadConfig(t, name))) {
			t.Errorf("config.schema.json refuses testdata/config/%s.json", name)
		}
	}
}
