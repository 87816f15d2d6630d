// Package mapping maps the values of a partner's records onto the shared
// registration schema (schemas/registration.v1.schema.json) by
// configuration: which source value feeds which target field, value tables,
// date layouts, the voorvoegsel of surnames, initials. The csv adapter
// reads its rows with it; the poll adapter the items of a JSON page. A
// source is a column of a delimited file (by header name or position) or a
// JSON pointer into an item: the adapter extracts the source values of a
// record in the order of Plan.Sources and hands them to a Mapper.
package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the mapping part of an adapter configuration. An adapter embeds
// it in its own configuration, so that its settings sit at the top level.
type Config struct {
	NullValues             []string              `json:"null_values"`
	Columns                map[string]Column     `json:"columns"`
	Values                 map[string]ValueTable `json:"values"`
	DateLayouts            []string              `json:"date_layouts"`
	DateTimeLayouts        []string              `json:"datetime_layouts"`
	TimeZone               string                `json:"timezone"`
	SurnamePrefixMode      string                `json:"surname_prefix_mode"`
	InitialsFromFirstNames bool                  `json:"initials_from_first_names"`
	Operation              string                `json:"operation"`
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

// SetDefaults fills in the defaults of the mapping settings.
func (c *Config) SetDefaults() {
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
			if col.Field == fixedFields[SurnamePrefix].Path {
				c.SurnamePrefixMode = prefixColumn
			}
		}
	}
}

// Keys says what the keys of Config.Columns name.
type Keys int

// The kinds of source keys.
const (
	// KeysHeader: header names of a delimited file, compared without case
	// and surrounding blanks.
	KeysHeader Keys = iota
	// KeysPosition: 1-based positions of a delimited file without header.
	KeysPosition
	// KeysPointer: JSON pointers (RFC 6901) into an item, compared exactly.
	KeysPointer
)

// Options say how NewPlan reads the columns of a configuration.
type Options struct {
	// Keys is what the keys of Config.Columns name.
	Keys Keys
	// Prefix is the JSON pointer of Config in the adapter's configuration,
	// such as "/mapping"; "" when its settings sit at the top level. The
	// pointers of configuration errors start with it.
	Prefix string
}

// Plan is a checked mapping configuration, ready to map records.
type Plan struct {
	Partner string
	// Sources are the configured sources, in the order of their keys.
	Sources []*Source
	// Fields are the target fields by FieldID; nil when no source feeds one.
	Fields []*Field
	// Domains are the life domain names, sorted.
	Domains []string
	// Dates are the date layouts; DateTimes those of registered_at, read
	// in Loc.
	Dates     []DateLayout
	DateTimes []string
	Loc       *time.Location

	keys      Keys
	nulls     map[string]bool
	datesText string // the date layouts in Dutch notation, for messages
	timesText string
	prefixes  string // surname_prefix_mode
	initials  bool   // initials_from_first_names
	operation string
}

// Source is one configured source: a column or a JSON pointer.
type Source struct {
	Key     string         // header name, position as text, or JSON pointer
	Index   int            // 1-based position when the document has no header
	Target  FieldID        // the target field, or -1 for a split source
	Re      *regexp.Regexp // for a split source
	Groups  []Group        // for a split source, in the order of the pattern
	Pointer string         // JSON pointer of the source in the configuration
}

// Group maps a sub-match of a split source to a target field.
type Group struct {
	Sub    int
	Target FieldID
}

// Field is one target field that a source feeds.
type Field struct {
	ID     FieldID
	Spec   FieldSpec
	Source *Source
	Table  *Table
}

// DomainField returns the FieldID of the status or date of life domain i
// of Plan.Domains.
func DomainField(i int, date bool) FieldID {
	id := NumFixedFields + FieldID(2*i)
	if date {
		id++
	}
	return id
}

// Pointer builds a JSON pointer from its reference tokens.
func Pointer(tokens ...string) string {
	var b strings.Builder
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(esc.Replace(t))
	}
	return b.String()
}

