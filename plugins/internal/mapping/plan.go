// Package mapping maps one record of a partner's export onto a registration
// of the shared schema (schemas/registration.v1.schema.json), as the
// partner's adapter configuration says: which source feeds which target
// field (split by a regular expression where one source holds several),
// value tables, date layouts, the voorvoegsel of a surname, initials. The
// adapters that map by configuration share it: plugins/csv finds the values
// in the columns of a row, plugins/jsonpush at JSON pointers in an object;
// both hand them to a Mapper, which checks and normalises every value and
// reports problems as sdk.RecordErrors with Dutch messages that never hold
// the value itself.
package mapping

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Settings are the configuration settings of every mapping adapter; an
// adapter's configuration embeds them. The adapter's config.schema.json
// describes them and its README documents them.
type Settings struct {
	NullValues             []string              `json:"null_values"`
	Values                 map[string]ValueTable `json:"values"`
	DateLayouts            []string              `json:"date_layouts"`
	DateTimeLayouts        []string              `json:"datetime_layouts"`
	TimeZone               string                `json:"timezone"`
	SurnamePrefixMode      string                `json:"surname_prefix_mode"`
	InitialsFromFirstNames bool                  `json:"initials_from_first_names"`
	Operation              string                `json:"operation"`
}

// Source is what one source value (a column, a JSON member) feeds: one
// target field, or, with a regular expression, the target fields of its
// named groups. In a configuration it is a target path, or an object.
type Source struct {
	Field   string            `json:"field"`
	Pattern string            `json:"pattern"`
	Groups  map[string]string `json:"groups"`
}

// UnmarshalJSON accepts a target field path as a plain string, or an object.
func (s *Source) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &s.Field)
	}
	type plain Source
	return json.Unmarshal(b, (*plain)(s))
}

// ValueTable translates the partner's codes for one target field.
type ValueTable struct {
	Map     map[string]string `json:"map"`
	Unknown string            `json:"unknown"`
	Default *string           `json:"default"`
}

// The modes of surname_prefix_mode.
const (
	PrefixColumn = "column" // the voorvoegsel has a source of its own
	PrefixInside = "inside" // the voorvoegsel is inside the surname
	PrefixNone   = "none"   // the surname is taken as it is
)

// wildcardStatus is the values key that applies to every life domain status.
const wildcardStatus = "life_domains.*.status"

// defaultDateTimeLayouts are tried for registered_at before the date layouts.
var defaultDateTimeLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// InputSpec is one configured source, as an adapter hands it to NewPlan.
type InputSpec struct {
	// Key names the source in the configuration: a column name, a JSON
	// pointer into a record.
	Key string
	// Ref names the source in messages: "kolom 'achternaam'", "/achternaam".
	Ref string
	// Pointer is the JSON pointer of the source's entry in the
	// configuration, for configuration errors.
	Pointer string
	Source  Source
}

// Input is one checked source.
type Input struct {
	Key     string
	Ref     string
	Pointer string
	// Target is the field the source feeds, or -1 for a split source.
	Target FieldID
	// Re is the pattern of a split source; Groups its named groups in the
	// order of the pattern.
	Re     *regexp.Regexp
	Groups []Group
}

// Group maps a sub-match of a split source to a target field.
type Group struct {
	Sub    int
	Target FieldID
}

// Field is one target field that a source feeds.
type Field struct {
	ID    FieldID
	spec  fieldSpec
	Input *Input
	table *valueTable
}

// Path returns the field's path in the shared schema (client.birth_date).
func (f *Field) Path() string { return f.spec.path }

// Label returns the field's Dutch name, for messages.
func (f *Field) Label() string { return f.spec.label }

// Bool reports whether the field takes true or false.
func (f *Field) Bool() bool { return f.spec.kind == kindBool }

// MaxLen returns the field's maximum length in characters, 0 for none.
func (f *Field) MaxLen() int { return f.spec.maxLen }

// Options say how an adapter names its sources.
type Options struct {
	// Word is the Dutch word for a source: "kolom", "veld"; The the same
	// with its article: "de kolom", "het veld".
	Word, The string
	// Each names every record in the message about a missing record key:
	// "elke regel", "elk record".
	Each string
	// Pointer is the JSON pointer of the sources in the configuration:
	// "/columns".
	Pointer string
	// FieldIsSource makes RecordError.Field name the source (its Key)
	// instead of the target field: for formats where the source is the
	// precise place (a JSON pointer), as a column number is for a row.
	FieldIsSource bool
	// DynamicDomains: the adapter finds life domains in the records
	// themselves (Mapper.AddDomain), so the value table of
	// life_domains.*.status is kept even when no source feeds a domain.
	DynamicDomains bool
}

