package main

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual.
type Config struct {
	Delimiter       string  `json:"delimiter"`
	Quote           *string `json:"quote"`
	Header          *bool   `json:"header"`
	SkipLines       int     `json:"skip_lines"`
	Encoding        string  `json:"encoding"`
	MultilineFields bool    `json:"multiline_fields"`
	MaxRecordBytes  int     `json:"max_record_bytes"`
	// Config holds the mapping: columns, values, date layouts and the rest
	// (plugins/internal/mapping).
	mapping.Config
	Output Output `json:"output"`
}

// parseConfig checks raw against config.schema.json and decodes it. It
// returns a *sdk.ConfigError when raw is no valid configuration.
func parseConfig(raw []byte) (*Config, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, &sdk.ConfigError{Field: "", Message: "de configuratie is geen geldige JSON"}
	}
	if err := validateSchema(doc); err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, &sdk.ConfigError{Field: "", Message: "de configuratie past niet in het schema van de adapter"}
	}
	return &c, nil
}

// setDefaults fills in the defaults documented in config.schema.json.
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
	c.Config.SetDefaults()
}

// plan is a checked configuration, ready to map documents.
type plan struct {
	*mapping.Plan
	read      dsv.Options
	header    bool
	skipLines int
	// digestSeed is what source digests depend on besides a row's fields:
	// see adapter.Configure.
	digestSeed [][]byte
	out        *outPlan // how Encode writes this partner's format
}

// newPlan checks a configuration with defaults set and prepares it for
// partner. It returns a *sdk.ConfigError naming the first problem.
func newPlan(partner string, c *Config) (*plan, error) {
	keys := mapping.KeysHeader
	if !*c.Header {
		keys = mapping.KeysPosition
	}
	mp, err := mapping.NewPlan(partner, &c.Config, mapping.Options{Keys: keys})
	if err != nil {
		return nil, err
	}
	p := &plan{Plan: mp, header: *c.Header, skipLines: c.SkipLines}
	if err := p.setReadOptions(c); err != nil {
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
