package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Schema is the JSON Schema of an adapter's configuration, compiled once on
// first use.
type Schema struct {
	compile func() (*jsonschema.Schema, error)
}

// NewSchema returns the schema doc (draft-07), known by url.
func NewSchema(url string, doc []byte) *Schema {
	s := &Schema{}
	s.compile = sync.OnceValues(func() (*jsonschema.Schema, error) {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft7
		if err := c.AddResource(url, bytes.NewReader(doc)); err != nil {
			return nil, fmt.Errorf("add config schema: %w", err)
		}
		cs, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("compile config schema: %w", err)
		}
		return cs, nil
	})
	return s
}

// Compile compiles the schema, if that was not done yet, and returns the
// error of compiling it.
func (s *Schema) Compile() error {
	_, err := s.compile()
	return err
}

// Decode checks the configuration raw against the schema and decodes it
// into v. It returns a *sdk.ConfigError for JSON that is no valid
// configuration, naming the most specific violation in Dutch.
func (s *Schema) Decode(raw []byte, v any) error {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return &sdk.ConfigError{Field: "", Message: "de configuratie is geen geldige JSON"}
	}
	if err := s.validate(doc); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &sdk.ConfigError{Field: "", Message: "de configuratie past niet in het schema van de adapter"}
	}
	return nil
}

// Parse checks the configuration raw against s and decodes it into a new
// C, as Decode does, and returns the *sdk.ConfigError of Decode.
func Parse[C any](s *Schema, raw []byte) (*C, error) {
	var c C
	if err := s.Decode(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// validate checks a decoded configuration against the schema and turns the
// most specific violation into a *sdk.ConfigError with a Dutch message.
func (s *Schema) validate(doc any) error {
	cs, err := s.compile()
	if err != nil {
		return err
	}
	err = cs.Validate(doc)
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
			return e.InstanceLocation + Pointer(m[1])
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
			return "onbekend doelveld; bekende doelvelden: " + knownTargets()
		}
		if strings.HasSuffix(e.AbsoluteKeywordLocation, "/definitions/pointer/pattern") {
			return "geen JSON-pointer (RFC 6901): die begint met /, en ~ staat alleen in ~0 en ~1"
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
