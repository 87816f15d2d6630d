package main

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Output holds the settings that only outbound files use (Encode): the
// output part of the configuration. Everything else about the format (the
// delimiter, quoting, encoding, header, columns and value tables) is the
// same as for reading.
type Output struct {
	Columns        []string `json:"columns"`
	DateLayout     string   `json:"date_layout"`
	DateTimeLayout string   `json:"datetime_layout"`
	LineEnding     string   `json:"line_ending"`
}

// outPlan is how Encode writes the partner's format: checked when the
// configuration is, so that Encode itself cannot meet a bad setting.
type outPlan struct {
	// cols are the columns in file order. Without header a column sits at
	// its position and the gaps are nil.
	cols     []*column
	date     dateLayout
	dateTime string
	eol      string
	// reverse gives, per fieldID, the partner's code of each value of the
	// shared schema: the inverse of the field's value table.
	reverse []map[string]string
	// compose holds the pattern of every split column as a syntax tree, to
	// write its groups back into one value.
	compose map[*column]*syntax.Regexp
}

// setOutput checks the output settings and prepares the outPlan.
func (p *plan) setOutput(c *Config) error {
	o := c.Output
	op := &outPlan{eol: "\r\n", reverse: make([]map[string]string, len(p.fields)), compose: map[*column]*syntax.Regexp{}}
	if o.LineEnding == "lf" {
		op.eol = "\n"
	}
	switch {
	case !p.header && len(o.Columns) > 0:
		return configErr("/output/columns", "zonder kopregel (header: false) bepaalt de positie van een kolom de volgorde; laat output.columns weg")
	case !p.header:
		highest := 0
		for _, col := range p.columns {
			highest = max(highest, col.index)
		}
		op.cols = make([]*column, highest)
		for _, col := range p.columns {
			op.cols[col.index-1] = col
		}
	case len(o.Columns) > 0:
		byName := map[string]*column{}
		for _, col := range p.columns {
			byName[fold(col.key)] = col
		}
		seen := map[*column]bool{}
		for i, name := range o.Columns {
			col, ok := byName[fold(name)]
			if !ok {
				return configErr(pointer("output", "columns", strconv.Itoa(i)), "kolom '%s' staat niet onder columns", name)
			}
			if seen[col] {
				return configErr(pointer("output", "columns", strconv.Itoa(i)), "de kolom staat twee keer in output.columns (hoofdletters tellen niet)")
			}
			seen[col] = true
			op.cols = append(op.cols, col)
		}
		for _, col := range p.columns {
			if !seen[col] {
				return configErr("/output/columns", "kolom '%s' ontbreekt; noem elke kolom uit columns", col.key)
			}
		}
	default:
		op.cols = slices.Clone(p.columns) // sorted by name
	}
	layout := c.DateLayouts[0]
	ptr := "/date_layouts/0"
	if o.DateLayout != "" {
		layout, ptr = o.DateLayout, "/output/date_layout"
	}
	d, err := newDateLayout(layout)
	if err != nil {
		return configErr(ptr, "ongeldige datumnotatie: %v", err)
	}
	if !slices.ContainsFunc(p.dates, func(l dateLayout) bool { return l.layout == layout }) {
		return configErr(ptr, "de notatie staat niet in date_layouts, zodat de partner zijn eigen bestand niet terug kan lezen")
	}
	op.date = d
	op.dateTime = c.DateTimeLayouts[0]
	if o.DateTimeLayout != "" {
		op.dateTime = o.DateTimeLayout
		if err := checkDateTimeLayout(op.dateTime); err != nil {
			return configErr("/output/datetime_layout", "ongeldige notatie: %v", err)
		}
		if !slices.Contains(p.dateTimes, op.dateTime) {
			return configErr("/output/datetime_layout", "de notatie staat niet in datetime_layouts, zodat de partner zijn eigen bestand niet terug kan lezen")
		}
	}
	for _, col := range p.columns {
		if col.re == nil {
			continue
		}
		re, err := syntax.Parse(c.Columns[col.key].Pattern, syntax.Perl)
		if err != nil {
			return configErr(pointer("columns", col.key, "pattern"), "ongeldige reguliere expressie: %v", err)
		}
		op.compose[col] = re
	}
	for _, f := range p.fields {
		if f != nil && f.table != nil {
			op.reverse[f.id] = f.table.reverse(f.spec)
		}
	}
	p.out = op
	return nil
}

// reverse returns the inverse of the table for a field: per value of the
// shared schema the partner's code. When several codes give one value, the
// first in sorted order is written (a non-empty one for a non-empty value).
// Boolean values are keyed "true" and "false".
func (t *valueTable) reverse(spec fieldSpec) map[string]string {
	out := map[string]string{}
	for _, code := range t.codes {
		v := t.m[fold(code)]
		if spec.kind == kindBool {
			b, ok := parseBool(v)
			if !ok {
				continue
			}
			v = strconv.FormatBool(b)
		}
		prev, ok := out[v]
		if !ok || prev == "" && code != "" && v != "" {
			out[v] = code
		}
	}
	return out
}

// formatDate writes a date of the shared schema ("YYYY-MM-DD", "YYYY-MM" or
// "YYYY") in the layout. A partial date is written with zeros for the
// unknown parts in a fixed-width numeric layout, which is how the decoder
// reads it back; other layouts cannot hold one and give "".
func (l dateLayout) formatDate(v string) string {
	y, m, d, ok := splitISODate(v)
	if !ok {
		return ""
	}
	if m > 0 && d > 0 {
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Format(l.layout)
	}
	if l.year < 0 {
		return ""
	}
	b := []byte(time.Date(y, time.Month(max(m, 1)), 1, 0, 0, 0, 0, time.UTC).Format(l.layout))
	copy(b[l.day:], "00")
	if m == 0 {
		copy(b[l.month:], "00")
	}
	return string(b)
}

// splitISODate reads "YYYY-MM-DD", "YYYY-MM" or "YYYY"; month and day are 0
// when unknown.
func splitISODate(v string) (y, m, d int, ok bool) {
	parts := strings.Split(v, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return 0, 0, 0, false
	}
	nums := make([]int, 3)
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || i > 0 && len(s) != 2 {
			return 0, 0, 0, false
		}
		nums[i] = n
	}
	y, m, d = nums[0], nums[1], nums[2]
	if m > 12 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}