// Plan is a checked mapping configuration for one partner.
type Plan struct {
	Partner string
	// Inputs are the sources in the order NewPlan got them.
	Inputs []*Input
	// Fields are the target fields by FieldID; nil where no source feeds one.
	Fields []*Field
	// Domains are the life domains that sources feed, sorted.
	Domains []string
	// Dates are the date layouts; DateTimes the layouts of registered_at.
	Dates     []DateLayout
	DateTimes []string
	// Loc is the time zone of times without one.
	Loc *time.Location

	opts      Options
	status    *valueTable // the table of life_domains.*.status, for Mapper.AddDomain
	datesText string
	timesText string
	nulls     map[string]bool
	prefixes  string
	initials  bool
	operation string
}

// escape escapes a reference token of a JSON pointer.
var escape = strings.NewReplacer("~", "~0", "/", "~1")

// Pointer builds a JSON pointer from its reference tokens.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape.Replace(t))
	}
	return b.String()
}

// ConfigErr returns a *sdk.ConfigError at the JSON pointer ptr.
func ConfigErr(ptr, format string, args ...any) error {
	return &sdk.ConfigError{Field: ptr, Message: fmt.Sprintf(format, args...)}
}

// partnerID is the pattern of a partner id (schemas/partner.schema.json).
var partnerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// NewPlan checks the sources and settings of a configuration for partner
// and prepares them. It fills in the defaults of s (documented in the
// adapters' config.schema.json). It returns a *sdk.ConfigError naming the
// first problem.
func NewPlan(partner string, s *Settings, specs []InputSpec, o Options) (*Plan, error) {
	if !partnerID.MatchString(partner) {
		return nil, ConfigErr("", "de partnernaam moet uit kleine letters, cijfers en '-' bestaan")
	}
	s.setDefaults(specs)
	p := &Plan{Partner: partner, opts: o, nulls: map[string]bool{}, prefixes: s.SurnamePrefixMode,
		initials: s.InitialsFromFirstNames, operation: s.Operation}
	for _, v := range s.NullValues {
		p.nulls[Fold(v)] = true
	}
	for i, l := range s.DateLayouts {
		d, err := NewDateLayout(l)
		if err != nil {
			return nil, ConfigErr(Pointer("date_layouts", strconv.Itoa(i)), "ongeldige datumnotatie: %v", err)
		}
		p.Dates = append(p.Dates, d)
	}
	p.datesText = humanLayouts(s.DateLayouts)
	for i, l := range s.DateTimeLayouts {
		if err := CheckDateTimeLayout(l); err != nil {
			return nil, ConfigErr(Pointer("datetime_layouts", strconv.Itoa(i)), "ongeldige notatie: %v", err)
		}
	}
	p.DateTimes = s.DateTimeLayouts
	p.timesText = humanLayouts(s.DateTimeLayouts)
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, ConfigErr("/timezone", "onbekende tijdzone (verwacht bijvoorbeeld Europe/Amsterdam)")
	}
	p.Loc = loc
	if err := p.setInputs(specs); err != nil {
		return nil, err
	}
	if err := p.setValues(s); err != nil {
		return nil, err
	}
	if err := p.checkRequired(); err != nil {
		return nil, err
	}
	return p, nil
}

// setDefaults fills in the defaults of the settings.
func (s *Settings) setDefaults(specs []InputSpec) {
	if len(s.DateLayouts) == 0 {
		s.DateLayouts = []string{time.DateOnly}
	}
	if len(s.DateTimeLayouts) == 0 {
		s.DateTimeLayouts = append(slices.Clone(defaultDateTimeLayouts), s.DateLayouts...)
	}
	if s.TimeZone == "" {
		s.TimeZone = "Europe/Amsterdam"
	}
	if s.Operation == "" {
		s.Operation = string(sdk.OpNew)
	}
	if s.SurnamePrefixMode == "" {
		s.SurnamePrefixMode = PrefixInside
		for _, in := range specs {
			if in.Source.Field == fixedFields[SurnamePrefix].path {
				s.SurnamePrefixMode = PrefixColumn
			}
		}
	}
}

