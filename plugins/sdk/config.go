package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// DecodeConfig decodes an adapter's configuration strictly into v, a
// pointer to the adapter's configuration struct: a setting v does not know
// is refused. It returns a *ConfigError with a Dutch message for an
// unknown setting, a value of the wrong type, JSON that is no object and
// text after it. The hub has checked the configuration against the
// adapter's schema before, so these are the last line of defence.
func DecodeConfig(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &ConfigError{Field: "/" + strings.ReplaceAll(te.Field, ".", "/"), Message: "verkeerd soort waarde (verwacht " + te.Type.String() + ")"}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &ConfigError{Field: "/" + strings.Trim(name, `"`), Message: "onbekende instelling"}
		}
		return &ConfigError{Message: "de configuratie is geen geldig JSON-object"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &ConfigError{Message: "na de configuratie staat nog tekst"}
	}
	return nil
}
