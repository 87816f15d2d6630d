package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual.
type Config struct {
	Delimiter              string                `json:"delimiter"`
	Quote                  *string               `json:"quote"`
	Header                 *bool                 `json:"header"`
	SkipLines              int                   `json:"skip_lines"`
	Encoding               string                `json:"encoding"`
	MultilineFields        bool                  `json:"multiline_fields"`
	MaxRecordBytes         int                   `json:"max_record_bytes"`
	NullValues             []string              `json:"null_values"`
	Columns                map[string]Column     `json:"columns"`
	Values                 map[string]ValueTable `json:"values"`
	DateLayouts            []string              `json:"date_layouts"`
	DateTimeLayouts        []string              `json:"datetime_layouts"`
	TimeZone               string                `json:"timezone"`
	SurnamePrefixMode      string                `json:"surname_prefix_mode"`
	InitialsFromFirstNames bool                  `json:"initials_from_first_names"`
	Operation              string                `json:"operation"`
	Output                 Output                `json:"output"`
	Consent                []ConsentSpec         `json:"consent"`
}

// Column maps one source column: either onto one target field, or, with a
// regular expression, onto the target fields of its named groups.
type Column struct {
	Field   string            `json:"field"`
	Pattern string            `json:"pattern"`
	Groups  map[string]string `json:"groups"`
}

// UnmarshalJSON accepts a target field path as a plain string, or an object.
func (c *Column) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.Field)
	}
	type plain Column
	return json.Unmarshal(b, (*plain)(c))
}

// ValueTable translates the partner's codes for one target field.
type ValueTable struct {
	Map     map[string]string `json:"map"`
	Unknown string            `json:"unknown"`
	Default *string           `json:"default"`
}

// The modes of surname_prefix_mode.
const (
	prefixColumn = "column"
	prefixInside = "inside"
	prefixNone   = "none"
)

// wildcardStatus is the values key that applies to every life domain status.
const wildcardStatus = "life_domains.*.status"

// defaultDateTimeLayouts are tried for registered_at before the date layouts.
var defaultDateTimeLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04"}

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
	if len(c.DateLayouts) == 0 {
		c.DateLayouts = []string{time.DateOnly}
	}
	if len(c.DateTimeLayouts) == 0 {
		c.DateTimeLayouts = append(slices.Clone(defaultDateTimeLayouts), c.DateLayouts...)
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/Amsterdam"
	}
	if c.Operation == "" {
		c.Operation = string(sdk.OpNew)
	}
	if c.SurnamePrefixMode == "" {
		c.SurnamePrefixMode = prefixInside
		for _, col := range c.Columns {
			if col.Field == fixedFields[fSurnamePrefix].path {
				c.SurnamePrefixMode = prefixColumn
			}
		}
	}
}

// plan is a checked configuration, ready to map documents.
type plan struct {
	partner   string
	read      dsv.Options
	header    bool
	skipLines int
	nulls     map[string]bool
	columns   []*column // in the order of their keys
	fields    []*field  // by fieldID; nil when no column feeds the field
	domains   []string  // life domain names, sorted
	dates     []dateLayout
	datesText string // the date layouts in Dutch notation, for messages
	dateTimes []string
	timesText string
	loc       *time.Location
	prefixes  string // surname_prefix_mode
	initials  bool   // initials_from_first_names
	operation string
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
	key     string         // header name, or position as text
	index   int            // 1-based position when the document has no header
	target  fieldID        // the target field, or -1 for a split column
	re      *regexp.Regexp // for a split column
	groups  []group        // for a split column, in the order of the pattern
	pointer string         // JSON pointer of the column in the configuration
}

// group maps a sub-match of a split column to a target field.
type group struct {
	sub    int
	target fieldID
}

// field is one target field that a column feeds.
type field struct {
	id    fieldID
	spec  fieldSpec
	col   *column
	table *valueTable
}

// domainField returns the fieldID of the status or date of domain i.
func domainField(i int, date bool) fieldID {
	id := numFixedFields + fieldID(2*i)
	if date {
		id++
	}
	return id
}

// pointer builds a JSON pointer from its reference tokens.
func pointer(tokens ...string) string {
	var b strings.Builder
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(esc.Replace(t))
	}
	return b.String()
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
	p := &plan{
		partner:   partner,
		header:    *c.Header,
		skipLines: c.SkipLines,
		nulls:     map[string]bool{},
		prefixes:  c.SurnamePrefixMode,
		initials:  c.InitialsFromFirstNames,
		operation: c.Operation,
	}
	if err := p.setReadOptions(c); err != nil {
		return nil, err
	}
	for _, v := range c.NullValues {
		p.nulls[fold(v)] = true
	}
	for i, l := range c.DateLayouts {
		d, err := newDateLayout(l)
		if err != nil {
			return nil, configErr(pointer("date_layouts", strconv.Itoa(i)), "ongeldige datumnotatie: %v", err)
		}
		p.dates = append(p.dates, d)
	}
	p.datesText = humanLayouts(c.DateLayouts)
	for i, l := range c.DateTimeLayouts {
		if err := checkDateTimeLayout(l); err != nil {
			return nil, configErr(pointer("datetime_layouts", strconv.Itoa(i)), "ongeldige notatie: %v", err)
		}
	}
	p.dateTimes = c.DateTimeLayouts
	p.timesText = humanLayouts(c.DateTimeLayouts)
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, configErr("/timezone", "onbekende tijdzone (verwacht bijvoorbeeld Europe/Amsterdam)")
	}
	p.loc = loc
	if err := p.setColumns(c); err != nil {
		return nil, err
	}
	if err := p.setValues(c); err != nil {
		return nil, err
	}
	if err := p.setConsents(c); err != nil {
		return nil, err
	}
	if err := p.checkRequired(); err != nil {
		return nil, err
	}
	if err := p.setOutput(c); err != nil {
		return nil, err
	}
	return p, nil
}

