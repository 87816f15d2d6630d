package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// cell is the value one target field got from a record.
type cell struct {
	v   string
	col int  // the column of the source in the document; 0 when unknown or unset
	bad bool // the adapter rejected the value (Reject): no more problems about it
}

// Mapper maps the records of one document onto registrations: the adapter
// starts a record with Begin, gives each source its value with Set and
// builds the registration with Map. It is not safe for concurrent use.
type Mapper struct {
	p          *Plan
	memo       []map[string][]string // per input: remembered pattern matches
	receivedAt string
	vals       []cell
	errs       []sdk.RecordError
	line       int
	// The registration under construction and its parts, reused from record
	// to record: a registration is marshalled before the next one is mapped.
	reg       sdk.Registration
	worker    sdk.ResponsibleWorker
	sensitive sdk.Sensitive
	diagnosis bool
	domains   map[string]sdk.LifeDomain
	pending   []DomainInput // life domains found in the record (AddDomain)
}

// DomainInput is one life domain that an adapter found in a record itself
// (Options.DynamicDomains): its name, status and date as the record has
// them, and where each is, as a reference that messages name and, with
// Options.FieldIsSource, RecordError.Field.
type DomainInput struct {
	Name, Status, Date       string
	NameAt, StatusAt, DateAt string
}

// NewMapper returns a Mapper for p. receivedAt (RFC 3339, or "") is the
// registered_at of records without a source for it.
func NewMapper(p *Plan, receivedAt string) *Mapper {
	return &Mapper{
		p:          p,
		memo:       make([]map[string][]string, len(p.Inputs)),
		receivedAt: receivedAt,
		vals:       make([]cell, len(p.Fields)),
	}
}

// Begin starts the record that starts on line: every source is empty.
func (m *Mapper) Begin(line int) {
	m.line = line
	m.errs = m.errs[:0]
	m.pending = m.pending[:0]
	clear(m.vals)
}

// AddDomain adds a life domain found in the current record. Map checks it
// like a configured one: the status through the value table of
// life_domains.*.status, the date with the date layouts, and the name,
// which must be a life domain name of the shared schema (lower case, '_'
// for blanks and hyphens) that the record has only once.
func (m *Mapper) AddDomain(d DomainInput) {
	m.pending = append(m.pending, d)
}

// Set gives source i (an index of Plan.Inputs) the value v, found in column
// col of the document (0 when the format has no columns). The value is
// trimmed and a configured null value counts as empty; a split source is
// split by its pattern, and a value that does not match is a FIELD_FORMAT
// problem of its first group's field.
func (m *Mapper) Set(i int, v string, col int) {
	in := m.p.Inputs[i]
	v = m.Clean(v)
	if in.Re == nil {
		m.vals[in.Target] = cell{v: v, col: col}
		return
	}
	if v == "" {
		return
	}
	sub := m.split(i, v)
	if sub == nil {
		first := m.p.Fields[in.Groups[0].Target]
		m.vals[first.ID].col = col
		m.fail(first, sdk.CodeFieldFormat, "heeft niet de vorm die het patroon van %s verwacht", m.p.opts.The)
		return
	}
	for _, g := range in.Groups {
		m.vals[g.Target] = cell{v: strings.TrimSpace(sub[g.Sub]), col: col}
	}
}

// Reject reports a problem with the value of source i that the adapter
// found itself (the value is of a kind the source cannot hold), on the
// field the source feeds (the first group's field for a split source); the
// source stays empty.
func (m *Mapper) Reject(i int, code, format string, args ...any) {
	in := m.p.Inputs[i]
	id := in.Target
	if in.Re != nil {
		id = in.Groups[0].Target
	}
	m.vals[id] = cell{bad: true}
	m.fail(m.p.Fields[id], code, format, args...)
}

// Map builds the registration from the values set since Begin. It returns
// the registration, or nil and the problems found, and the record key when
// the record has a usable one; the problems carry that key. The
// registration and the problems are valid until the next Begin.
func (m *Mapper) Map() (reg *sdk.Registration, key string, errs []sdk.RecordError) {
	reg = m.build()
	key = reg.Source.RecordKey
	if len(m.errs) > 0 {
		for i := range m.errs {
			m.errs[i].RecordKey = key
		}
		return nil, key, m.errs
	}
	return reg, key, nil
}

// Key returns the record key of the values set since Begin, without
// mapping the rest: "" when it is empty or unusable.
func (m *Mapper) Key() string {
	return m.get(RecordKey)
}

