package mapping

import (
	"errors"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestParse(t *testing.T) {
	type config struct {
		N int `json:"n"`
	}
	s := NewSchema("https://ketenhub.nl/schemas/test.json", []byte(`{"$schema": "http://json-schema.org/draft-07/schema#",
	 "type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "additionalProperties": false}`))
	c, err := Parse[config](s, []byte(`{"n": 3}`))
	if err != nil || c == nil || c.N != 3 {
		t.Errorf("Parse = %+v, %v; want n 3", c, err)
	}
	for raw, field := range map[string]string{`{"n": 0}`: "/n", `{"m": 1}`: "/m", `{`: ""} {
		c, err := Parse[config](s, []byte(raw))
		var ce *sdk.ConfigError
		if c != nil || !errors.As(err, &ce) || ce.Field != field || ce.Message == "" {
			t.Errorf("Parse(%s) = %+v, %v; want a *sdk.ConfigError at %q", raw, c, err, field)
		}
	}
}
