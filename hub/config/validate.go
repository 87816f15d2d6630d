package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/schemas"
)

// schemaDoc is a compiled schema together with its raw documents, which the
// translation of validation errors reads to name allowed values, fields and
// patterns.
type schemaDoc struct {
	schema *jsonschema.Schema
	raw    map[string]any // document URL without fragment -> decoded JSON
}

// compileSchema compiles a JSON Schema (draft-07 unless it says otherwise).
// References to other documents are refused: a schema must be
// self-contained.
func compileSchema(url string, data []byte) (*schemaDoc, error) {
	raw, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schema %s refers to %s; only self-contained schemas are allowed", url, s)
	}
	if err := c.AddResource(url, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	sd := &schemaDoc{schema: s, raw: map[string]any{url: raw}}
	if m, ok := raw.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok {
			sd.raw[strings.TrimSuffix(id, "#")] = raw
		}
	}
	return sd, nil
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

const schemaBase = "https://ketenhub.nl/schemas/"

// hubSchemas compiles the embedded hub and partner schemas once. They are
// part of the binary, so a failure is a programming error.
var hubSchemas = sync.OnceValue(func() map[string]*schemaDoc {
	out := map[string]*schemaDoc{}
	for _, name := range []string{schemas.Config, schemas.Partner} {
		data, err := schemas.FS.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("config: read embedded schema %s: %v", name, err))
		}
		sd, err := compileSchema(schemaBase+name, data)
		if err != nil {
			panic(fmt.Sprintf("config: compile embedded schema %s: %v", name, err))
		}
		out[name] = sd
	}
	return out
})

// validate checks the document against the schema and returns every
// problem, located in the YAML and translated to Dutch. prefix is put in
// front of every field name.
func (sd *schemaDoc) validate(d *document, prefix string) Errors {
	err := sd.schema.Validate(d.value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return Errors{{File: d.file, Field: prefix, Code: CodeSchema,
			Message: "kan niet worden gecontroleerd: " + err.Error()}}
	}
	t := translator{sd: sd, d: d, prefix: prefix}
	t.walk(ve)
	return t.errs
}

type translator struct {
	sd     *schemaDoc
	d      *document
	prefix string
	errs   Errors
}

// walk visits the leaf causes of a validation error. For a failed anyOf
// or oneOf only the alternatives that fit the type of the value are
// followed; when none fits, the result is one type problem naming the
// types of all alternatives.
func (t *translator) walk(ve *jsonschema.ValidationError) {
	if len(ve.Causes) == 0 {
		t.leaf(ve)
		return
	}
	if kw := lastToken(ve.KeywordLocation); kw == "anyOf" || kw == "oneOf" {
		var fit []*jsonschema.ValidationError
		var types []string
		for _, c := range ve.Causes {
			if tl, ok := t.typeMismatch(c, ve.InstanceLocation); ok {
				types = append(types, tl...)
			} else {
				fit = append(fit, c)
			}
		}
		if len(fit) == 0 {
			t.add(ve.InstanceLocation, false, CodeType, typeMessage(types, valueAt(t.d.value, ve.InstanceLocation)))
			return
		}
		t.errs = append(t.errs, t.closest(fit)...)
		return
	}
	for _, c := range ve.Causes {
		t.walk(c)
	}
}

// closest translates the alternatives that fit the value's type and keeps
// the problems of the one the value comes closest to: the fewest problems,
// then the deepest ones (the value got further into that alternative).
func (t *translator) closest(alternatives []*jsonschema.ValidationError) Errors {
	var best Errors
	bestDepth := -1
	for _, c := range alternatives {
		sub := translator{sd: t.sd, d: t.d, prefix: t.prefix}
		sub.walk(c)
		depth := 0
		for _, e := range sub.errs {
			depth += strings.Count(e.Field, ".") + strings.Count(e.Field, "[")
		}
		if bestDepth < 0 || len(sub.errs) < len(best) || len(sub.errs) == len(best) && depth > bestDepth {
			best, bestDepth = sub.errs, depth
		}
	}
	return best
}

// typeMismatch tells whether an alternative failed only because the value
// at loc has another type, and which types it wanted.
func (t *translator) typeMismatch(ve *jsonschema.ValidationError, loc string) ([]string, bool) {
	if len(ve.Causes) == 0 {
		if lastToken(ve.KeywordLocation) != "type" || ve.InstanceLocation != loc {
			return nil, false
		}
		kv, ok := t.keyword(ve.AbsoluteKeywordLocation)
		return typeList(kv), ok
	}
	var types []string
	for _, c := range ve.Causes {
		tl, ok := t.typeMismatch(c, loc)
		if !ok {
			return nil, false
		}
		types = append(types, tl...)
	}
	return types, true
}

