package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the number of nodes one file may expand to through
// aliases, so that a file full of nested aliases cannot exhaust memory.
const maxNodes = 1_000_000

// document is one parsed configuration file: the name used in errors, the
// YAML node tree that gives positions, and the same content as a
// JSON-compatible value (map[string]any, []any, string, json.Number, bool,
// nil) that the schema validator sees.
type document struct {
	file    string
	root    *yaml.Node // the top value node; nil for an empty file
	rootKey *yaml.Node // the key naming root when it is a subtree (adapter.config)
	value   any
}

// parseYAML parses data as a single YAML document. Syntax errors, duplicate
// keys, values without a JSON equivalent and extra documents are returned
// as CONFIG_YAML problems; the document is nil when the file cannot be
// parsed at all.
func parseYAML(file string, data []byte) (*document, Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	err := dec.Decode(&n)
	if errors.Is(err, io.EOF) {
		return &document{file: file}, nil
	}
	if err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	doc := &document{file: file, root: &n}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		doc.root = n.Content[0]
	}
	var errs Errors
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs = append(errs, Error{File: file, Line: extra.Line, Column: extra.Column, Code: CodeYAML,
			Message: "het bestand bevat meer dan één YAML-document (---); zet elke configuratie in een eigen bestand"})
	case !errors.Is(err, io.EOF):
		errs = append(errs, yamlError(file, err))
	}
	c := converter{file: file}
	doc.value = c.convert(doc.root)
	return doc, append(errs, c.errs...)
}

var (
	yamlLine      = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// yamlMessages translates the syntax errors of gopkg.in/yaml.v3 that staff
// meet most often.
var yamlMessages = map[string]string{
	"mapping values are not allowed in this context":         "hier mag geen 'sleutel: waarde' staan; controleer de inspringing en de dubbele punten",
	"did not find expected key":                              "hier werd een sleutel verwacht; controleer de inspringing",
	"could not find expected ':'":                            "na de sleutel ontbreekt een ':'",
	"found character that cannot start any token":            "dit teken mag hier niet staan (gebruik spaties, geen tabs, voor inspringing)",
	"found a tab character that violates indentation":        "tab gebruikt voor inspringing; gebruik spaties",
	"did not find expected node content":                     "hier ontbreekt een waarde",
	"did not find expected ',' or ']'":                       "een lijst tussen [ ] is niet goed afgesloten",
	"did not find expected ',' or '}'":                       "een mapping tussen { } is niet goed afgesloten",
	"found unexpected end of stream":                         "het bestand houdt onverwacht op (een aanhalingsteken of haakje is niet gesloten)",
	"block sequence entries are not allowed in this context": "hier mag geen lijstelement ('- ') staan; controleer de inspringing",
}

// yamlError turns a gopkg.in/yaml.v3 error into a CONFIG_YAML problem with
// the line number the parser reports.
func yamlError(file string, err error) Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if nl, ok := yamlMessages[msg]; ok {
		msg = nl
	} else if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("verwijzing *%s naar een anker &%s dat (nog) niet bestaat; een anker moet eerder in het bestand staan", m[1], m[1])
	} else {
		msg = "ongeldige YAML: " + msg
	}
	return Error{File: file, Line: line, Code: CodeYAML, Message: msg}
}

// converter turns a YAML node tree into JSON-compatible values.
type converter struct {
	file   string
	errs   Errors
	nodes  int
	active map[*yaml.Node]bool // aliased nodes being expanded, to stop cycles
}

func (c *converter) fail(n *yaml.Node, format string, args ...any) {
	c.errs = append(c.errs, Error{File: c.file, Line: n.Line, Column: n.Column, Code: CodeYAML,
		Message: fmt.Sprintf(format, args...)})
}

func (c *converter) convert(n *yaml.Node) any {
	if n == nil {
		return nil
	}
	c.nodes++
	if c.nodes > maxNodes {
		if c.nodes == maxNodes+1 {
			c.fail(n, "het bestand is te groot of bevat te veel verwijzingen (aliassen)")
		}
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.convert(n.Content[0])
	case yaml.AliasNode:
		return c.alias(n, n.Alias)
	case yaml.SequenceNode:
		items := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			items = append(items, c.convert(item))
		}
		return items
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil
}

// alias expands the node an alias (or a merge) refers to, refusing an
// alias inside the node it refers to.
func (c *converter) alias(at, target *yaml.Node) any {
	if target == nil {
		return nil
	}
	if c.active[target] {
		c.fail(at, "verwijzing *%s staat binnen het anker zelf en zou nooit eindigen", at.Value)
		return nil
	}
	if c.active == nil {
		c.active = map[*yaml.Node]bool{}
	}
	c.active[target] = true
	defer delete(c.active, target)
	return c.convert(target)
}

