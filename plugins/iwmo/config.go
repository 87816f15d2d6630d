package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/internal/strictjson"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual.
type Config struct {
	// Role is the partner's role in the iWmo message traffic: "gemeente"
	// (sends WMO301, receives the others) or "aanbieder".
	Role string `json:"role"`
	// Codes are the partner's own codes: gemeentecodes (4 digits) for a
	// gemeente, AGB codes (8 digits) for an aanbieder. Every message must
	// have one of them on the partner's side.
	Codes []string `json:"codes"`
	// MessageTypes are the accepted message types; default all four.
	MessageTypes []string `json:"message_types"`
	// ProcessSteps overrides the process step per message type.
	ProcessSteps map[string]string `json:"process_steps"`
	// Municipalities translates gemeentecodes into municipality names.
	Municipalities map[string]string `json:"municipalities"`
	// Providers translates AGB codes of aanbieders into organisation names.
	Providers map[string]string `json:"providers"`
	// LifeDomains maps a product category (2 digits) onto a life domain.
	LifeDomains map[string]string `json:"life_domains"`
	// EIEncoding is the character set of the fixed-width format.
	EIEncoding string `json:"ei_encoding"`
	// KeySecret keys the hash in record keys that need the BSN.
	KeySecret string `json:"key_secret"`
	// TimeZone is the zone of Toewijzingsdatum/-tijd and Dagtekening.
	TimeZone string `json:"timezone"`
	// Output says how Encode writes registrations for this partner
	// (encode_config.go); without it Encode writes nothing.
	Output *Output `json:"output"`
}

// The roles of a partner.
const (
	roleGemeente  = "gemeente"
	roleAanbieder = "aanbieder"
)

// The character sets of the fixed-width format.
const (
	encUTF8        = "utf-8"
	encWindows1252 = "windows-1252"
)

// processSteps are the values the shared schema allows for process_step.
var processSteps = []string{"aanmelding", "triage", "zorgvraagverduidelijking", "trajecttoewijzing", "trajectmonitoring", "uitstroom_nazorg"}

// defaultSteps is the process step of each message type: a request is an
// aanmelding, an assignment the trajecttoewijzing, a start the begin of the
// monitoring and a stop the uitstroom.
var defaultSteps = [numKinds]string{
	wmo315: "aanmelding",
	wmo301: "trajecttoewijzing",
	wmo305: "trajectmonitoring",
	wmo307: "uitstroom_nazorg",
}

var (
	partnerID  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	domainName = regexp.MustCompile(`^[a-z][a-z_]{1,39}$`)
	digits4    = regexp.MustCompile(`^[0-9]{4}$`)
	digits8    = regexp.MustCompile(`^[0-9]{8}$`)
	digits2    = regexp.MustCompile(`^[0-9]{2}$`)
)

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
	if len(c.MessageTypes) == 0 {
		for k := range numKinds {
			c.MessageTypes = append(c.MessageTypes, k.String())
		}
	}
	if c.EIEncoding == "" {
		c.EIEncoding = encWindows1252
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/Amsterdam"
	}
}

// plan is a checked configuration, ready to map documents.
type plan struct {
	partner        string
	role           string
	codes          map[string]bool
	accept         [numKinds]bool
	steps          [numKinds]string
	municipalities map[string]string
	providers      map[string]string
	domains        map[string]string
	windows1252    bool
	keySecret      []byte
	loc            *time.Location
	out            *outPlan // nil: the partner receives no iWmo messages
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
	p := &plan{partner: partner, role: c.Role, steps: defaultSteps, codes: map[string]bool{}}
	codePattern, codeWhat := digits4, "een gemeentecode van 4 cijfers"
	switch c.Role {
	case roleGemeente:
	case roleAanbieder:
		codePattern, codeWhat = digits8, "een AGB-code van 8 cijfers"
	case "":
		return nil, configErr("/role", "verplichte instelling ontbreekt: gemeente of aanbieder")
	default:
		return nil, configErr("/role", "waarde niet toegestaan; toegestaan zijn gemeente, aanbieder")
	}
	if len(c.Codes) == 0 {
		return nil, configErr("/codes", "geef de eigen codes van de partner (%s per code)", codeWhat)
	}
	for i, code := range c.Codes {
		if !codePattern.MatchString(code) {
			return nil, configErr(fmt.Sprintf("/codes/%d", i), "moet %s zijn (rol %s)", codeWhat, c.Role)
		}
		p.codes[code] = true
	}
	for i, name := range c.MessageTypes {
		k, ok := kindByName(name)
		if !ok {
			return nil, configErr(fmt.Sprintf("/message_types/%d", i), "onbekend berichttype; toegestaan zijn WMO301, WMO305, WMO307, WMO315")
		}
		p.accept[k] = true
	}
	for _, name := range sortedKeys(c.ProcessSteps) {
		k, ok := kindByName(name)
		if !ok {
			return nil, configErr("/process_steps/"+name, "onbekend berichttype; toegestaan zijn WMO301, WMO305, WMO307, WMO315")
		}
		step := c.ProcessSteps[name]
		if !slices.Contains(processSteps, step) {
			return nil, configErr("/process_steps/"+name, "waarde niet toegestaan; toegestaan zijn %s", strings.Join(processSteps, ", "))
		}
		p.steps[k] = step
	}
	var err error
	if p.municipalities, err = table("/municipalities", c.Municipalities, digits4, "een gemeentecode van 4 cijfers", 100); err != nil {
		return nil, err
	}
	if p.providers, err = table("/providers", c.Providers, digits8, "een AGB-code van 8 cijfers", 200); err != nil {
		return nil, err
	}
	if p.domains, err = table("/life_domains", c.LifeDomains, digits2, "een productcategorie van 2 cijfers", 40); err != nil {
		return nil, err
	}
	for _, cat := range sortedKeys(p.domains) {
		if !domainName.MatchString(p.domains[cat]) {
			return nil, configErr("/life_domains/"+cat, "een leefgebied bestaat uit 2 tot 40 kleine letters en '_' (bijvoorbeeld wonen, dagbesteding)")
		}
	}
	switch c.EIEncoding {
	case encUTF8:
	case encWindows1252:
		p.windows1252 = true
	default:
		return nil, configErr("/ei_encoding", "waarde niet toegestaan; toegestaan zijn utf-8, windows-1252")
	}
	if c.KeySecret != "" && utf8.RuneCountInString(c.KeySecret) < 16 {
		return nil, configErr("/key_secret", "de sleutel moet minstens 16 tekens hebben")
	}
	p.keySecret = []byte("ketenhub-iwmo/" + partner + "/" + c.KeySecret)
	if p.loc, err = time.LoadLocation(c.TimeZone); err != nil {
		return nil, configErr("/timezone", "onbekende tijdzone (verwacht bijvoorbeeld Europe/Amsterdam)")
	}
	if p.out, err = newOutPlan(c, p); err != nil {
		return nil, err
	}
	return p, nil
}

// table checks a value table: keys of the given pattern, values non-empty
// and at most maxLen characters. It returns the table with trimmed values.
func table(ptr string, m map[string]string, key *regexp.Regexp, keyWhat string, maxLen int) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		if !key.MatchString(k) {
			return nil, configErr(ptr+"/"+k, "de sleutel moet %s zijn", keyWhat)
		}
		v := strings.TrimSpace(m[k])
		if v == "" || utf8.RuneCountInString(v) > maxLen {
			return nil, configErr(ptr+"/"+k, "de waarde moet 1 tot %d tekens hebben", maxLen)
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
