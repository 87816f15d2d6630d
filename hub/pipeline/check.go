package pipeline

import (
	"strings"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// CheckRecord checks one record that partner's adapter produced, as the
// decode stage does before a record is stored: JSON that satisfies the
// shared schema, with source.partner equal to partner and
// source.record_key equal to the key the adapter gave. It returns the
// record's key, or the problem as a record error with code SCHEMA_INVALID
// and a Dutch message that names the fields, never their values.
func CheckRecord(v *schema.Validator, partner string, r sdk.Record) (string, *sdk.RecordError) {
	reject := func(field, msg string) (string, *sdk.RecordError) {
		return "", &sdk.RecordError{Line: r.Line, Field: field, RecordKey: r.RecordKey, Code: sdk.CodeSchema, Message: msg}
	}
	val, issues, err := v.ValidateJSON(r.JSON)
	if err != nil {
		return reject("", "adapter leverde geen geldige JSON voor dit record")
	}
	if len(issues) > 0 {
		msgs := make([]string, len(issues))
		for i, is := range issues {
			msgs[i] = is.Field + ": " + is.Message
		}
		return reject(issues[0].Field, "record voldoet niet aan het gedeelde schema: "+strings.Join(msgs, "; "))
	}
	obj := val.(map[string]any) // the schema requires an object
	src, _ := obj["source"].(map[string]any)
	if p, _ := src["partner"].(string); p != partner {
		return reject("source.partner", "record hoort bij een andere partner dan het document")
	}
	key, _ := src["record_key"].(string)
	if r.RecordKey != "" && r.RecordKey != key {
		return reject("source.record_key", "recordsleutel van de adapter wijkt af van source.record_key")
	}
	return key, nil
}