// KeyColumn returns the column the record key came from, 0 when unknown.
func (m *Mapper) KeyColumn() int { return m.vals[RecordKey].col }

// Problem returns a problem with target field id of the current record, in
// the form of every problem the Mapper reports: the field's Dutch name, its
// path and its source, then what is wrong (format and args, never the
// value).
func (m *Mapper) Problem(id FieldID, code, format string, args ...any) sdk.RecordError {
	f := m.p.Fields[id]
	return m.problemAt(f.spec, f.Input.Key, f.Input.Ref, m.vals[f.ID].col, code, format, args...)
}

// problemAt returns a problem with a field of spec whose source is key,
// named ref in messages, in column col.
func (m *Mapper) problemAt(spec fieldSpec, key, ref string, col int, code, format string, args ...any) sdk.RecordError {
	field := spec.path
	if m.p.opts.FieldIsSource {
		field = key
	}
	return sdk.RecordError{
		Line:    m.line,
		Column:  col,
		Field:   field,
		Code:    code,
		Message: fmt.Sprintf("%s (veld %s, %s) ", spec.label, spec.path, ref) + fmt.Sprintf(format, args...),
	}
}

// fail records a problem with field f.
func (m *Mapper) fail(f *Field, code, format string, args ...any) {
	m.errs = append(m.errs, m.Problem(f.ID, code, format, args...))
}

// split matches v against the pattern of split source i. Partner exports
// repeat the same few values (the regievoerders) on many records, so the
// last results are kept, up to splitMemo values per source.
func (m *Mapper) split(i int, v string) []string {
	memo := m.memo[i]
	if sub, ok := memo[v]; ok {
		return sub
	}
	sub := m.p.Inputs[i].Re.FindStringSubmatch(v)
	if memo == nil {
		memo = map[string][]string{}
		m.memo[i] = memo
	}
	if len(memo) < splitMemo {
		memo[v] = sub
	}
	return sub
}

// splitMemo bounds the remembered results of a split source.
const splitMemo = 1024

// Clean trims a value and empties the configured null values, as Set does.
func (m *Mapper) Clean(v string) string {
	v = strings.TrimSpace(v)
	if len(m.p.nulls) > 0 {
		if null, _ := LookupFold(m.p.nulls, v); null {
			return ""
		}
	}
	return v
}

// build assembles the registration from the cell values.
func (m *Mapper) build() *sdk.Registration {
	p := m.p
	reg := &m.reg
	*reg = sdk.Registration{
		SchemaVersion: sdk.SchemaVersion,
		Source:        sdk.Source{Partner: p.Partner, RecordKey: m.get(RecordKey)},
		Operation:     sdk.Operation(p.operation),
		RegisteredAt:  m.receivedAt,
	}
	nErrs := len(m.errs)
	c := &reg.Client
	c.BSN = m.get(BSN)
	c.SurnamePrefix, c.Surname = m.surname(Surname, SurnamePrefix)
	identityErr := len(m.errs) > nErrs || m.vals[BSN].bad || m.vals[Surname].bad
	c.FirstNames = m.get(FirstNames)
	c.Initials = m.get(Initials)
	if c.Initials == "" && p.initials && c.FirstNames != "" {
		if ini := initialsOf(c.FirstNames); utf8.RuneCountInString(ini) <= fixedFields[Initials].maxLen {
			c.Initials = ini
		}
	}
	c.PartnerSurnamePrefix, c.PartnerSurname = m.surname(PartnerSurname, PartnerSurnamePrefix)
	c.BirthDate = m.get(BirthDate)
	c.Gender = m.get(Gender)
	if c.BSN == "" && c.Surname == "" && !identityErr {
		m.requireIdentity()
	}
	m.worker = sdk.ResponsibleWorker{Name: m.get(WorkerName), Organisation: m.get(WorkerOrganisation), Role: m.get(WorkerRole)}
	if m.worker != (sdk.ResponsibleWorker{}) {
		reg.ResponsibleWorker = &m.worker
	}
	reg.ProcessStep = m.get(ProcessStep)
	reg.TargetGroup = m.get(TargetGroup)
	reg.Municipality = m.get(Municipality)
	reg.Neighbourhood = m.get(Neighbourhood)
	if at := m.get(RegisteredAt); at != "" {
		reg.RegisteredAt = at
	}
	if op := m.get(Operation); op != "" {
		reg.Operation = sdk.Operation(op)
	}
	clear(m.domains)
	for i, d := range p.Domains {
		status, date := m.get(DomainField(i, false)), m.get(DomainField(i, true))
		switch {
		case status != "":
			m.setDomain(d, sdk.LifeDomain{Status: status, Date: date})
		case date != "":
			m.fail(p.Fields[DomainField(i, false)], sdk.CodeRequired, "is leeg terwijl de datum van het leefgebied is ingevuld")
		}
	}
	for _, d := range m.pending {
		m.dynamicDomain(d)
	}
	s := &m.sensitive
	*s = sdk.Sensitive{}
	if v := m.get(DiagnosisPresent); v != "" {
		m.diagnosis = v == "true"
		s.DiagnosisPresent = &m.diagnosis
	}
	s.DiagnosisClassification = m.get(DiagnosisClassification)
	if s.DiagnosisPresent != nil || s.DiagnosisClassification != "" {
		reg.Sensitive = s
	}
	return reg
}