func (t *translator) add(ptr string, onKey bool, code, msg string) {
	t.errs = append(t.errs, t.d.at(t.prefix, ptr, onKey, code, msg))
}

// keyword returns the value of the keyword an absolute keyword location
// points at, read from the raw schema.
func (t *translator) keyword(absLoc string) (any, bool) {
	url, frag, _ := strings.Cut(absLoc, "#")
	doc, ok := t.sd.raw[url]
	if !ok {
		return nil, false
	}
	v := doc
	for _, tok := range splitPointer(frag) {
		switch c := v.(type) {
		case map[string]any:
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// parentSchema returns the schema object that holds the keyword.
func (t *translator) parentSchema(absLoc string) map[string]any {
	i := strings.LastIndex(absLoc, "/")
	if i < 0 {
		return nil
	}
	v, _ := t.keyword(absLoc[:i])
	m, _ := v.(map[string]any)
	return m
}

var quoted = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

// quotedNames extracts the 'names' of a jsonschema message, for when the
// raw schema cannot be read.
func quotedNames(msg string) []string {
	var names []string
	for _, m := range quoted.FindAllStringSubmatch(msg, -1) {
		names = append(names, m[1])
	}
	return names
}

func (t *translator) leaf(ve *jsonschema.ValidationError) {
	inst := ve.InstanceLocation
	toks := splitPointer(ve.KeywordLocation)
	kw := lastToken(ve.KeywordLocation)
	kv, known := t.keyword(ve.AbsoluteKeywordLocation)
	parent := t.parentSchema(ve.AbsoluteKeywordLocation)

	// The name of a property checked by propertyNames is the instance.
	isName := slices.Contains(toks, "propertyNames")
	val := valueAt(t.d.value, inst)
	subject := "waarde " + show(val)
	if isName {
		toks := splitPointer(inst)
		name := ""
		if len(toks) > 0 {
			name = toks[len(toks)-1]
		}
		val, subject = name, fmt.Sprintf("naam %q", name)
	}
	isDuration := strings.Contains(ve.AbsoluteKeywordLocation, "/definitions/duration/") ||
		strings.Contains(ve.AbsoluteKeywordLocation, "/$defs/duration/")

	switch {
	case ve.Message == "not allowed": // the false schema
		t.add(inst, true, CodeUnknownField, "dit veld is hier niet toegestaan")
	case len(toks) >= 3 && (toks[len(toks)-3] == "dependencies" || toks[len(toks)-3] == "dependentRequired"):
		need, _ := kv.(string)
		if need == "" {
			if n := quotedNames(ve.Message); len(n) > 0 {
				need = n[0]
			}
		}
		t.missing(inst, need, fmt.Sprintf("verplicht veld %q ontbreekt; het is verplicht als %q is ingevuld", need, toks[len(toks)-2]))
	case isDuration && (kw == "pattern" || kw == "type"):
		t.add(inst, isName, CodeDuration, fmt.Sprintf("%s is geen geldige duur; schrijf een getal met eenheid (ns, us, ms, s, m, h), bijvoorbeeld 500ms, 2s of 1m30s", show(val)))
	case kw == "required":
		var names []string
		if list, ok := kv.([]any); ok {
			obj, _ := val.(map[string]any)
			for _, n := range list {
				if s, ok := n.(string); ok {
					if _, present := obj[s]; !present {
						names = append(names, s)
					}
				}
			}
		} else {
			names = quotedNames(ve.Message)
		}
		because := t.condition(ve.AbsoluteKeywordLocation)
		for _, n := range names {
			t.missing(inst, n, fmt.Sprintf("verplicht veld %q ontbreekt%s", n, because))
		}
	case kw == "additionalProperties":
		t.unknownFields(inst, val, parent, ve.Message)
	case kw == "type" && inst == "" && t.d.root == nil:
		t.add(inst, false, CodeType, "het bestand is leeg")
	case kw == "type":
		t.add(inst, isName, CodeType, typeMessage(typeList(kv), val))
	case kw == "enum":
		list, _ := kv.([]any)
		t.add(inst, isName, CodeEnum, fmt.Sprintf("%s is niet toegestaan; kies uit: %s", subject, showList(list)))
	case kw == "const":
		if !known {
			t.add(inst, isName, CodeEnum, fmt.Sprintf("%s is niet toegestaan", subject))
			break
		}
		t.add(inst, isName, CodeEnum, fmt.Sprintf("%s is niet toegestaan; verwacht: %s", subject, show(kv)))
	case kw == "pattern":
		hint, _ := parent["description"].(string)
		if hint == "" {
			hint = fmt.Sprintf("patroon %v", kv)
		}
		t.add(inst, isName, CodePattern, fmt.Sprintf("%s heeft niet de juiste vorm: %s", subject, hint))
	case kw == "format":
		format, _ := kv.(string)
		t.add(inst, isName, CodePattern, fmt.Sprintf("%s is geen %s", subject, formatName(format)))
	case kw == "minimum":
		t.add(inst, isName, CodeRange, fmt.Sprintf("moet minstens %v zijn, maar is %v", kv, show(val)))
	case kw == "exclusiveMinimum":
		t.add(inst, isName, CodeRange, fmt.Sprintf("moet groter zijn dan %v, maar is %v", kv, show(val)))
	case kw == "maximum":
		t.add(inst, isName, CodeRange, fmt.Sprintf("mag hoogstens %v zijn, maar is %v", kv, show(val)))
	case kw == "exclusiveMaximum":
		t.add(inst, isName, CodeRange, fmt.Sprintf("moet kleiner zijn dan %v, maar is %v", kv, show(val)))
	case kw == "multipleOf":
		t.add(inst, isName, CodeRange, fmt.Sprintf("moet een veelvoud van %v zijn, maar is %v", kv, show(val)))
	case kw == "minLength":
		t.add(inst, isName, CodeRange, fmt.Sprintf("%s is te kort: minstens %v %s", subject, kv, plural(kv, "teken", "tekens")))
	case kw == "maxLength":
		t.add(inst, isName, CodeRange, fmt.Sprintf("%s is te lang: hoogstens %v %s", subject, kv, plural(kv, "teken", "tekens")))
	case kw == "minItems":
		t.add(inst, false, CodeRange, fmt.Sprintf("de lijst moet minstens %v %s bevatten", kv, plural(kv, "element", "elementen")))
	case kw == "maxItems":
		t.add(inst, false, CodeRange, fmt.Sprintf("de lijst mag hoogstens %v %s bevatten", kv, plural(kv, "element", "elementen")))
	case kw == "uniqueItems":
		t.add(inst, false, CodeRange, "de lijst bevat hetzelfde element meer dan eens")
	case kw == "minProperties":
		t.add(inst, true, CodeRange, fmt.Sprintf("moet minstens %v %s bevatten", kv, plural(kv, "veld", "velden")))
	case kw == "maxProperties":
		t.add(inst, true, CodeRange, fmt.Sprintf("mag hoogstens %v %s bevatten", kv, plural(kv, "veld", "velden")))
	case kw == "not":
		t.add(inst, false, CodeSchema, "deze waarde is hier niet toegestaan")
	case kw == "oneOf":
		t.add(inst, false, CodeSchema, "de waarde past op meer dan één van de toegestane vormen; maak haar eenduidig")
	default:
		t.add(inst, isName, CodeSchema, "voldoet niet aan het schema: "+ve.Message)
	}
}

// condition explains a rule under "then" by the constant values its "if"
// tests, as in `; dat is verplicht omdat bus "nats" is`.
func (t *translator) condition(absLoc string) string {
	i := strings.LastIndex(absLoc, "/then/")
	if i < 0 {
		return ""
	}
	cond, _ := t.keyword(absLoc[:i] + "/if")
	m, _ := cond.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	var parts []string
	for name, p := range props {
		pm, _ := p.(map[string]any)
		if c, ok := pm["const"]; ok {
			parts = append(parts, fmt.Sprintf("%s %s is", name, show(c)))
		} else if e, ok := pm["enum"].([]any); ok {
			parts = append(parts, fmt.Sprintf("%s een van %s is", name, showList(e)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return "; dat is verplicht omdat " + strings.Join(parts, " en ")
}

// missing reports a missing field name under the mapping at ptr: the field
// is the missing one, the position is the key of the mapping (or the
// mapping itself at the top of the file).
func (t *translator) missing(ptr, name, msg string) {
	e := t.d.at(t.prefix, ptr, true, CodeRequired, msg)
	e.Field = fieldPath(t.prefix, t.d.value, joinPointer(ptr, name))
	t.errs = append(t.errs, e)
}

// unknownFields reports each property that additionalProperties: false
// rejects, at its key.
func (t *translator) unknownFields(inst string, val any, parent map[string]any, msg string) {
	var allowed []string
	props, _ := parent["properties"].(map[string]any)
	for name := range props {
		allowed = append(allowed, name)
	}
	sort.Strings(allowed)
	var patterns []*regexp.Regexp
	var patternText []string
	if pp, ok := parent["patternProperties"].(map[string]any); ok {
		for p := range pp {
			if re, err := regexp.Compile(p); err == nil {
				patterns = append(patterns, re)
				patternText = append(patternText, p)
			}
		}
		sort.Strings(patternText)
	}
	var unknown []string
	if obj, ok := val.(map[string]any); ok && parent != nil {
	names:
		for name := range obj {
			if _, ok := props[name]; ok {
				continue
			}
			for _, re := range patterns {
				if re.MatchString(name) {
					continue names
				}
			}
			unknown = append(unknown, name)
		}
	} else {
		unknown = quotedNames(msg)
	}
	hint := "hier zijn geen velden toegestaan"
	switch {
	case len(allowed) > 0 && len(patternText) > 0:
		hint = "toegestaan: " + strings.Join(allowed, ", ") + " en namen volgens " + strings.Join(patternText, ", ")
	case len(allowed) > 0:
		hint = "toegestaan: " + strings.Join(allowed, ", ")
	case len(patternText) > 0:
		hint = "toegestaan zijn namen volgens " + strings.Join(patternText, ", ")
	}
	for _, name := range unknown {
		t.add(joinPointer(inst, name), true, CodeUnknownField, fmt.Sprintf("onbekend veld %q; %s", name, hint))
	}
}

func lastToken(ptr string) string {
	toks := splitPointer(ptr)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}

func typeList(kv any) []string {
	switch v := kv.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var typeNames = map[string]string{
	"string":  "tekst",
	"integer": "een geheel getal",
	"number":  "een getal",
	"boolean": "true of false",
	"object":  "een mapping (velden met waarden)",
	"array":   "een lijst",
	"null":    "leeg",
}

func typeMessage(types []string, val any) string {
	var want []string
	for _, t := range types {
		n, ok := typeNames[t]
		if !ok {
			n = t
		}
		if !slices.Contains(want, n) {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return "heeft het verkeerde type: " + describe(val)
	}
	return fmt.Sprintf("moet %s zijn, maar is %s", orList(want), describe(val))
}

func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " of " + items[len(items)-1]
}

// describe names the type of a value and shows a scalar value.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "leeg"
	case string:
		return fmt.Sprintf("tekst (%q)", v)
	case json.Number:
		return fmt.Sprintf("een getal (%s)", v)
	case bool:
		return fmt.Sprintf("%t", v)
	case map[string]any:
		return "een mapping"
	case []any:
		return "een lijst"
	}
	return fmt.Sprintf("%v", v)
}

// show writes a value as it would appear in YAML, strings quoted.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "leeg"
	case string:
		return fmt.Sprintf("%q", v)
	case map[string]any:
		return "(mapping)"
	case []any:
		return "(lijst)"
	}
	return fmt.Sprintf("%v", v)
}

func showList(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		if s, ok := v.(string); ok {
			parts[i] = s
		} else {
			parts[i] = show(v)
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n any, one, many string) string {
	if fmt.Sprint(n) == "1" {
		return one
	}
	return many
}

var formatNames = map[string]string{
	"email":         "geldig e-mailadres",
	"idn-email":     "geldig e-mailadres",
	"hostname":      "geldige hostnaam",
	"idn-hostname":  "geldige hostnaam",
	"ipv4":          "geldig IPv4-adres",
	"ipv6":          "geldig IPv6-adres",
	"uri":           "geldige URI (bijvoorbeeld https://voorbeeld.nl/pad)",
	"uri-reference": "geldige URI-verwijzing",
	"iri":           "geldige IRI",
	"date":          "geldige datum (JJJJ-MM-DD)",
	"time":          "geldige tijd (UU:MM:SS met tijdzone)",
	"date-time":     "geldig tijdstip (bijvoorbeeld 2024-01-31T13:45:00+01:00)",
	"duration":      "geldige ISO 8601-duur (bijvoorbeeld PT5M)",
	"regex":         "geldige reguliere expressie",
	"uuid":          "geldige UUID",
	"json-pointer":  "geldige JSON-pointer",
}

func formatName(f string) string {
	if n, ok := formatNames[f]; ok {
		return n
	}
	return fmt.Sprintf("geldige waarde van het formaat %q", f)
}