// ConfigErr returns a *sdk.ConfigError at the JSON pointer ptr with a
// formatted Dutch message.
func ConfigErr(ptr, format string, args ...any) error {
	return &sdk.ConfigError{Field: ptr, Message: fmt.Sprintf(format, args...)}
}

// NewPlan checks a configuration with defaults set and prepares it for
// partner, reading the columns' keys as opts says. It returns a
// *sdk.ConfigError naming the first problem.
func NewPlan(partner string, c *Config, opts Options) (*Plan, error) {
	p, err := newPlan(partner, c, opts)
	var ce *sdk.ConfigError
	if errors.As(err, &ce) && opts.Prefix != "" {
		ce.Field = opts.Prefix + ce.Field
	}
	return p, err
}

func newPlan(partner string, c *Config, opts Options) (*Plan, error) {
	if !partnerID.MatchString(partner) {
		return nil, ConfigErr("", "de partnernaam moet uit kleine letters, cijfers en '-' bestaan")
	}
	p := &Plan{
		Partner:   partner,
		keys:      opts.Keys,
		nulls:     map[string]bool{},
		prefixes:  c.SurnamePrefixMode,
		initials:  c.InitialsFromFirstNames,
		operation: c.Operation,
	}
	for _, v := range c.NullValues {
		p.nulls[Fold(v)] = true
	}
	for i, l := range c.DateLayouts {
		d, err := NewDateLayout(l)
		if err != nil {
			return nil, ConfigErr(Pointer("date_layouts", strconv.Itoa(i)), "ongeldige datumnotatie: %v", err)
		}
		p.Dates = append(p.Dates, d)
	}
	p.datesText = humanLayouts(c.DateLayouts)
	for i, l := range c.DateTimeLayouts {
		if err := CheckDateTimeLayout(l); err != nil {
			return nil, ConfigErr(Pointer("datetime_layouts", strconv.Itoa(i)), "ongeldige notatie: %v", err)
		}
	}
	p.DateTimes = c.DateTimeLayouts
	p.timesText = humanLayouts(c.DateTimeLayouts)
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, ConfigErr("/timezone", "onbekende tijdzone (verwacht bijvoorbeeld Europe/Amsterdam)")
	}
	p.Loc = loc
	if err := p.setColumns(c); err != nil {
		return nil, err
	}
	if err := p.setValues(c); err != nil {
		return nil, err
	}
	if err := p.checkRequired(); err != nil {
		return nil, err
	}
	return p, nil
}

// validPointer reports whether k is a JSON pointer (RFC 6901) to a member
// of an item: "/" followed by reference tokens in which "~" only starts
// "~0" or "~1".
func validPointer(k string) bool {
	if !strings.HasPrefix(k, "/") {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] == '~' && (i+1 == len(k) || k[i+1] != '0' && k[i+1] != '1') {
			return false
		}
	}
	return true
}

// noun names a source in messages: kolom, or eigenschap for JSON pointers.
func (p *Plan) noun() string {
	if p.keys == KeysPointer {
		return "eigenschap"
	}
	return "kolom"
}

// everyRecord says "every record" in messages: elke regel, or elk item for
// JSON pointers.
func (p *Plan) everyRecord() string {
	if p.keys == KeysPointer {
		return "elk item"
	}
	return "elke regel"
}