func (m *Mapper) setDomain(name string, d sdk.LifeDomain) {
	if m.domains == nil {
		m.domains = make(map[string]sdk.LifeDomain, len(m.p.Domains))
	}
	m.domains[name] = d
	m.reg.LifeDomains = m.domains
}

// dynamicDomain checks and adds a life domain found in the record.
func (m *Mapper) dynamicDomain(d DomainInput) {
	name, status, date := m.Clean(d.Name), m.Clean(d.Status), m.Clean(d.Date)
	nameSpec := fieldSpec{path: "life_domains", label: "naam leefgebied"}
	switch {
	case name == "" && status == "" && date == "":
		return
	case name == "":
		m.errs = append(m.errs, m.problemAt(nameSpec, d.NameAt, d.NameAt, 0, sdk.CodeRequired, "is leeg terwijl status of datum is ingevuld"))
		return
	}
	name = domainKey(name)
	if !domainName.MatchString(name) {
		m.errs = append(m.errs, m.problemAt(nameSpec, d.NameAt, d.NameAt, 0, sdk.CodeFieldFormat,
			"is geen naam van een leefgebied (kleine letters en _, 2 tot 40 tekens, zoals wonen of sociaal_netwerk)"))
		return
	}
	if _, dup := m.domains[name]; dup {
		m.errs = append(m.errs, m.problemAt(nameSpec, d.NameAt, d.NameAt, 0, sdk.CodeFieldFormat, "noemt leefgebied %s dat al eerder in dit record voorkomt", name))
		return
	}
	statusSpec, dateSpec := domainSpec(name, false), domainSpec(name, true)
	bad := false
	fail := func(spec fieldSpec, at string) func(code, format string, args ...any) {
		return func(code, format string, args ...any) {
			bad = true
			m.errs = append(m.errs, m.problemAt(spec, at, at, 0, code, format, args...))
		}
	}
	status, ok := m.translate(statusSpec, m.p.status, status, fail(statusSpec, d.StatusAt))
	if ok && status == "" {
		fail(statusSpec, d.StatusAt)(sdk.CodeRequired, "is leeg; elk leefgebied heeft een status (%s)", allowed(statusSpec))
	}
	if date != "" {
		if date, ok = m.p.ParseDate(date); !ok {
			fail(dateSpec, d.DateAt)(sdk.CodeDate, "is geen geldige datum (verwacht %s)", m.p.datesText)
		}
	}
	if !bad {
		m.setDomain(name, sdk.LifeDomain{Status: status, Date: date})
	}
}

