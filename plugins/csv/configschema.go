package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// configSchemaJSON is the JSON Schema of Config, reported by Describe.
//
//go:embed config.schema.json
var configSchemaJSON []byte

const configSchemaURL = "https://ketenhub.nl/schemas/adapter-csv.config.schema.json"

// configSchema compiles configSchemaJSON once.
var configSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	if err := c.AddResource(configSchemaURL, bytes.NewReader(configSchemaJSON)); err != nil {
		return nil, fmt.Errorf("add config schema: %w", err)
	}
	s, err := c.Compile(configSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile config schema: %w", err)
	}
	return s, nil
})

// validateSchema checks a decoded configuration against config.schema.json
// and turns the most specific violation into a *sdk.ConfigError with a Dutch
// message.
func validateSchema(doc any) error {
	s, err := configSchema()
	if err != nil {
		return err
	}
	err = s.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	leaf := mostSpecific(ve)
	return &sdk.ConfigError{Field: leafPointer(leaf), Message: schemaMessage(leaf)}
}

// mostSpecific picks the violation that best explains the error: the deepest
// instance location, and among those one that is not a mere type mismatch of
// another oneOf branch.
func mostSpecific(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	best := leaves[0]
	score := func(e *jsonschema.ValidationError) int {
		s := 2 * strings.Count(e.InstanceLocation, "/")
		if keyword(e) != "type" {
			s++
		}
		return s
	}
	for _, l := range leaves[1:] {
		if score(l) > score(best) {
			best = l
		}
	}
	return best
}

// keyword returns the schema keyword that failed.
func keyword(e *jsonschema.ValidationError) string {
	return e.KeywordLocation[strings.LastIndexByte(e.KeywordLocation, '/')+1:]
}

var quoted = regexp.MustCompile(`'([^']*)'`)

// leafPointer is the JSON pointer of a violation; for an unknown setting it
// points at the setting itself.
func leafPointer(e *jsonschema.ValidationError) string {
	if keyword(e) == "additionalProperties" {
		if m := quoted.FindStringSubmatch(e.Message); m != nil {
			return e.InstanceLocation + mapping.Pointer(m[1])
		}
	}
	return e.InstanceLocation
}

// schemaMessage says in Dutch what is wrong.
func schemaMessage(e *jsonschema.ValidationError) string {
	switch keyword(e) {
	case "additionalProperties":
		return "onbekende instelling"
	case "required":
		return "verplichte instelling ontbreekt: " + strings.TrimPrefix(e.Message, "missing properties: ")
	case "type":
		return "verkeerd soort waarde (" + e.Message + ")"
	case "enum":
		return "waarde niet toegestaan; " + strings.Replace(e.Message, "value must be one of", "toegestaan zijn", 1)
	case "pattern":
		if strings.HasSuffix(e.AbsoluteKeywordLocation, "/definitions/target/pattern") {
			return "onbekend doelveld; bekende doelvelden: " + mapping.KnownTargets()
		}
		return "waarde heeft niet de juiste vorm"
	case "minLength", "minItems", "minProperties":
		return "mag niet leeg zijn"
	case "maxLength":
		return "waarde is te lang"
	case "minimum":
		return "waarde is te klein"
	case "maximum":
		return "waarde is te groot"
	}
	return "ongeldige waarde (" + e.Message + ")"
}
