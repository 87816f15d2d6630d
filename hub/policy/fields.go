package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ketenhub/ketenhub/schemas"
)

// fieldRule is what the registration schema says about one field.
type fieldRule struct {
	// class is the field's own x-sensitivity (inherited from the enclosing
	// object when the field has none).
	class Class
	// path holds the classes of the field and of every enclosing object: a
	// field is visible only when all of them are.
	path []Class
	// object is set when the schema describes the field's members; they are
	// filtered one by one.
	object bool
}

// fieldMap is the compiled field -> class map of the registration schema.
type fieldMap struct {
	rules        map[string]fieldRule // dotted path; "*" for any member name (life_domains.*)
	leaves       []string             // every field without members, sorted
	targetGroups []string             // the target_group enum
	processSteps []string             // the process_step enum
}

// registrationFields compiles the embedded registration schema once. It is
// part of the binary; TestFieldClasses keeps it compilable.
var registrationFields = sync.OnceValue(func() *fieldMap {
	data, err := schemas.FS.ReadFile(schemas.RegistrationV1)
	if err != nil {
		panic(fmt.Sprintf("policy: read embedded schema: %v", err))
	}
	fm, err := compileFields(data)
	if err != nil {
		panic(fmt.Sprintf("policy: %v", err))
	}
	return fm
})

// compileFields reads the x-sensitivity of every field of a schema.
func compileFields(data []byte) (*fieldMap, error) {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("compile field classes: %w", err)
	}
	fm := &fieldMap{rules: map[string]fieldRule{}}
	if err := fm.walk(root, "", "", nil); err != nil {
		return nil, fmt.Errorf("compile field classes: %w", err)
	}
	sort.Strings(fm.leaves)
	if props, ok := root["properties"].(map[string]any); ok {
		fm.targetGroups = enum(props, "target_group")
		fm.processSteps = enum(props, "process_step")
	}
	return fm, nil
}

// walk records the members of the schema node at prefix.
func (fm *fieldMap) walk(node map[string]any, prefix string, inherited Class, path []Class) error {
	members := map[string]map[string]any{}
	if props, ok := node["properties"].(map[string]any); ok {
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				members[name] = m
			}
		}
	}
	if ap, ok := node["additionalProperties"].(map[string]any); ok {
		members["*"] = ap
	}
	for name, m := range members {
		field := join(prefix, name)
		class := inherited
		if s, ok := m["x-sensitivity"].(string); ok {
			class = Class(s)
		}
		if !slices.Contains(Classes, class) {
			return fmt.Errorf("field %s has no known x-sensitivity (%q)", field, class)
		}
		p := append(slices.Clone(path), class)
		_, hasProps := m["properties"].(map[string]any)
		_, hasAP := m["additionalProperties"].(map[string]any)
		rule := fieldRule{class: class, path: p, object: hasProps || hasAP}
		fm.rules[field] = rule
		if !rule.object {
			fm.leaves = append(fm.leaves, field)
			continue
		}
		if err := fm.walk(m, field, class, p); err != nil {
			return err
		}
	}
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// enum returns the string values of the enum of property name.
func enum(props map[string]any, name string) []string {
	var out []string
	if p, ok := props[name].(map[string]any); ok {
		for _, v := range asList(p["enum"]) {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// lookup finds the rule of a member of the object at prefix.
func (fm *fieldMap) lookup(prefix, name string) (string, fieldRule, bool) {
	if r, ok := fm.rules[join(prefix, name)]; ok {
		return join(prefix, name), r, true
	}
	field := join(prefix, "*")
	r, ok := fm.rules[field]
	return field, r, ok
}

// visible reports whether every class of a rule's path is in classes.
func (r fieldRule) visible(classes []Class) bool {
	for _, c := range r.path {
		if !slices.Contains(classes, c) {
			return false
		}
	}
	return true
}

// FieldClasses returns the sensitivity class of every field of the
// registration schema, by dotted path ("client.bsn"; "life_domains.*.status"
// for the members of a map). Objects are listed too: a field is visible
// only when its own class and the classes of all objects around it are.
func FieldClasses() map[string]Class {
	fm := registrationFields()
	out := make(map[string]Class, len(fm.rules))
	for f, r := range fm.rules {
		out[f] = r.class
	}
	return out
}

// Fields returns the leaf fields of the registration schema that the
// classes make visible, sorted.
func Fields(visible []Class) []string {
	fm := registrationFields()
	var out []string
	for _, f := range fm.leaves {
		if fm.rules[f].visible(visible) {
			out = append(out, f)
		}
	}
	return out
}

// TargetGroups returns the target groups of the registration schema.
func TargetGroups() []string { return slices.Clone(registrationFields().targetGroups) }

// ProcessSteps returns the process steps of the registration schema, in order.
func ProcessSteps() []string { return slices.Clone(registrationFields().processSteps) }

// Filter returns the registration JSON doc with only the fields whose
// class (and the classes of the objects around them) is in visible. Fields
// the schema does not know are removed, objects left empty are removed.
// It returns an error when doc is not a JSON object.
func Filter(doc []byte, visible []Class) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("filter registration: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("filter registration: not a JSON object")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(FilterValue(m, visible)); err != nil {
		return nil, fmt.Errorf("filter registration: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// FilterValue is Filter on a decoded registration. It returns a new map and
// leaves doc as it is.
func FilterValue(doc map[string]any, visible []Class) map[string]any {
	return filterObject(registrationFields(), doc, "", visible)
}

func filterObject(fm *fieldMap, obj map[string]any, prefix string, visible []Class) map[string]any {
	out := make(map[string]any, len(obj))
	for name, v := range obj {
		field, rule, ok := fm.lookup(prefix, name)
		if !ok || !rule.visible(visible) {
			continue
		}
		if !rule.object {
			out[name] = v
			continue
		}
		sub, ok := v.(map[string]any)
		if !ok {
			continue // not the object the schema describes: show nothing of it
		}
		if kept := filterObject(fm, sub, field, visible); len(kept) > 0 {
			out[name] = kept
		}
	}
	return out
}

// fieldsWithin returns the visible fields restricted to the requested
// ones: a requested field covers itself and every field below it.
func fieldsWithin(visible, requested []string) []string {
	if len(requested) == 0 {
		return visible
	}
	var out []string
	for _, f := range visible {
		for _, r := range requested {
			if f == r || strings.HasPrefix(f, r+".") {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