// partnerID is the pattern of a partner id (schemas/partner.schema.json).
var partnerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (p *plan) setReadOptions(c *Config) error {
	delim, ok := oneRune(c.Delimiter)
	switch c.Delimiter {
	case "tab", `\t`:
		delim, ok = '\t', true
	}
	if !ok || delim == '\r' || delim == '\n' || delim == utf8.RuneError {
		return configErr("/delimiter", "het scheidingsteken moet één teken zijn (of \"tab\")")
	}
	var quote rune
	if *c.Quote != "" {
		quote, ok = oneRune(*c.Quote)
		if !ok || quote == '\r' || quote == '\n' {
			return configErr("/quote", "het aanhalingsteken moet één teken zijn, of leeg om aanhalingstekens uit te zetten")
		}
		if quote == delim {
			return configErr("/quote", "aanhalingsteken en scheidingsteken moeten verschillen")
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

// setColumns checks the columns and the target fields they feed.
func (p *plan) setColumns(c *Config) error {
	keys := make([]string, 0, len(c.Columns))
	for k := range c.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type use struct {
		ref targetRef
		col *column
		ptr string
	}
	var uses []use
	seen := map[string]bool{}
	for _, k := range keys {
		spec := c.Columns[k]
		col := &column{key: k, target: -1, pointer: pointer("columns", k)}
		if p.header {
			name := fold(k)
			if name == "" {
				return configErr(col.pointer, "een kolomnaam mag niet leeg zijn")
			}
			if seen[name] {
				return configErr(col.pointer, "de kolom staat twee keer in de configuratie (hoofdletters tellen niet)")
			}
			seen[name] = true
		} else {
			n, err := strconv.Atoi(k)
			if err != nil || n < 1 || n > 10000 {
				return configErr(col.pointer, "zonder kopregel (header: false) heten kolommen naar hun positie: \"1\" is de eerste")
			}
			col.index = n
		}
		switch {
		case spec.Pattern != "":
			re, err := regexp.Compile(`^(?:` + spec.Pattern + `)$`)
			if err != nil {
				return configErr(pointer("columns", k, "pattern"), "ongeldige reguliere expressie: %v", err)
			}
			col.re = re
			named := map[string]bool{}
			for sub, name := range re.SubexpNames() {
				if name == "" {
					continue
				}
				named[name] = true
				path, ok := spec.Groups[name]
				if !ok {
					return configErr(pointer("columns", k, "groups"), "de groep '%s' van het patroon heeft geen doelveld", name)
				}
				ptr := pointer("columns", k, "groups", name)
				ref, ok := parseTarget(path)
				if !ok {
					return configErr(ptr, "onbekend doelveld; bekende doelvelden: %s", knownTargets())
				}
				col.groups = append(col.groups, group{sub: sub})
				uses = append(uses, use{ref: ref, col: col, ptr: ptr})
			}
			for _, name := range sortedKeys(spec.Groups) {
				if !named[name] {
					return configErr(pointer("columns", k, "groups", name), "het patroon heeft geen benoemde groep met deze naam (schrijf (?P<%s>...))", name)
				}
			}
		case spec.Field != "":
			ref, ok := parseTarget(spec.Field)
			if !ok {
				return configErr(col.pointer, "onbekend doelveld; bekende doelvelden: %s", knownTargets())
			}
			uses = append(uses, use{ref: ref, col: col, ptr: col.pointer})
		default:
			return configErr(col.pointer, "geef een doelveld, of pattern met groups")
		}
		p.columns = append(p.columns, col)
	}
	for _, u := range uses {
		if u.ref.domain != "" && !slices.Contains(p.domains, u.ref.domain) {
			p.domains = append(p.domains, u.ref.domain)
		}
	}
	sort.Strings(p.domains)
	p.fields = make([]*field, int(numFixedFields)+2*len(p.domains))
	groupIdx := map[*column]int{}
	for _, u := range uses {
		id, spec := p.resolve(u.ref)
		if f := p.fields[id]; f != nil {
			return configErr(u.ptr, "het doelveld %s krijgt al een waarde uit kolom '%s'", spec.path, f.col.key)
		}
		p.fields[id] = &field{id: id, spec: spec, col: u.col}
		if u.col.re != nil {
			u.col.groups[groupIdx[u.col]].target = id
			groupIdx[u.col]++
		} else {
			u.col.target = id
		}
	}
	for i, d := range p.domains {
		if p.fields[domainField(i, true)] != nil && p.fields[domainField(i, false)] == nil {
			return configErr("/columns", "leefgebied %s heeft een kolom voor de datum maar niet voor de status", d)
		}
	}
	hasPrefixCol := p.fields[fSurnamePrefix] != nil
	switch {
	case p.prefixes == prefixColumn && !hasPrefixCol:
		return configErr("/surname_prefix_mode", "column vraagt een kolom voor client.surname_prefix")
	case p.prefixes != prefixColumn && hasPrefixCol:
		return configErr("/surname_prefix_mode", "er is een kolom voor client.surname_prefix; gebruik column")
	}
	return nil
}

// resolve returns the fieldID and spec of a parsed target.
func (p *plan) resolve(ref targetRef) (fieldID, fieldSpec) {
	if ref.domain == "" {
		return ref.id, fixedFields[ref.id]
	}
	i := slices.Index(p.domains, ref.domain)
	return domainField(i, ref.date), domainSpec(ref.domain, ref.date)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setValues checks the value tables and hangs them on their fields.
func (p *plan) setValues(c *Config) error {
	for _, path := range sortedKeys(c.Values) {
		vt := c.Values[path]
		ptr := pointer("values", path)
		var targets []*field
		if path == wildcardStatus {
			for i := range p.domains {
				targets = append(targets, p.fields[domainField(i, false)])
			}
		} else {
			ref, ok := parseTarget(path)
			if !ok {
				return configErr(ptr, "onbekend doelveld; bekende doelvelden: %s, %s", knownTargets(), wildcardStatus)
			}
			if ref.domain == "" || slices.Contains(p.domains, ref.domain) {
				id, _ := p.resolve(ref)
				targets = append(targets, p.fields[id])
			}
		}
		if len(targets) == 0 || targets[0] == nil {
			return configErr(ptr, "er is geen kolom voor dit doelveld")
		}
		spec := targets[0].spec
		if vt.Unknown == unknownDefault && vt.Default == nil {
			return configErr(pointer("values", path, "default"), "unknown: default vraagt een waarde voor default")
		}
		if vt.Unknown != unknownDefault && vt.Default != nil {
			return configErr(pointer("values", path, "default"), "default geldt alleen bij unknown: default")
		}
		if vt.Unknown == unknownKeep && (spec.kind == kindEnum || spec.kind == kindBool) {
			return configErr(pointer("values", path, "unknown"), "keep kan niet bij een veld met vaste waarden (%s)", allowed(spec))
		}
		folded := map[string]string{}
		for _, code := range sortedKeys(vt.Map) {
			out := vt.Map[code]
			if prev, ok := folded[fold(code)]; ok && prev != out {
				return configErr(pointer("values", path, "map", code), "de code staat al in de tabel met een andere waarde (hoofdletters tellen niet)")
			}
			folded[fold(code)] = out
			if !validOutput(spec, out) {
				return configErr(pointer("values", path, "map", code), "%s is geen toegestane waarde voor %s (%s)", quoteOrEmpty(out), spec.path, allowed(spec))
			}
		}
		def := ""
		if vt.Default != nil {
			def = *vt.Default
			if !validOutput(spec, def) {
				return configErr(pointer("values", path, "default"), "geen toegestane waarde voor %s (%s)", spec.path, allowed(spec))
			}
		}
		t := newValueTable(vt.Map, vt.Unknown, def)
		for _, f := range targets {
			f.table = t
		}
	}
	return nil
}

// checkRequired checks that the record key and the client identity have a
// column.
func (p *plan) checkRequired() error {
	if p.fields[fRecordKey] == nil {
		return configErr("/columns", "er is geen kolom voor source.record_key (het dossiernummer); die is verplicht")
	}
	if p.fields[fBSN] == nil && p.fields[fSurname] == nil {
		return configErr("/columns", "er is een kolom nodig voor client.bsn of client.surname")
	}
	return nil
}

// validOutput reports whether a value table may produce v for spec.
func validOutput(spec fieldSpec, v string) bool {
	switch {
	case v == "":
		return true
	case spec.kind == kindEnum:
		return slices.Contains(spec.enum, v)
	case spec.kind == kindBool:
		_, ok := parseBool(v)
		return ok
	}
	return true
}

// allowed describes the values a field takes, for messages.
func allowed(spec fieldSpec) string {
	switch spec.kind {
	case kindEnum:
		return "toegestaan: " + strings.Join(spec.enum, ", ")
	case kindBool:
		return "toegestaan: ja, nee"
	}
	return "vrije tekst"
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return "(leeg)"
	}
	return "'" + s + "'"
}

// parseBool reads the usual Dutch and English spellings of yes and no.
func parseBool(v string) (bool, bool) {
	var buf [16]byte
	switch string(appendFold(buf[:0], v)) {
	case "true", "ja", "j", "yes", "y", "1", "waar":
		return true, true
	case "false", "nee", "n", "no", "0", "onwaar":
		return false, true
	}
	return false, false
}