// setInputs checks the sources and the target fields they feed.
func (p *Plan) setInputs(specs []InputSpec) error {
	type use struct {
		ref targetRef
		in  *Input
		ptr string
	}
	var uses []use
	for _, spec := range specs {
		src := spec.Source
		in := &Input{Key: spec.Key, Ref: spec.Ref, Pointer: spec.Pointer, Target: -1}
		switch {
		case src.Pattern != "":
			re, err := regexp.Compile(`^(?:` + src.Pattern + `)$`)
			if err != nil {
				return ConfigErr(spec.Pointer+"/pattern", "ongeldige reguliere expressie: %v", err)
			}
			in.Re = re
			named := map[string]bool{}
			for sub, name := range re.SubexpNames() {
				if name == "" {
					continue
				}
				named[name] = true
				path, ok := src.Groups[name]
				if !ok {
					return ConfigErr(spec.Pointer+"/groups", "de groep '%s' van het patroon heeft geen doelveld", name)
				}
				ptr := spec.Pointer + Pointer("groups", name)
				ref, ok := parseTarget(path)
				if !ok {
					return ConfigErr(ptr, "onbekend doelveld; bekende doelvelden: %s", knownTargets())
				}
				in.Groups = append(in.Groups, Group{Sub: sub})
				uses = append(uses, use{ref: ref, in: in, ptr: ptr})
			}
			for _, name := range slices.Sorted(maps.Keys(src.Groups)) {
				if !named[name] {
					return ConfigErr(spec.Pointer+Pointer("groups", name), "het patroon heeft geen benoemde groep met deze naam (schrijf (?P<%s>...))", name)
				}
			}
		case src.Field != "":
			ref, ok := parseTarget(src.Field)
			if !ok {
				return ConfigErr(spec.Pointer, "onbekend doelveld; bekende doelvelden: %s", knownTargets())
			}
			uses = append(uses, use{ref: ref, in: in, ptr: spec.Pointer})
		default:
			return ConfigErr(spec.Pointer, "geef een doelveld, of pattern met groups")
		}
		p.Inputs = append(p.Inputs, in)
	}
	for _, u := range uses {
		if u.ref.domain != "" && !slices.Contains(p.Domains, u.ref.domain) {
			p.Domains = append(p.Domains, u.ref.domain)
		}
	}
	sort.Strings(p.Domains)
	p.Fields = make([]*Field, int(NumFixedFields)+2*len(p.Domains))
	groupIdx := map[*Input]int{}
	for _, u := range uses {
		id, spec := p.resolve(u.ref)
		if f := p.Fields[id]; f != nil {
			return ConfigErr(u.ptr, "het doelveld %s krijgt al een waarde uit %s", spec.path, f.Input.Ref)
		}
		p.Fields[id] = &Field{ID: id, spec: spec, Input: u.in}
		if u.in.Re != nil {
			u.in.Groups[groupIdx[u.in]].Target = id
			groupIdx[u.in]++
		} else {
			u.in.Target = id
		}
	}
	for i, d := range p.Domains {
		if p.Fields[DomainField(i, true)] != nil && p.Fields[DomainField(i, false)] == nil {
			return ConfigErr(p.opts.Pointer, "leefgebied %s heeft een %s voor de datum maar niet voor de status", d, p.opts.Word)
		}
	}
	hasPrefix := p.Fields[SurnamePrefix] != nil
	switch {
	case p.prefixes == PrefixColumn && !hasPrefix:
		return ConfigErr("/surname_prefix_mode", "column vraagt een %s voor client.surname_prefix", p.opts.Word)
	case p.prefixes != PrefixColumn && hasPrefix:
		return ConfigErr("/surname_prefix_mode", "er is een %s voor client.surname_prefix; gebruik column", p.opts.Word)
	}
	return nil
}

// DomainField returns the FieldID of the status or date of the life domain
// with index i in Plan.Domains.
func DomainField(i int, date bool) FieldID {
	id := NumFixedFields + FieldID(2*i)
	if date {
		id++
	}
	return id
}

// resolve returns the FieldID and spec of a parsed target.
func (p *Plan) resolve(ref targetRef) (FieldID, fieldSpec) {
	if ref.domain == "" {
		return ref.id, fixedFields[ref.id]
	}
	i := slices.Index(p.Domains, ref.domain)
	return DomainField(i, ref.date), domainSpec(ref.domain, ref.date)
}

