package main

import (
	_ "embed"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual. The settings it shares with other mapping adapters
// (value tables, dates, surnames, ...) are mapping.Settings.
type Config struct {
	Delimiter       string                    `json:"delimiter"`
	Quote           *string                   `json:"quote"`
	Header          *bool                     `json:"header"`
	SkipLines       int                       `json:"skip_lines"`
	Encoding        string                    `json:"encoding"`
	MultilineFields bool                      `json:"multiline_fields"`
	MaxRecordBytes  int                       `json:"max_record_bytes"`
	Columns         map[string]mapping.Source `json:"columns"`
	Output          Output                    `json:"output"`
	Consent         []ConsentSpec             `json:"consent"`
	mapping.Settings
}

// configSchemaJSON is the JSON Schema of Config, reported by Describe.
//
//go:embed config.schema.json
var configSchemaJSON []byte

// configSchema checks configurations against configSchemaJSON.
var configSchema = mapping.NewSchema("https://ketenhub.nl/schemas/adapter-csv.config.schema.json", configSchemaJSON)

// parseConfig checks raw against config.schema.json and decodes it. It
// returns a *sdk.ConfigError when raw is no valid configuration.
func parseConfig(raw []byte) (*Config, error) { return mapping.Parse[Config](configSchema, raw) }

// setDefaults fills in the csv settings' defaults documented in
// config.schema.json; mapping.NewPlan fills in those of the shared settings.
func (c *Config) setDefaults() {
	if c.Delimiter == "" {
		c.Delimiter = ","
	}
	if c.Quote == nil {
		q := `"`
		c.Quote = &q
	}
	if c.Header == nil {
		h := true
		c.Header = &h
	}
	if c.Encoding == "" {
		c.Encoding = "utf-8"
	}
	if c.MaxRecordBytes == 0 {
		c.MaxRecordBytes = dsv.DefaultMaxRecordBytes
	}
}

// plan is a checked configuration, ready to map documents: the mapping of
// the columns onto the shared schema (mapping.Plan, whose Inputs are the
// columns in the order of columns) and how to read and write the file.
type plan struct {
	*mapping.Plan
	read      dsv.Options
	header    bool
	skipLines int
	columns   []*column // in the order of their keys, as Plan.Inputs
	// digestSeed is what source digests depend on besides a row's fields:
	// see adapter.Configure.
	digestSeed [][]byte
	out        *outPlan // how Encode writes this partner's format
	// consents are the statements a row may carry, and consentCols the
	// columns they read (see consent.go).
	consents    []*consentPlan
	consentCols []*consentColumn
}

// column is one configured source column.
type column struct {
	key   string         // header name, or position as text
	index int            // 1-based position when the document has no header
	in    *mapping.Input // what the column feeds
}

// newPlan checks a configuration with defaults set and prepares it for
// partner. It returns a *sdk.ConfigError naming the first problem.
func newPlan(partner string, c *Config) (*plan, error) {
	p := &plan{header: *c.Header, skipLines: c.SkipLines}
	if err := p.setReadOptions(c); err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(c.Columns))
	specs := make([]mapping.InputSpec, 0, len(keys))
	seen := map[string]bool{}
	for _, k := range keys {
		col := &column{key: k}
		ptr := mapping.Pointer("columns", k)
		if p.header {
			name := mapping.Fold(k)
			if name == "" {
				return nil, mapping.ConfigErr(ptr, "een kolomnaam mag niet leeg zijn")
			}
			if seen[name] {
				return nil, mapping.ConfigErr(ptr, "de kolom staat twee keer in de configuratie (hoofdletters tellen niet)")
			}
			seen[name] = true
		} else {
			n, err := strconv.Atoi(k)
			if err != nil || n < 1 || n > 10000 {
				return nil, mapping.ConfigErr(ptr, "zonder kopregel (header: false) heten kolommen naar hun positie: \"1\" is de eerste")
			}
			col.index = n
		}
		ref := "kolom " + k
		if p.header {
			ref = "kolom '" + k + "'"
		}
		specs = append(specs, mapping.InputSpec{Key: k, Ref: ref, Pointer: ptr, Source: c.Columns[k]})
		p.columns = append(p.columns, col)
	}
	mp, err := mapping.NewPlan(partner, &c.Settings, specs, mapping.Options{Word: "kolom", The: "de kolom", Each: "elke regel", Pointer: "/columns"})
	if err != nil {
		return nil, err
	}
	p.Plan = mp
	for i, col := range p.columns {
		col.in = mp.Inputs[i]
	}
	if err := p.setConsents(c); err != nil {
		return nil, err
	}
	if err := p.setOutput(c); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *plan) setReadOptions(c *Config) error {
	delim, ok := oneRune(c.Delimiter)
	switch c.Delimiter {
	case "tab", `\t`:
		delim, ok = '\t', true
	}
	if !ok || delim == '\r' || delim == '\n' || delim == utf8.RuneError {
		return mapping.ConfigErr("/delimiter", "het scheidingsteken moet één teken zijn (of \"tab\")")
	}
	var quote rune
	if *c.Quote != "" {
		quote, ok = oneRune(*c.Quote)
		if !ok || quote == '\r' || quote == '\n' {
			return mapping.ConfigErr("/quote", "het aanhalingsteken moet één teken zijn, of leeg om aanhalingstekens uit te zetten")
		}
		if quote == delim {
			return mapping.ConfigErr("/quote", "aanhalingsteken en scheidingsteken moeten verschillen")
		}
	}
	enc := dsv.UTF8
	if c.Encoding == "windows-1252" {
		enc = dsv.Windows1252
	}
	p.read = dsv.Options{
		Delimiter:      delim,
		Quote:          quote,
		Encoding:       enc,
		Multiline:      c.MultilineFields,
		MaxRecordBytes: c.MaxRecordBytes,
	}
	return nil
}

func oneRune(s string) (rune, bool) {
	r, size := utf8.DecodeRuneInString(s)
	return r, size > 0 && size == len(s)
}
