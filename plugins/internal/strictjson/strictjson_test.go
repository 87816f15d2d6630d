package strictjson

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

type inner struct {
	Form string `json:"form"`
}

// UnmarshalJSON refuses form "x" with its own error, as a nested setting
// with its own rules does.
func (i *inner) UnmarshalJSON(b []byte) error {
	type plain inner
	var p plain
	if err := (Object{At: "/output", NotObject: "output is geen JSON-object", Trailing: "output is geen JSON-object"}).Decode(b, &p); err != nil {
		return err
	}
	if p.Form == "x" {
		return &sdk.ConfigError{Field: "/output/form", Message: "eigen fout"}
	}
	*i = inner(p)
	return nil
}

type config struct {
	Name   string `json:"name"`
	Limits struct {
		Max int `json:"max"`
	} `json:"limits"`
	Output *inner `json:"output"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, raw, field, msg string
	}{
		{"OK", `{"name": "a", "limits": {"max": 3}, "output": {"form": "y"}}`, "-", ""},
		{"ErrType", `{"name": 1}`, "/name", "verkeerd soort waarde (verwacht string)"},
		{"ErrTypeNested", `{"limits": {"max": "veel"}}`, "/limits/max", "verkeerd soort waarde (verwacht int)"},
		{"ErrTypeRoot", `[]`, "/", "verkeerd soort waarde (verwacht strictjson.config)"},
		{"ErrUnknown", `{"naam": "a"}`, "/naam", "onbekende instelling"},
		{"ErrJSON", `{"name": `, "", "de configuratie is geen geldig JSON-object"},
		{"ErrTrailing", `{"name": "a"} {}`, "", "na de configuratie staat nog tekst"},
		{"ErrOutputType", `{"output": {"form": 1}}`, "/output/form", "verkeerd soort waarde (verwacht string)"},
		{"ErrOutputNoObject", `{"output": 5}`, "/output", "verkeerd soort waarde (verwacht strictjson.plain)"},
		{"ErrOutputUnknown", `{"output": {"vorm": "y"}}`, "/output/vorm", "onbekende instelling"},
		{"ErrOutputOwn", `{"output": {"form": "x"}}`, "/output/form", "eigen fout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c config
			err := Config.Decode([]byte(tt.raw), &c)
			if tt.field == "-" {
				if err != nil || c.Name != "a" || c.Limits.Max != 3 || c.Output == nil || c.Output.Form != "y" {
					t.Errorf("Decode = %v, %+v", err, c)
				}
				return
			}
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || ce.Message != tt.msg {
				t.Errorf("Decode = %#v, want a *sdk.ConfigError {%q, %q}", err, tt.field, tt.msg)
			}
		})
	}
}

// TestDecodeOutputTrailing checks the messages of an object below the
// configuration: text after it, and no object at all.
func TestDecodeOutputTrailing(t *testing.T) {
	o := Object{At: "/output", NotObject: "geen object", Trailing: "tekst erna"}
	var v struct {
		Form string `json:"form"`
	}
	for raw, want := range map[string]sdk.ConfigError{
		`{"form": "y"} 1`: {Field: "/output", Message: "tekst erna"},
		`{"form"`:         {Field: "/output", Message: "geen object"},
	} {
		err := o.Decode(json.RawMessage(raw), &v)
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || *ce != want {
			t.Errorf("Decode(%s) = %v, want %+v", raw, err, want)
		}
	}
}