// partnerID is the pattern of a partner id (schemas/partner.schema.json).
var partnerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// setColumns checks the columns and the target fields they feed.
func (p *Plan) setColumns(c *Config) error {
	keys := make([]string, 0, len(c.Columns))
	for k := range c.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type use struct {
		ref targetRef
		col *Source
		ptr string
	}
	var uses []use
	seen := map[string]bool{}
	for _, k := range keys {
		spec := c.Columns[k]
		col := &Source{Key: k, Target: -1, Pointer: Pointer("columns", k)}
		switch p.keys {
		case KeysHeader:
			name := Fold(k)
			if name == "" {
				return ConfigErr(col.Pointer, "een kolomnaam mag niet leeg zijn")
			}
			if seen[name] {
				return ConfigErr(col.Pointer, "de kolom staat twee keer in de configuratie (hoofdletters tellen niet)")
			}
			seen[name] = true
		case KeysPosition:
			n, err := strconv.Atoi(k)
			if err != nil || n < 1 || n > 10000 {
				return ConfigErr(col.Pointer, "zonder kopregel (header: false) heten kolommen naar hun positie: \"1\" is de eerste")
			}
			col.Index = n
		case KeysPointer:
			if !validPointer(k) {
				return ConfigErr(col.Pointer, "geen JSON-pointer: schrijf /naam, of /naam/achternaam voor een veld binnen een object (~1 voor een / in een naam)")
			}
		}
		switch {
		case spec.Pattern != "":
			re, err := regexp.Compile(`^(?:` + spec.Pattern + `)$`)
			if err != nil {
				return ConfigErr(Pointer("columns", k, "pattern"), "ongeldige reguliere expressie: %v", err)
			}
			col.Re = re
			named := map[string]bool{}
			for sub, name := range re.SubexpNames() {
				if name == "" {
					continue
				}
				named[name] = true
				path, ok := spec.Groups[name]
				if !ok {
					return ConfigErr(Pointer("columns", k, "groups"), "de groep '%s' van het patroon heeft geen doelveld", name)
				}
				ptr := Pointer("columns", k, "groups", name)
				ref, ok := parseTarget(path)
				if !ok {
					return ConfigErr(ptr, "onbekend doelveld; bekende doelvelden: %s", KnownTargets())
				}
				col.Groups = append(col.Groups, Group{Sub: sub})
				uses = append(uses, use{ref: ref, col: col, ptr: ptr})
			}
			for _, name := range sortedKeys(spec.Groups) {
				if !named[name] {
					return ConfigErr(Pointer("columns", k, "groups", name), "het patroon heeft geen benoemde groep met deze naam (schrijf (?P<%s>...))", name)
				}
			}
		case spec.Field != "":
			ref, ok := parseTarget(spec.Field)
			if !ok {
				return ConfigErr(col.Pointer, "onbekend doelveld; bekende doelvelden: %s", KnownTargets())
			}
			uses = append(uses, use{ref: ref, col: col, ptr: col.Pointer})
		default:
			return ConfigErr(col.Pointer, "geef een doelveld, of pattern met groups")
		}
		p.Sources = append(p.Sources, col)
	}
	for _, u := range uses {
		if u.ref.domain != "" && !slices.Contains(p.Domains, u.ref.domain) {
			p.Domains = append(p.Domains, u.ref.domain)
		}
	}
	sort.Strings(p.Domains)
	p.Fields = make([]*Field, int(NumFixedFields)+2*len(p.Domains))
	groupIdx := map[*Source]int{}
	for _, u := range uses {
		id, spec := p.resolve(u.ref)
		if f := p.Fields[id]; f != nil {
			return ConfigErr(u.ptr, "het doelveld %s krijgt al een waarde uit %s '%s'", spec.Path, p.noun(), f.Source.Key)
		}
		p.Fields[id] = &Field{ID: id, Spec: spec, Source: u.col}
		if u.col.Re != nil {
			u.col.Groups[groupIdx[u.col]].Target = id
			groupIdx[u.col]++
		} else {
			u.col.Target = id
		}
	}
	for i, d := range p.Domains {
		if p.Fields[DomainField(i, true)] != nil && p.Fields[DomainField(i, false)] == nil {
			return ConfigErr("/columns", "leefgebied %s heeft een %s voor de datum maar niet voor de status", d, p.noun())
		}
	}
	hasPrefixCol := p.Fields[SurnamePrefix] != nil
	switch {
	case p.prefixes == prefixColumn && !hasPrefixCol:
		return ConfigErr("/surname_prefix_mode", "column vraagt een %s voor client.surname_prefix", p.noun())
	case p.prefixes != prefixColumn && hasPrefixCol:
		return ConfigErr("/surname_prefix_mode", "er is een %s voor client.surname_prefix; gebruik column", p.noun())
	}
	return nil
}