// domainKey brings a life domain name into the form of the shared schema:
// lower case, blanks and hyphens as '_' ("Sociaal netwerk" gives
// sociaal_netwerk).
func domainKey(name string) string {
	b := []byte(Fold(name))
	for i, c := range b {
		if c == ' ' || c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// requireIdentity reports a client without BSN and surname.
func (m *Mapper) requireIdentity() {
	f := m.p.Fields[Surname]
	if f == nil {
		f = m.p.Fields[BSN]
	}
	var refs []string
	for _, id := range []FieldID{BSN, Surname} {
		if g := m.p.Fields[id]; g != nil {
			refs = append(refs, g.Input.Ref)
		}
	}
	e := m.Problem(f.ID, sdk.CodeRequired, "")
	e.Message = "BSN en achternaam (" + strings.Join(refs, ", ") + ") zijn allebei leeg; een van beide is verplicht"
	m.errs = append(m.errs, e)
}

// surname returns the voorvoegsel and the surname of the surname field
// surnameID, after surname_prefix_mode.
func (m *Mapper) surname(surnameID, prefixID FieldID) (prefix, surname string) {
	surname = m.get(surnameID)
	prefix = m.get(prefixID)
	switch {
	case m.p.prefixes == PrefixNone:
	case prefix != "":
		surname = stripPrefix(prefix, surname)
	default:
		prefix, surname = splitSurname(surname)
	}
	return prefix, surname
}

// get returns the value of target field id, translated and normalised, or ""
// when the field is empty, unmapped or wrong (the problem is recorded).
func (m *Mapper) get(id FieldID) string {
	f := m.p.Fields[id]
	if f == nil || m.vals[id].bad {
		return ""
	}
	v, ok := m.translate(f.spec, f.table, m.vals[id].v, func(code, format string, args ...any) { m.fail(f, code, format, args...) })
	if !ok || v == "" {
		if f.spec.kind == kindKey && ok {
			m.fail(f, sdk.CodeRequired, "is leeg; %s moet een recordsleutel hebben", m.p.opts.Each)
		}
		return ""
	}
	switch f.spec.kind {
	case kindBSN:
		bsn, ok := normaliseBSN(v)
		if !ok {
			m.fail(f, sdk.CodeFieldFormat, "bestaat niet uit 9 cijfers (spaties, punten en streepjes niet meegeteld)")
			return ""
		}
		return bsn
	case kindInitials:
		ini, ok := normaliseInitials(v)
		if !ok {
			m.fail(f, sdk.CodeFieldFormat, "bevat tekens die geen letters, punten of spaties zijn")
			return ""
		}
		v = ini
	case kindPrefix:
		v = normalisePrefix(v)
	case kindText:
		v = normaliseName(v)
	case kindBool:
		b, _ := ParseBool(v)
		v = strconv.FormatBool(b)
	case kindDate:
		d, err := parseDate(m.p.Dates, v, f.spec.partial)
		if err != nil {
			m.fail(f, sdk.CodeDate, "is geen geldige datum (verwacht %s)", m.p.datesText)
			return ""
		}
		return d
	case kindDateTime:
		t, err := parseDateTime(m.p.DateTimes, m.p.Loc, v)
		if err != nil {
			m.fail(f, sdk.CodeDate, "is geen geldig tijdstip (verwacht %s)", m.p.timesText)
			return ""
		}
		return t
	}
	if f.spec.maxLen > 0 && utf8.RuneCountInString(v) > f.spec.maxLen {
		m.fail(f, sdk.CodeFieldFormat, "is langer dan %d tekens", f.spec.maxLen)
		return ""
	}
	return v
}

// translate applies a field's value table t (nil for none) and, for fields
// with fixed values, checks the value. It reports false after reporting a
// problem through fail.
func (m *Mapper) translate(spec fieldSpec, t *valueTable, v string, fail func(code, format string, args ...any)) (string, bool) {
	if t != nil {
		if out, ok := t.lookup(v); ok {
			return out, true
		}
	}
	if v == "" {
		return "", true
	}
	switch spec.kind {
	case kindEnum:
		if c, ok := canonical(spec.enum, v); ok {
			return c, true
		}
	case kindBool:
		if _, ok := ParseBool(v); ok {
			return v, true
		}
	}
	if t == nil {
		if spec.kind == kindEnum || spec.kind == kindBool {
			fail(sdk.CodeValueUnknown, "heeft een onbekende waarde (%s)", allowed(spec))
			return "", false
		}
		return v, true
	}
	switch t.unknown {
	case unknownKeep:
		return v, true
	case unknownEmpty:
		return "", true
	case unknownDefault:
		return t.def, true
	}
	if spec.kind == kindEnum || spec.kind == kindBool {
		fail(sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat en ook zelf niet is toegestaan (codes in de tabel: %s; %s)", t.codeList(), allowed(spec))
	} else {
		fail(sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat (codes in de tabel: %s)", t.codeList())
	}
	return "", false
}

// normaliseBSN strips blanks, dots and hyphens and pads a legacy 8-digit
// number with a leading zero. It reports false unless 9 digits remain. A BSN
// of only zeros, the "unknown" of some systems, gives "". The elfproef is
// the hub's business.
func normaliseBSN(v string) (string, bool) {
	var b [9]byte
	n := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '.' || c == '-' || c == '\t':
		case c >= '0' && c <= '9' && n < len(b):
			b[n] = c
			n++
		default:
			return "", false
		}
	}
	switch n {
	case 8:
		copy(b[1:], b[:8])
		b[0] = '0'
	case 9:
	default:
		return "", false
	}
	switch {
	case string(b[:]) == "000000000":
		return "", true
	case n == len(b) && len(v) == n:
		return v, true // v is the nine digits themselves
	}
	return string(b[:]), true
}
