// Package schema validates documents against Ketenhub's embedded JSON
// Schemas and turns validation failures into Dutch, field-level issues.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/schemas"
)

// Issue is one validation failure at one place in a document.
type Issue struct {
	Pointer string // JSON pointer of the offending value, "" for the root
	Field   string // the same place as a dotted path (client.birth_date)
	Keyword string // the schema keyword that failed (required, enum, ...)
	Message string // Dutch, without the offending value (it may be personal data)
}

// Validator validates JSON documents against one compiled schema. It is safe
// for concurrent use.
type Validator struct {
	schema *jsonschema.Schema
}

// Compile compiles the embedded schema file name from package schemas.
func Compile(name string) (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	c.AssertFormat = true
	entries, err := schemas.FS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("list embedded schemas: %w", err)
	}
	for _, e := range entries {
		b, err := schemas.FS.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource(e.Name(), bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("load schema %s: %w", e.Name(), err)
		}
	}
	s, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return &Validator{schema: s}, nil
}

// CompileBytes compiles a schema given as JSON, such as an adapter's own
// configuration schema.
func CompileBytes(url string, doc []byte) (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	if err := c.AddResource(url, bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("load schema %s: %w", url, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", url, err)
	}
	return &Validator{schema: s}, nil
}

// ValidateJSON parses doc and validates it. It returns the parsed value
// (maps, slices, json.Number, strings, bools) and the issues found; an error
// only when doc is not JSON.
func (v *Validator) ValidateJSON(doc []byte) (any, []Issue, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return nil, nil, fmt.Errorf("parse json: %w", err)
	}
	return val, v.Validate(val), nil
}

// Validate validates an already parsed value (as produced by encoding/json
// with UseNumber, or any JSON-compatible tree) and returns its issues.
func (v *Validator) Validate(val any) []Issue {
	err := v.schema.Validate(val)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Issue{{Keyword: "schema", Message: "document kon niet worden gecontroleerd"}}
	}
	return Issues(ve)
}

// Issues flattens a validation error to its leaf causes, sorted by place,
// with Dutch messages.
func Issues(ve *jsonschema.ValidationError) []Issue {
	var out []Issue
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, leafIssue(e))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return dedupe(out)
}

func dedupe(in []Issue) []Issue {
	out := in[:0]
	seen := map[Issue]bool{}
	for _, i := range in {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

func leafIssue(e *jsonschema.ValidationError) Issue {
	kw := e.KeywordLocation
	if i := strings.LastIndex(kw, "/"); i >= 0 {
		kw = kw[i+1:]
	}
	ptr := e.InstanceLocation
	is := Issue{Pointer: ptr, Keyword: kw, Field: PointerToField(ptr)}
	is.Message = dutch(kw, e.Message, is.Field)
	// A missing or unknown property is reported on its parent; name the property itself.
	switch kw {
	case "required":
		if p := quoted(e.Message); p != "" {
			is.Field = joinField(is.Field, p)
			is.Pointer = ptr + "/" + p
			is.Message = "verplicht veld ontbreekt"
		}
	case "additionalProperties":
		if p := quoted(e.Message); p != "" {
			is.Field = joinField(is.Field, p)
			is.Pointer = ptr + "/" + p
			is.Message = "onbekend veld"
		}
	}
	return is
}

// PointerToField turns a JSON pointer (/client/birth_date) into a dotted
// field path (client.birth_date).
func PointerToField(ptr string) string {
	ptr = strings.TrimPrefix(ptr, "/")
	parts := strings.Split(ptr, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return strings.Join(parts, ".")
}

func joinField(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// quoted returns the first single-quoted name in a jsonschema message,
// such as missing properties: 'surname'.
func quoted(msg string) string {
	i := strings.IndexByte(msg, '\'')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(msg[i+1:], '\'')
	if j < 0 {
		return ""
	}
	return msg[i+1 : i+1+j]
}

// dutch translates a jsonschema leaf message per keyword. The offending value
// is never repeated: it may be personal data.
func dutch(keyword, msg, field string) string {
	switch keyword {
	case "required":
		return "verplicht veld ontbreekt"
	case "additionalProperties":
		return "onbekend veld"
	case "type":
		return "verkeerd type: " + translateType(msg)
	case "enum", "const":
		if i := strings.Index(msg, "must be one of "); i >= 0 {
			return "waarde is niet toegestaan; toegestaan: " + msg[i+len("must be one of "):]
		}
		if i := strings.Index(msg, "must be equal to "); i >= 0 {
			return "waarde is niet toegestaan; verwacht: " + msg[i+len("must be equal to "):]
		}
		return "waarde is niet toegestaan"
	case "pattern":
		return "waarde heeft niet de juiste vorm"
	case "format":
		return "waarde heeft niet het juiste formaat (" + lastWord(msg) + ")"
	case "minLength":
		return "waarde is te kort of leeg"
	case "maxLength":
		return "waarde is te lang"
	case "minimum", "exclusiveMinimum":
		return "waarde is te klein"
	case "maximum", "exclusiveMaximum":
		return "waarde is te groot"
	case "anyOf", "oneOf":
		return "geen van de toegestane vormen past"
	case "propertyNames":
		return "veldnaam heeft niet de juiste vorm"
	case "minItems":
		return "te weinig elementen"
	case "maxItems":
		return "te veel elementen"
	}
	return "voldoet niet aan het schema (" + keyword + ")"
}

func translateType(msg string) string {
	r := strings.NewReplacer("expected", "verwacht", "but got", "maar kreeg", "string", "tekst", "integer", "geheel getal",
		"number", "getal", "boolean", "ja/nee", "object", "object", "array", "lijst", "null", "leeg", " or ", " of ")
	return r.Replace(msg)
}

func lastWord(msg string) string {
	msg = strings.TrimSpace(msg)
	if i := strings.LastIndexByte(msg, ' '); i >= 0 {
		return strings.Trim(msg[i+1:], "'\"")
	}
	return msg
}