func (c *converter) mapping(n *yaml.Node) map[string]any {
	m := map[string]any{}
	var merges []*yaml.Node
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		key := resolveAlias(k)
		if key.Kind != yaml.ScalarNode {
			c.fail(k, "een sleutel moet een eenvoudige tekst zijn, geen lijst of mapping")
			continue
		}
		if prev, ok := seen[key.Value]; ok {
			c.fail(k, "sleutel %q komt twee keer voor (ook op regel %d)", key.Value, prev.Line)
			continue
		}
		seen[key.Value] = k
		m[key.Value] = c.convert(v)
	}
	// Merged mappings fill in keys the mapping itself does not set; with a
	// list of merges, an earlier one wins over a later one.
	for _, v := range merges {
		for _, src := range mergeSources(v) {
			var val any
			before := len(c.errs)
			if src.Kind == yaml.AliasNode {
				val = c.alias(src, src.Alias)
			} else {
				val = c.convert(src)
			}
			merged, ok := val.(map[string]any)
			if !ok && len(c.errs) == before {
				c.fail(v, "'<<' kan alleen mappings samenvoegen")
				continue
			}
			for k, val := range merged {
				if _, ok := m[k]; !ok {
					m[k] = val
				}
			}
		}
	}
	return m
}

func (c *converter) scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			c.fail(n, "%q is geen geldige true/false-waarde", n.Value)
			return n.Value
		}
		return b
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			c.fail(n, "getal %s is te groot", n.Value)
			return nil
		}
		switch v := v.(type) {
		case float64:
			return c.float(n, v)
		default:
			return json.Number(fmt.Sprint(v))
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			c.fail(n, "%q is geen geldig getal", n.Value)
			return nil
		}
		return c.float(n, f)
	}
	return n.Value
}

func (c *converter) float(n *yaml.Node, f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.fail(n, "%s is geen bruikbaar getal (oneindig of NaN)", n.Value)
		return nil
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mergeSources gives the nodes (mostly aliases) a '<<' value merges, in
// priority order.
func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// splitPointer splits a JSON pointer ("/adapter/name") into its unescaped
// reference tokens.
func splitPointer(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return parts
}

// joinPointer appends one token to a JSON pointer.
func joinPointer(ptr, token string) string {
	return ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

// locate walks the node tree along a JSON pointer and returns the value
// node it points at and, when the last step went through a mapping, the key
// node of that step. When the pointer leads nowhere, the deepest node found
// is returned (and key is nil), so a problem still gets a position.
func locate(root *yaml.Node, ptr string) (key, val *yaml.Node) {
	n := resolveAlias(root)
	for _, tok := range splitPointer(ptr) {
		if n == nil {
			return nil, nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			k, v := lookupKey(n, tok, map[*yaml.Node]bool{})
			if v == nil {
				return nil, n
			}
			key, n = k, resolveAlias(v)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, n
			}
			key, n = nil, resolveAlias(n.Content[i])
		default:
			return nil, n
		}
	}
	return key, n
}

// lookupKey finds a key in a mapping node, looking into merged mappings
// when the mapping does not set the key itself.
func lookupKey(m *yaml.Node, name string, seen map[*yaml.Node]bool) (key, val *yaml.Node) {
	if seen[m] {
		return nil, nil
	}
	seen[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if isMerge(k) {
			merges = append(merges, m.Content[i+1])
			continue
		}
		if rk := resolveAlias(k); rk.Kind == yaml.ScalarNode && rk.Value == name {
			return k, m.Content[i+1]
		}
	}
	for _, v := range merges {
		for _, src := range mergeSources(v) {
			if src = resolveAlias(src); src.Kind == yaml.MappingNode {
				if k, v := lookupKey(src, name, seen); v != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}

// valueAt returns the JSON value at a pointer, or nil.
func valueAt(v any, ptr string) any {
	for _, tok := range splitPointer(ptr) {
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// fieldPath turns a JSON pointer into the dotted field name used in
// messages: /adapters/csv/binary becomes adapters.csv.binary and
// /columns/2/name becomes columns[2].name. prefix is put in front.
func fieldPath(prefix string, v any, ptr string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, tok := range splitPointer(ptr) {
		if list, ok := v.([]any); ok {
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(list) {
				v = list[i]
			} else {
				v = nil
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		if m, ok := v.(map[string]any); ok {
			v = m[tok]
		} else {
			v = nil
		}
	}
	return b.String()
}

// at builds a problem located at the node a JSON pointer points to: its key
// when onKey is set and the pointer ends in a mapping key, else its value.
func (d *document) at(prefix, ptr string, onKey bool, code, msg string) Error {
	key, val := locate(d.root, ptr)
	if key == nil && val == d.root && d.rootKey != nil {
		// The whole subtree: its key says more than its first line.
		key, onKey = d.rootKey, true
	}
	n := val
	if key != nil && (onKey || n == nil || n.Line == 0) {
		n = key
	}
	e := Error{File: d.file, Field: fieldPath(prefix, d.value, ptr), Code: code, Message: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}