// setValues checks the value tables and hangs them on their fields.
func (p *Plan) setValues(s *Settings) error {
	for _, path := range slices.Sorted(maps.Keys(s.Values)) {
		vt := s.Values[path]
		ptr := Pointer("values", path)
		var targets []*Field
		if path == wildcardStatus {
			for i := range p.Domains {
				targets = append(targets, p.Fields[DomainField(i, false)])
			}
			if p.opts.DynamicDomains {
				t, err := newCheckedTable(domainSpec("*", false), vt, ptr)
				if err != nil {
					return err
				}
				p.status = t
			}
		} else {
			ref, ok := parseTarget(path)
			if !ok {
				return ConfigErr(ptr, "onbekend doelveld; bekende doelvelden: %s, %s", knownTargets(), wildcardStatus)
			}
			if ref.domain == "" || slices.Contains(p.Domains, ref.domain) {
				id, _ := p.resolve(ref)
				targets = append(targets, p.Fields[id])
			}
		}
		if path == wildcardStatus && p.status != nil {
			for _, f := range targets {
				f.table = p.status
			}
			continue
		}
		if len(targets) == 0 || targets[0] == nil {
			return ConfigErr(ptr, "er is geen %s voor dit doelveld", p.opts.Word)
		}
		t, err := newCheckedTable(targets[0].spec, vt, ptr)
		if err != nil {
			return err
		}
		for _, f := range targets {
			f.table = t
		}
	}
	return nil
}

// newCheckedTable checks the value table vt of a field with spec, found at
// ptr in the configuration, and prepares it.
func newCheckedTable(spec fieldSpec, vt ValueTable, ptr string) (*valueTable, error) {
	if vt.Unknown == unknownDefault && vt.Default == nil {
		return nil, ConfigErr(ptr+"/default", "unknown: default vraagt een waarde voor default")
	}
	if vt.Unknown != unknownDefault && vt.Default != nil {
		return nil, ConfigErr(ptr+"/default", "default geldt alleen bij unknown: default")
	}
	if vt.Unknown == unknownKeep && (spec.kind == kindEnum || spec.kind == kindBool) {
		return nil, ConfigErr(ptr+"/unknown", "keep kan niet bij een veld met vaste waarden (%s)", allowed(spec))
	}
	folded := map[string]string{}
	for _, code := range slices.Sorted(maps.Keys(vt.Map)) {
		out := vt.Map[code]
		if prev, ok := folded[Fold(code)]; ok && prev != out {
			return nil, ConfigErr(ptr+Pointer("map", code), "de code staat al in de tabel met een andere waarde (hoofdletters tellen niet)")
		}
		folded[Fold(code)] = out
		if !validOutput(spec, out) {
			return nil, ConfigErr(ptr+Pointer("map", code), "%s is geen toegestane waarde voor %s (%s)", quoteOrEmpty(out), spec.path, allowed(spec))
		}
	}
	def := ""
	if vt.Default != nil {
		def = *vt.Default
		if !validOutput(spec, def) {
			return nil, ConfigErr(ptr+"/default", "geen toegestane waarde voor %s (%s)", spec.path, allowed(spec))
		}
	}
	return newValueTable(vt.Map, vt.Unknown, def), nil
}

// checkRequired checks that the record key and the client identity have a
// source.
func (p *Plan) checkRequired() error {
	if p.Fields[RecordKey] == nil {
		return ConfigErr(p.opts.Pointer, "er is geen %s voor source.record_key (het dossiernummer); die is verplicht", p.opts.Word)
	}
	if p.Fields[BSN] == nil && p.Fields[Surname] == nil {
		return ConfigErr(p.opts.Pointer, "er is een %s nodig voor client.bsn of client.surname", p.opts.Word)
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
		_, ok := ParseBool(v)
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

// KnownTargets lists the target paths, for messages.
func KnownTargets() string { return knownTargets() }

// ParseDate reads a complete date with the date layouts, as a YYYY-MM-DD
// date ("" for a date of only zeros, the "no date" of some systems); it
// reports false for a value no layout reads.
func (p *Plan) ParseDate(v string) (string, bool) {
	d, err := parseDate(p.Dates, v, false)
	return d, err == nil
}

// DateLayoutsText lists the date layouts in Dutch notation (dd-mm-jjjj),
// for messages.
func (p *Plan) DateLayoutsText() string { return p.datesText }
