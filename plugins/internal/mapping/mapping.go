package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// cell is the value one target field got from a row.
type cell struct {
	v   string
	col int // 1-based column in the document; 0 when the field got no value or the source is no column
}

// Mapper maps the rows of one document onto registrations: a row holds the
// raw values of a record, Pos says where each of Plan.Sources stands in it.
// It is not safe for concurrent use.
type Mapper struct {
	p *Plan
	// Pos gives per source of Plan.Sources its 0-based position in a row;
	// BindHeader and BindPositions set it, an adapter with KeysPointer
	// leaves it as NewMapper made it: source i at position i.
	Pos        []int
	memo       []map[string][]string // per plan column: remembered pattern matches
	receivedAt string
	vals       []cell
	errs       []sdk.RecordError
	line       int
	// The registration under construction and its parts, reused from row
	// to row: a registration is marshalled before the next row is mapped.
	reg       sdk.Registration
	worker    sdk.ResponsibleWorker
	sensitive sdk.Sensitive
	diagnosis bool
	domains   map[string]sdk.LifeDomain
}

// NewMapper returns a Mapper for the records of one document, which the
// hub received at receivedAt (RFC 3339, the registered_at of a record that
// does not say; "" for none).
func NewMapper(p *Plan, receivedAt string) *Mapper {
	pos := make([]int, len(p.Sources))
	for i := range pos {
		pos[i] = i
	}
	return &Mapper{
		p:          p,
		Pos:        pos,
		memo:       make([]map[string][]string, len(p.Sources)),
		receivedAt: receivedAt,
		vals:       make([]cell, len(p.Fields)),
	}
}

// BindHeader finds the configured columns in the header of a delimited
// file (KeysHeader). It returns the configured names that are missing and
// those that occur more than once.
func (m *Mapper) BindHeader(header []string) (missing, doubled []string) {
	index := make(map[string]int, len(header))
	count := make(map[string]int, len(header))
	for i, h := range header {
		k := Fold(h)
		if _, ok := index[k]; !ok {
			index[k] = i
		}
		count[k]++
	}
	for i, c := range m.p.Sources {
		k := Fold(c.Key)
		pos, ok := index[k]
		switch {
		case !ok:
			missing = append(missing, c.Key)
		case count[k] > 1:
			doubled = append(doubled, c.Key)
		}
		m.Pos[i] = pos
	}
	return missing, doubled
}

// BindPositions addresses the columns by position, for a delimited file
// without header (KeysPosition). It returns the highest position used.
func (m *Mapper) BindPositions() int {
	highest := 0
	for i, c := range m.p.Sources {
		m.Pos[i] = c.Index - 1
		highest = max(highest, c.Index)
	}
	return highest
}

// colOf is the 1-based column of source i in a row, 0 for a JSON pointer.
func (m *Mapper) colOf(i int) int {
	if m.p.keys == KeysPointer {
		return 0
	}
	return m.Pos[i] + 1
}

// ColRef names a source for a message: kolom 'naam', kolom 3 or eigenschap
// '/naam'.
func (m *Mapper) ColRef(c *Source) string {
	switch m.p.keys {
	case KeysPosition:
		return "kolom " + c.Key
	case KeysPointer:
		return "eigenschap '" + c.Key + "'"
	}
	return "kolom '" + c.Key + "'"
}

// Column returns the 1-based column of the row that gave target field id
// its value in the last MapRow or RecordKey; 0 when none did or the
// sources are no columns.
func (m *Mapper) Column(id FieldID) int { return m.vals[id].col }

// fail records a problem with field f. The message names the field and the
// column but never the value.
func (m *Mapper) fail(f *Field, code, format string, args ...any) {
	m.errs = append(m.errs, sdk.RecordError{
		Line:    m.line,
		Column:  m.vals[f.ID].col,
		Field:   f.Spec.Path,
		Code:    code,
		Message: fmt.Sprintf("%s (veld %s, %s) ", f.Spec.Label, f.Spec.Path, m.ColRef(f.Source)) + fmt.Sprintf(format, args...),
	})
}

