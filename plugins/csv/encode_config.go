package main

import (
	"regexp/syntax"
	"slices"
	"strconv"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
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
	date     mapping.DateLayout
	dateTime string
	eol      string
	// reverse gives, per mapping.FieldID, the partner's code of each value of the
	// shared schema: the inverse of the field's value table.
	reverse []map[string]string
	// compose holds the pattern of every split column as a syntax tree, to
	// write its groups back into one value.
	compose map[*column]*syntax.Regexp
}

// setOutput checks the output settings and prepares the outPlan.
func (p *plan) setOutput(c *Config) error {
	o := c.Output
	op := &outPlan{eol: "\r\n", reverse: make([]map[string]string, len(p.Fields)), compose: map[*column]*syntax.Regexp{}}
	if o.LineEnding == "lf" {
		op.eol = "\n"
	}
	switch {
	case !p.header && len(o.Columns) > 0:
		return mapping.ConfigErr("/output/columns", "zonder kopregel (header: false) bepaalt de positie van een kolom de volgorde; laat output.columns weg")
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
			byName[mapping.Fold(col.key)] = col
		}
		seen := map[*column]bool{}
		for i, name := range o.Columns {
			col, ok := byName[mapping.Fold(name)]
			if !ok {
				return mapping.ConfigErr(mapping.Pointer("output", "columns", strconv.Itoa(i)), "kolom '%s' staat niet onder columns", name)
			}
			if seen[col] {
				return mapping.ConfigErr(mapping.Pointer("output", "columns", strconv.Itoa(i)), "de kolom staat twee keer in output.columns (hoofdletters tellen niet)")
			}
			seen[col] = true
			op.cols = append(op.cols, col)
		}
		for _, col := range p.columns {
			if !seen[col] {
				return mapping.ConfigErr("/output/columns", "kolom '%s' ontbreekt; noem elke kolom uit columns", col.key)
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
	d, err := mapping.NewDateLayout(layout)
	if err != nil {
		return mapping.ConfigErr(ptr, "ongeldige datumnotatie: %v", err)
	}
	if !slices.ContainsFunc(p.Dates, func(l mapping.DateLayout) bool { return l.Layout() == layout }) {
		return mapping.ConfigErr(ptr, "de notatie staat niet in date_layouts, zodat de partner zijn eigen bestand niet terug kan lezen")
	}
	op.date = d
	op.dateTime = c.DateTimeLayouts[0]
	if o.DateTimeLayout != "" {
		op.dateTime = o.DateTimeLayout
		if err := mapping.CheckDateTimeLayout(op.dateTime); err != nil {
			return mapping.ConfigErr("/output/datetime_layout", "ongeldige notatie: %v", err)
		}
		if !slices.Contains(p.DateTimes, op.dateTime) {
			return mapping.ConfigErr("/output/datetime_layout", "de notatie staat niet in datetime_layouts, zodat de partner zijn eigen bestand niet terug kan lezen")
		}
	}
	for _, col := range p.columns {
		if col.in.Re == nil {
			continue
		}
		re, err := syntax.Parse(c.Columns[col.key].Pattern, syntax.Perl)
		if err != nil {
			return mapping.ConfigErr(mapping.Pointer("columns", col.key, "pattern"), "ongeldige reguliere expressie: %v", err)
		}
		op.compose[col] = re
	}
	for _, f := range p.Fields {
		if f != nil {
			op.reverse[f.ID] = f.Reverse()
		}
	}
	p.out = op
	return nil
}
