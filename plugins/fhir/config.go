package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual.
type Config struct {
	// Format is the syntax of the partner's documents: auto (default), json,
	// ndjson or xml.
	Format string `json:"format"`
	// MaxResourceBytes bounds one resource or Bundle entry; default 8 MiB.
	MaxResourceBytes int `json:"max_resource_bytes"`
	// Inactive says what a Patient with active=false means: delete
	// (default) or ignore (the flag is not looked at).
	Inactive string `json:"inactive"`
	// InitialsFromGiven derives the initials from the given names when no
	// given name is marked as initials; default true.
	InitialsFromGiven *bool `json:"initials_from_given"`
	// ProcessStep is set on every registration, when given.
	ProcessStep string `json:"process_step"`
}

// The values of Inactive.
const (
	inactiveDelete = "delete"
	inactiveIgnore = "ignore"
)

// defaultMaxResource is the default of max_resource_bytes.
const defaultMaxResource = 8 << 20

// processSteps are the values the shared schema allows for process_step.
var processSteps = []string{"aanmelding", "triage", "zorgvraagverduidelijking", "trajecttoewijzing", "trajectmonitoring", "uitstroom_nazorg"}

var partnerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// parseConfig decodes raw strictly: unknown settings are refused. It returns
// a *sdk.ConfigError when raw is no valid configuration.
func parseConfig(raw []byte) (*Config, error) {
	var c Config
	if err := sdk.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// setDefaults fills in the defaults documented in config.schema.json.
func (c *Config) setDefaults() {
	if c.Format == "" {
		c.Format = string(formatAuto)
	}
	if c.MaxResourceBytes == 0 {
		c.MaxResourceBytes = defaultMaxResource
	}
	if c.Inactive == "" {
		c.Inactive = inactiveDelete
	}
	if c.InitialsFromGiven == nil {
		t := true
		c.InitialsFromGiven = &t
	}
}

// plan is a checked configuration, ready to map documents.
type plan struct {
	partner     string
	format      format
	maxResource int
	inactive    bool // active=false deletes
	initials    bool
	step        string
}

func configErr(ptr, format string, args ...any) error {
	return &sdk.ConfigError{Field: ptr, Message: fmt.Sprintf(format, args...)}
}

// newPlan checks a configuration with defaults set and prepares it for
// partner. It returns a *sdk.ConfigError naming the first problem.
func newPlan(partner string, c *Config) (*plan, error) {
	if !partnerID.MatchString(partner) {
		return nil, configErr("", "de partnernaam moet uit kleine letters, cijfers en '-' bestaan")
	}
	p := &plan{partner: partner, format: format(c.Format), maxResource: c.MaxResourceBytes,
		inactive: c.Inactive == inactiveDelete, initials: *c.InitialsFromGiven, step: c.ProcessStep}
	switch p.format {
	case formatAuto, formatJSON, formatNDJSON, formatXML:
	default:
		return nil, configErr("/format", "waarde niet toegestaan; toegestaan zijn auto, json, ndjson, xml")
	}
	if c.MaxResourceBytes < 64<<10 || c.MaxResourceBytes > 256<<20 {
		return nil, configErr("/max_resource_bytes", "moet tussen 65536 en 268435456 liggen")
	}
	if c.Inactive != inactiveDelete && c.Inactive != inactiveIgnore {
		return nil, configErr("/inactive", "waarde niet toegestaan; toegestaan zijn delete, ignore")
	}
	if c.ProcessStep != "" && !slices.Contains(processSteps, c.ProcessStep) {
		return nil, configErr("/process_step", "waarde niet toegestaan; toegestaan zijn %s", strings.Join(processSteps, ", "))
	}
	return p, nil
}