// resolve returns the FieldID and spec of a parsed target.
func (p *Plan) resolve(ref targetRef) (FieldID, FieldSpec) {
	if ref.domain == "" {
		return ref.ID, fixedFields[ref.ID]
	}
	i := slices.Index(p.Domains, ref.domain)
	return DomainField(i, ref.date), domainSpec(ref.domain, ref.date)
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
func (p *Plan) setValues(c *Config) error {
	for _, path := range sortedKeys(c.Values) {
		vt := c.Values[path]
		ptr := Pointer("values", path)
		var targets []*Field
		if path == wildcardStatus {
			for i := range p.Domains {
				targets = append(targets, p.Fields[DomainField(i, false)])
			}
		} else {
			ref, ok := parseTarget(path)
			if !ok {
				return ConfigErr(ptr, "onbekend doelveld; bekende doelvelden: %s, %s", KnownTargets(), wildcardStatus)
			}
			if ref.domain == "" || slices.Contains(p.Domains, ref.domain) {
				id, _ := p.resolve(ref)
				targets = append(targets, p.Fields[id])
			}
		}
		if len(targets) == 0 || targets[0] == nil {
			return ConfigErr(ptr, "er is geen %s voor dit doelveld", p.noun())
		}
		spec := targets[0].Spec
		if vt.Unknown == unknownDefault && vt.Default == nil {
			return ConfigErr(Pointer("values", path, "default"), "unknown: default vraagt een waarde voor default")
		}
		if vt.Unknown != unknownDefault && vt.Default != nil {
			return ConfigErr(Pointer("values", path, "default"), "default geldt alleen bij unknown: default")
		}
		if vt.Unknown == unknownKeep && (spec.Kind == KindEnum || spec.Kind == KindBool) {
			return ConfigErr(Pointer("values", path, "unknown"), "keep kan niet bij een veld met vaste waarden (%s)", allowed(spec))
		}
		folded := map[string]string{}
		for _, code := range sortedKeys(vt.Map) {
			out := vt.Map[code]
			if prev, ok := folded[Fold(code)]; ok && prev != out {
				return ConfigErr(Pointer("values", path, "map", code), "de code staat al in de tabel met een andere waarde (hoofdletters tellen niet)")
			}
			folded[Fold(code)] = out
			if !validOutput(spec, out) {
				return ConfigErr(Pointer("values", path, "map", code), "%s is geen toegestane waarde voor %s (%s)", quoteOrEmpty(out), spec.Path, allowed(spec))
			}
		}
		def := ""
		if vt.Default != nil {
			def = *vt.Default
			if !validOutput(spec, def) {
				return ConfigErr(Pointer("values", path, "default"), "geen toegestane waarde voor %s (%s)", spec.Path, allowed(spec))
			}
		}
		t := newValueTable(vt.Map, vt.Unknown, def)
		for _, f := range targets {
			f.Table = t
		}
	}
	return nil
}

// checkRequired checks that the record key and the client identity have a
// column.
func (p *Plan) checkRequired() error {
	if p.Fields[RecordKey] == nil {
		return ConfigErr("/columns", "er is geen %s voor source.record_key (het dossiernummer); die is verplicht", p.noun())
	}
	if p.Fields[BSN] == nil && p.Fields[Surname] == nil {
		return ConfigErr("/columns", "er is een %s nodig voor client.bsn of client.surname", p.noun())
	}
	return nil
}

// validOutput reports whether a value table may produce v for spec.
func validOutput(spec FieldSpec, v string) bool {
	switch {
	case v == "":
		return true
	case spec.Kind == KindEnum:
		return slices.Contains(spec.Enum, v)
	case spec.Kind == KindBool:
		_, ok := ParseBool(v)
		return ok
	}
	return true
}

// allowed describes the values a field takes, for messages.
func allowed(spec FieldSpec) string {
	switch spec.Kind {
	case KindEnum:
		return "toegestaan: " + strings.Join(spec.Enum, ", ")
	case KindBool:
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

// ParseBool reads the usual Dutch and English spellings of yes and no.
func ParseBool(v string) (bool, bool) {
	var buf [16]byte
	switch string(appendFold(buf[:0], v)) {
	case "true", "ja", "j", "yes", "y", "1", "waar":
		return true, true
	case "false", "nee", "n", "no", "0", "onwaar":
		return false, true
	}
	return false, false
}
