package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/internal/strictjson"
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
	// Consent, when given, turns patient-privacy Consents into consent
	// statements for the hub (see consent.go); without it Consents are
	// only validated.
	Consent *ConsentConfig `json:"consent"`
	// Output says how Encode writes registrations for this partner
	// (encode_config.go); without it the defaults apply.
	Output *Output `json:"output"`
}

// ConsentConfig says how Consent resources name the recipients and
// purposes of roles.yaml.
type ConsentConfig struct {
	// Recipients maps a provision actor, by its reference
	// ("Organization/123") or identifier ("system|value"), to a partner id
	// or group of roles.yaml.
	Recipients map[string]string `json:"recipients"`
	// Recipient is the recipient when the provision names no actor.
	Recipient string `json:"recipient"`
	// Purposes maps a provision purpose code (such as TREAT) to a purpose
	// of roles.yaml.
	Purposes map[string]string `json:"purposes"`
	// Purpose is the purpose when the provision names none that Purposes
	// maps.
	Purpose string `json:"purpose"`
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
	if err := strictjson.Config.Decode(raw, &c); err != nil {
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
	consent     *ConsentConfig // nil: Consents are only validated
	out         *outPlan
}

func configErr(ptr, format string, args ...any) error {
	return &sdk.ConfigError{Field: ptr, Message: fmt.Sprintf(format, args...)}
}

// newPlan checks a configuration with defaults set and prepares it for
// partner. It returns a *sdk.ConfigError naming the first problem.
func newPlan(partner string, c *Config) (*plan, error) {
	var err error
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
	if cc := c.Consent; cc != nil {
		if cc.Recipient == "" && len(cc.Recipients) == 0 {
			return nil, configErr("/consent", "geef recipient of recipients: aan wie een toestemming toestaat te delen")
		}
		if cc.Purpose == "" && len(cc.Purposes) == 0 {
			return nil, configErr("/consent", "geef purpose of purposes: voor welk doel uit roles.yaml")
		}
		for _, f := range []struct {
			ptr string
			ids map[string]string
		}{{"/consent/recipient", map[string]string{"": cc.Recipient}}, {"/consent/purpose", map[string]string{"": cc.Purpose}},
			{"/consent/recipients", cc.Recipients}, {"/consent/purposes", cc.Purposes}} {
			for k, id := range f.ids {
				if (k != "" || id != "") && !partnerID.MatchString(id) {
					return nil, configErr(f.ptr+pointerToken(k), "moet een id uit roles.yaml zijn (kleine letters, cijfers en '-')")
				}
			}
		}
		p.consent = cc
	}
	if p.out, err = newOutPlan(c.Output, p.format); err != nil {
		return nil, err
	}
	return p, nil
}

// pointerToken is the JSON pointer token of a map key, "" for none.
func pointerToken(k string) string {
	if k == "" {
		return ""
	}
	return "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