// MapRow maps one row. It returns the registration, or nil and the problems
// found, and the record key when the row has a usable one; the problems
// carry that key. The registration and the problems are valid until the
// next call.
func (m *Mapper) MapRow(line int, row []string) (reg *sdk.Registration, key string, errs []sdk.RecordError) {
	m.line = line
	m.errs = m.errs[:0]
	clear(m.vals)
	for i, c := range m.p.Sources {
		v := m.clean(row[m.Pos[i]])
		col := m.colOf(i)
		if c.Re == nil {
			m.vals[c.Target] = cell{v: v, col: col}
			continue
		}
		if v == "" {
			continue
		}
		sub := m.split(i, v)
		if sub == nil {
			first := m.p.Fields[c.Groups[0].Target]
			m.vals[first.ID].col = col
			m.fail(first, sdk.CodeFieldFormat, "heeft niet de vorm die het patroon van de %s verwacht", m.p.noun())
			continue
		}
		for _, g := range c.Groups {
			m.vals[g.Target] = cell{v: strings.TrimSpace(sub[g.Sub]), col: col}
		}
	}
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

// RecordKey returns the record key that MapRow gives row, without mapping
// the rest of it.
func (m *Mapper) RecordKey(row []string) string {
	f := m.p.Fields[RecordKey]
	m.errs = m.errs[:0]
	m.vals[RecordKey] = cell{}
	for i, c := range m.p.Sources {
		if c != f.Source {
			continue
		}
		v := m.clean(row[m.Pos[i]])
		if c.Re == nil {
			m.vals[RecordKey] = cell{v: v, col: m.colOf(i)}
			break
		}
		if v == "" {
			break
		}
		if sub := m.split(i, v); sub != nil {
			for _, g := range c.Groups {
				if g.Target == RecordKey {
					m.vals[RecordKey] = cell{v: strings.TrimSpace(sub[g.Sub]), col: m.colOf(i)}
				}
			}
		}
		break
	}
	return m.get(RecordKey)
}

// split matches v against the pattern of split column i. Partner exports
// repeat the same few values (the regievoerders) on many rows, so the last
// results are kept, up to splitMemo values per column.
func (m *Mapper) split(i int, v string) []string {
	memo := m.memo[i]
	if sub, ok := memo[v]; ok {
		return sub
	}
	sub := m.p.Sources[i].Re.FindStringSubmatch(v)
	if memo == nil {
		memo = map[string][]string{}
		m.memo[i] = memo
	}
	if len(memo) < splitMemo {
		memo[v] = sub
	}
	return sub
}

// splitMemo bounds the remembered results of a split column.
const splitMemo = 1024

// clean trims a value and empties the configured null values.
func (m *Mapper) clean(v string) string {
	v = strings.TrimSpace(v)
	if len(m.p.nulls) > 0 {
		if null, _ := lookupFold(m.p.nulls, v); null {
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
	identityErr := len(m.errs) > nErrs
	c.FirstNames = m.get(FirstNames)
	c.Initials = m.get(Initials)
	if c.Initials == "" && p.initials && c.FirstNames != "" {
		if ini := initialsOf(c.FirstNames); utf8.RuneCountInString(ini) <= fixedFields[Initials].MaxLen {
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
			if m.domains == nil {
				m.domains = make(map[string]sdk.LifeDomain, len(p.Domains))
			}
			m.domains[d] = sdk.LifeDomain{Status: status, Date: date}
			reg.LifeDomains = m.domains
		case date != "":
			m.fail(p.Fields[DomainField(i, false)], sdk.CodeRequired, "is leeg terwijl de datum van het leefgebied is ingevuld")
		}
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

// requireIdentity reports a client without BSN and surname.
func (m *Mapper) requireIdentity() {
	f := m.p.Fields[Surname]
	if f == nil {
		f = m.p.Fields[BSN]
	}
	var cols []string
	for _, id := range []FieldID{BSN, Surname} {
		if g := m.p.Fields[id]; g != nil {
			cols = append(cols, m.ColRef(g.Source))
		}
	}
	m.errs = append(m.errs, sdk.RecordError{
		Line:    m.line,
		Column:  m.vals[f.ID].col,
		Field:   f.Spec.Path,
		Code:    sdk.CodeRequired,
		Message: "BSN en achternaam (" + strings.Join(cols, ", ") + ") zijn allebei leeg; een van beide is verplicht",
	})
}

// surname returns the voorvoegsel and the surname of the surname field
// surnameID, after surname_prefix_mode.
func (m *Mapper) surname(surnameID, prefixID FieldID) (prefix, surname string) {
	surname = m.get(surnameID)
	prefix = m.get(prefixID)
	switch {
	case m.p.prefixes == prefixNone:
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
	if f == nil {
		return ""
	}
	v, ok := m.translate(f, m.vals[id].v)
	if !ok || v == "" {
		if f.Spec.Kind == KindKey && ok {
			m.fail(f, sdk.CodeRequired, "is leeg; %s moet een recordsleutel hebben", m.p.everyRecord())
		}
		return ""
	}
	switch f.Spec.Kind {
	case KindBSN:
		bsn, ok := NormaliseBSN(v)
		if !ok {
			m.fail(f, sdk.CodeFieldFormat, "bestaat niet uit 9 cijfers (spaties, punten en streepjes niet meegeteld)")
			return ""
		}
		return bsn
	case KindInitials:
		ini, ok := normaliseInitials(v)
		if !ok {
			m.fail(f, sdk.CodeFieldFormat, "bevat tekens die geen letters, punten of spaties zijn")
			return ""
		}
		v = ini
	case KindPrefix:
		v = normalisePrefix(v)
	case KindText:
		v = normaliseName(v)
	case KindBool:
		b, _ := ParseBool(v)
		v = strconv.FormatBool(b)
	case KindDate:
		d, err := parseDate(m.p.Dates, v, f.Spec.Partial)
		if err != nil {
			m.fail(f, sdk.CodeDate, "is geen geldige datum (verwacht %s)", m.p.datesText)
			return ""
		}
		return d
	case KindDateTime:
		t, err := parseDateTime(m.p.DateTimes, m.p.Loc, v)
		if err != nil {
			m.fail(f, sdk.CodeDate, "is geen geldig tijdstip (verwacht %s)", m.p.timesText)
			return ""
		}
		return t
	}
	if f.Spec.MaxLen > 0 && utf8.RuneCountInString(v) > f.Spec.MaxLen {
		m.fail(f, sdk.CodeFieldFormat, "is langer dan %d tekens", f.Spec.MaxLen)
		return ""
	}
	return v
}

// translate applies the field's value table and, for fields with fixed
// values, checks the value. It reports false after recording a problem.
func (m *Mapper) translate(f *Field, v string) (string, bool) {
	t := f.Table
	if t != nil {
		if out, ok := t.Lookup(v); ok {
			return out, true
		}
	}
	if v == "" {
		return "", true
	}
	switch f.Spec.Kind {
	case KindEnum:
		if c, ok := canonical(f.Spec.Enum, v); ok {
			return c, true
		}
	case KindBool:
		if _, ok := ParseBool(v); ok {
			return v, true
		}
	}
	if t == nil {
		if f.Spec.Kind == KindEnum || f.Spec.Kind == KindBool {
			m.fail(f, sdk.CodeValueUnknown, "heeft een onbekende waarde (%s)", allowed(f.Spec))
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
	if f.Spec.Kind == KindEnum || f.Spec.Kind == KindBool {
		m.fail(f, sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat en ook zelf niet is toegestaan (codes in de tabel: %s; %s)", t.codeList(), allowed(f.Spec))
	} else {
		m.fail(f, sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat (codes in de tabel: %s)", t.codeList())
	}
	return "", false
}

// NormaliseBSN strips blanks, dots and hyphens and pads a legacy 8-digit
// number with a leading zero. It reports false unless 9 digits remain. A BSN
// of only zeros, the "unknown" of some systems, gives "". The elfproef is
// the hub's business.
func NormaliseBSN(v string) (string, bool) {
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
