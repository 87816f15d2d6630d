package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Stable error codes of configuration problems. Tools and tests may rely on
// them; the Dutch messages may be reworded.
const (
	// CodeYAML means the file is not valid YAML (syntax, duplicate key, more than one document).
	CodeYAML = "CONFIG_YAML"
	// CodeFile means a file or folder cannot be read.
	CodeFile = "CONFIG_FILE"
	// CodeSchema means the value breaks a schema rule without a more specific code.
	CodeSchema = "CONFIG_SCHEMA"
	// CodeRequired means a required field is missing.
	CodeRequired = "CONFIG_REQUIRED"
	// CodeUnknownField means a field is set that the schema does not know.
	CodeUnknownField = "CONFIG_UNKNOWN_FIELD"
	// CodeType means a value has the wrong type (text where a number belongs, ...).
	CodeType = "CONFIG_TYPE"
	// CodeEnum means a value is not in the allowed list.
	CodeEnum = "CONFIG_ENUM"
	// CodePattern means a text has the wrong form (pattern, format).
	CodePattern = "CONFIG_PATTERN"
	// CodeRange means a number, length or count is out of bounds.
	CodeRange = "CONFIG_RANGE"
	// CodeDuration means a value is not a usable duration such as 2s or 500ms.
	CodeDuration = "CONFIG_DURATION"
	// CodePartnerID means a partner id does not equal its file name.
	CodePartnerID = "CONFIG_PARTNER_ID"
	// CodeAdapterUnknown means a partner names an adapter that is not in the catalog.
	CodeAdapterUnknown = "CONFIG_ADAPTER_UNKNOWN"
	// CodeAdapterSchema means the JSON Schema an adapter reports for its config does not compile.
	CodeAdapterSchema = "CONFIG_ADAPTER_SCHEMA"
	// CodeDuplicate means two partners share an id or a drop folder.
	CodeDuplicate = "CONFIG_DUPLICATE"
)

// Error is one problem in a configuration file, located by file, line and
// column (1-based; 0 when unknown) and by the dotted path of the field
// (adapter.name, adapters.csv.sha256, items[2]). Message is Dutch and
// meant for the ICT staff who maintain the files.
type Error struct {
	File    string
	Line    int
	Column  int
	Field   string
	Code    string
	Message string
}

// Error formats the problem as "file:line:col: field: message [CODE]".
// Line and column are left out when unknown, the field when the problem
// concerns the whole file.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	b.WriteString(" [" + e.Code + "]")
	return b.String()
}

// Errors is every problem found in a set of configuration files, ordered
// by file (hub file first, then partner files by name), line and column.
type Errors []Error

// Error gives one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when es is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// sortWithin orders the problems of one file by position, then field and
// code, and drops exact duplicates.
func sortWithin(es Errors) Errors {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(es)
}

// collector gathers problems per file and hands them back in file order.
type collector struct {
	order  []string
	byFile map[string]Errors
}

func newCollector() *collector {
	return &collector{byFile: map[string]Errors{}}
}

func (c *collector) add(es ...Error) {
	for _, e := range es {
		if _, ok := c.byFile[e.File]; !ok {
			c.order = append(c.order, e.File)
		}
		c.byFile[e.File] = append(c.byFile[e.File], e)
	}
}

// file registers a file so that its problems keep its place in the order.
func (c *collector) file(name string) {
	if _, ok := c.byFile[name]; !ok {
		c.order = append(c.order, name)
		c.byFile[name] = nil
	}
}

func (c *collector) errors() Errors {
	var all Errors
	for _, f := range c.order {
		all = append(all, sortWithin(c.byFile[f])...)
	}
	return all
}
