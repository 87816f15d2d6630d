// Package strictjson decodes an adapter's configuration, or a part of it,
// the strict way: a JSON object whose every member the Go type knows, and
// nothing after it. Each refusal is a *sdk.ConfigError with a JSON pointer
// and a Dutch message, as Configure must return. It serves the adapters
// whose configuration is read without a JSON Schema (plugins/fhir,
// plugins/iwmo); the mapping adapters check theirs with mapping.Schema.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Object says where a JSON object stands in the configuration and how to
// refuse it as a whole.
type Object struct {
	// At is the JSON pointer of the object: "" for the configuration
	// itself, "/output" for its output member.
	At string
	// NotObject is the message for input that is no JSON object of the
	// type.
	NotObject string
	// Trailing is the message for text after the object.
	Trailing string
}

// Config is the configuration of an adapter as a whole.
var Config = Object{NotObject: "de configuratie is geen geldig JSON-object", Trailing: "na de configuratie staat nog tekst"}

// Decode decodes the JSON object raw into v. It returns a *sdk.ConfigError:
//   - for a member of the wrong type, at the member, "verkeerd soort waarde
//     (verwacht <type>)";
//   - for a member v does not have, at the member, "onbekende instelling";
//   - the *sdk.ConfigError of a nested UnmarshalJSON, as it is;
//   - for input that is no JSON object, at o.At, o.NotObject;
//   - for text after the object, at o.At, o.Trailing.
func (o Object) Decode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ce *sdk.ConfigError
		if errors.As(err, &ce) {
			return ce
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &sdk.ConfigError{Field: o.typed(strings.ReplaceAll(te.Field, ".", "/")), Message: "verkeerd soort waarde (verwacht " + te.Type.String() + ")"}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return &sdk.ConfigError{Field: o.At + "/" + strings.Trim(name, `"`), Message: "onbekende instelling"}
		}
		return &sdk.ConfigError{Field: o.At, Message: o.NotObject}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &sdk.ConfigError{Field: o.At, Message: o.Trailing}
	}
	return nil
}

// typed is the JSON pointer of the value of the wrong type at path
// (slash-separated) in the object. The object itself (path "") is o.At,
// except for the configuration as a whole, which the adapters have always
// reported as "/".
func (o Object) typed(path string) string {
	if o.At == "" {
		return "/" + path
	}
	return strings.TrimSuffix(o.At+"/"+path, "/")
}
