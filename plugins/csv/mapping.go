package main

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
	col int // 1-based column in the document; 0 when the field got no value
}

// mapper maps the rows of one document onto registrations. It is not safe
// for concurrent use.
type mapper struct {
	p          *plan
	pos        []int                 // per plan column: its 0-based position in the row
	cpos       []int                 // per consent column: its 0-based position in the row
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

func newMapper(p *plan, receivedAt string) *mapper {
	return &mapper{
		p:          p,
		pos:        make([]int, len(p.columns)),
		cpos:       make([]int, len(p.consentCols)),
		memo:       make([]map[string][]string, len(p.columns)),
		receivedAt: receivedAt,
		vals:       make([]cell, len(p.fields)),
	}
}

// bindHeader finds the configured columns in the header. It returns the
// configured names that are missing and those that occur more than once.
func (m *mapper) bindHeader(header []string) (missing, doubled []string) {
	index := make(map[string]int, len(header))
	count := make(map[string]int, len(header))
	for i, h := range header {
		k := fold(h)
		if _, ok := index[k]; !ok {
			index[k] = i
		}
		count[k]++
	}
	find := func(key string) int {
		k := fold(key)
		pos, ok := index[k]
		switch {
		case !ok:
			missing = append(missing, key)
		case count[k] > 1:
			doubled = append(doubled, key)
		}
		return pos
	}
	for i, c := range m.p.columns {
		m.pos[i] = find(c.key)
	}
	for _, c := range m.p.consentCols {
		m.cpos[c.slot] = find(c.key)
	}
	return missing, doubled
}

// bindPositions addresses the columns by position, for a document without
// header. It returns the highest position used.
func (m *mapper) bindPositions() int {
	highest := 0
	for i, c := range m.p.columns {
		m.pos[i] = c.index - 1
		highest = max(highest, c.index)
	}
	for _, c := range m.p.consentCols {
		m.cpos[c.slot] = c.index - 1
		highest = max(highest, c.index)
	}
	return highest
}

// colRef names a column for a message.
func (m *mapper) colRef(c *column) string {
	if m.p.header {
		return "kolom '" + c.key + "'"
	}
	return "kolom " + c.key
}

// fail records a problem with field f. The message names the field and the
// column but never the value.
func (m *mapper) fail(f *field, code, format string, args ...any) {
	m.errs = append(m.errs, sdk.RecordError{
		Line:    m.line,
		Column:  m.vals[f.id].col,
		Field:   f.spec.path,
		Code:    code,
		Message: fmt.Sprintf("%s (veld %s, %s) ", f.spec.label, f.spec.path, m.colRef(f.col)) + fmt.Sprintf(format, args...),
	})
}

// mapRow maps one row. It returns the registration, or nil and the problems
// found, and the record key when the row has a usable one; the problems
// carry that key. The registration and the problems are valid until the
// next call.
func (m *mapper) mapRow(line int, row []string) (reg *sdk.Registration, key string, errs []sdk.RecordError) {
	m.line = line
	m.errs = m.errs[:0]
	clear(m.vals)
	for i, c := range m.p.columns {
		v := m.clean(row[m.pos[i]])
		col := m.pos[i] + 1
		if c.re == nil {
			m.vals[c.target] = cell{v: v, col: col}
			continue
		}
		if v == "" {
			continue
		}
		sub := m.split(i, v)
		if sub == nil {
			first := m.p.fields[c.groups[0].target]
			m.vals[first.id].col = col
			m.fail(first, sdk.CodeFieldFormat, "heeft niet de vorm die het patroon van de kolom verwacht")
			continue
		}
		for _, g := range c.groups {
			m.vals[g.target] = cell{v: strings.TrimSpace(sub[g.sub]), col: col}
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

// recordKey returns the record key that mapRow gives row, without mapping
// the rest of it.
func (m *mapper) recordKey(row []string) string {
	f := m.p.fields[fRecordKey]
	m.errs = m.errs[:0]
	m.vals[fRecordKey] = cell{}
	for i, c := range m.p.columns {
		if c != f.col {
			continue
		}
		v := m.clean(row[m.pos[i]])
		if c.re == nil {
			m.vals[fRecordKey] = cell{v: v, col: m.pos[i] + 1}
			break
		}
		if v == "" {
			break
		}
		if sub := m.split(i, v); sub != nil {
			for _, g := range c.groups {
				if g.target == fRecordKey {
					m.vals[fRecordKey] = cell{v: strings.TrimSpace(sub[g.sub]), col: m.pos[i] + 1}
				}
			}
		}
		break
	}
	return m.get(fRecordKey)
}

// split matches v against the pattern of split column i. Partner exports
// repeat the same few values (the regievoerders) on many rows, so the last
// results are kept, up to splitMemo values per column.
func (m *mapper) split(i int, v string) []string {
	memo := m.memo[i]
	if sub, ok := memo[v]; ok {
		return sub
	}
	sub := m.p.columns[i].re.FindStringSubmatch(v)
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
func (m *mapper) clean(v string) string {
	v = strings.TrimSpace(v)
	if len(m.p.nulls) > 0 {
		if null, _ := lookupFold(m.p.nulls, v); null {
			return ""
		}
	}
	return v
}

// build assembles the registration from the cell values.
func (m *mapper) build() *sdk.Registration {
	p := m.p
	reg := &m.reg
	*reg = sdk.Registration{
		SchemaVersion: sdk.SchemaVersion,
		Source:        sdk.Source{Partner: p.partner, RecordKey: m.get(fRecordKey)},
		Operation:     sdk.Operation(p.operation),
		RegisteredAt:  m.receivedAt,
	}
	nErrs := len(m.errs)
	c := &reg.Client
	c.BSN = m.get(fBSN)
	c.SurnamePrefix, c.Surname = m.surname(fSurname, fSurnamePrefix)
	identityErr := len(m.errs) > nErrs
	c.FirstNames = m.get(fFirstNames)
	c.Initials = m.get(fInitials)
	if c.Initials == "" && p.initials && c.FirstNames != "" {
		if ini := initialsOf(c.FirstNames); utf8.RuneCountInString(ini) <= fixedFields[fInitials].maxLen {
			c.Initials = ini
		}
	}
	c.PartnerSurnamePrefix, c.PartnerSurname = m.surname(fPartnerSurname, fPartnerSurnamePrefix)
	c.BirthDate = m.get(fBirthDate)
	c.Gender = m.get(fGender)
	if c.BSN == "" && c.Surname == "" && !identityErr {
		m.requireIdentity()
	}
	m.worker = sdk.ResponsibleWorker{Name: m.get(fWorkerName), Organisation: m.get(fWorkerOrganisation), Role: m.get(fWorkerRole)}
	if m.worker != (sdk.ResponsibleWorker{}) {
		reg.ResponsibleWorker = &m.worker
	}
	reg.ProcessStep = m.get(fProcessStep)
	reg.TargetGroup = m.get(fTargetGroup)
	reg.Municipality = m.get(fMunicipality)
	reg.Neighbourhood = m.get(fNeighbourhood)
	if at := m.get(fRegisteredAt); at != "" {
		reg.RegisteredAt = at
	}
	if op := m.get(fOperation); op != "" {
		reg.Operation = sdk.Operation(op)
	}
	clear(m.domains)
	for i, d := range p.domains {
		status, date := m.get(domainField(i, false)), m.get(domainField(i, true))
		switch {
		case status != "":
			if m.domains == nil {
				m.domains = make(map[string]sdk.LifeDomain, len(p.domains))
			}
			m.domains[d] = sdk.LifeDomain{Status: status, Date: date}
			reg.LifeDomains = m.domains
		case date != "":
			m.fail(p.fields[domainField(i, false)], sdk.CodeRequired, "is leeg terwijl de datum van het leefgebied is ingevuld")
		}
	}
	s := &m.sensitive
	*s = sdk.Sensitive{}
	if v := m.get(fDiagnosisPresent); v != "" {
		m.diagnosis = v == "true"
		s.DiagnosisPresent = &m.diagnosis
	}
	s.DiagnosisClassification = m.get(fDiagnosisClassification)
	if s.DiagnosisPresent != nil || s.DiagnosisClassification != "" {
		reg.Sensitive = s
	}
	return reg
}

// requireIdentity reports a client without BSN and surname.
func (m *mapper) requireIdentity() {
	f := m.p.fields[fSurname]
	if f == nil {
		f = m.p.fields[fBSN]
	}
	var cols []string
	for _, id := range []fieldID{fBSN, fSurname} {
		if g := m.p.fields[id]; g != nil {
			cols = append(cols, m.colRef(g.col))
		}
	}
	m.errs = append(m.errs, sdk.RecordError{
		Line:    m.line,
		Column:  m.vals[f.id].col,
		Field:   f.spec.path,
		Code:    sdk.CodeRequired,
		Message: "BSN en achternaam (" + strings.Join(cols, ", ") + ") zijn allebei leeg; een van beide is verplicht",
	})
}

// surname returns the voorvoegsel and the surname of the surname field
// surnameID, after surname_prefix_mode.
func (m *mapper) surname(surnameID, prefixID fieldID) (prefix, surname string) {
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
func (m *mapper) get(id fieldID) string {
	f := m.p.fields[id]
	if f == nil {
		return ""
	}
	v, ok := m.translate(f, m.vals[id].v)
	if !ok || v == "" {
		if f.spec.kind == kindKey && ok {
			m.fail(f, sdk.CodeRequired, "is leeg; elke regel moet een recordsleutel hebben")
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
		b, _ := parseBool(v)
		v = strconv.FormatBool(b)
	case kindDate:
		d, err := parseDate(m.p.dates, v, f.spec.partial)
		if err != nil {
			m.fail(f, sdk.CodeDate, "is geen geldige datum (verwacht %s)", m.p.datesText)
			return ""
		}
		return d
	case kindDateTime:
		t, err := parseDateTime(m.p.dateTimes, m.p.loc, v)
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

// translate applies the field's value table and, for fields with fixed
// values, checks the value. It reports false after recording a problem.
func (m *mapper) translate(f *field, v string) (string, bool) {
	t := f.table
	if t != nil {
		if out, ok := t.lookup(v); ok {
			return out, true
		}
	}
	if v == "" {
		return "", true
	}
	switch f.spec.kind {
	case kindEnum:
		if c, ok := canonical(f.spec.enum, v); ok {
			return c, true
		}
	case kindBool:
		if _, ok := parseBool(v); ok {
			return v, true
		}
	}
	if t == nil {
		if f.spec.kind == kindEnum || f.spec.kind == kindBool {
			m.fail(f, sdk.CodeValueUnknown, "heeft een onbekende waarde (%s)", allowed(f.spec))
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
	if f.spec.kind == kindEnum || f.spec.kind == kindBool {
		m.fail(f, sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat en ook zelf niet is toegestaan (codes in de tabel: %s; %s)", t.codeList(), allowed(f.spec))
	} else {
		m.fail(f, sdk.CodeValueUnknown, "heeft een waarde die niet in de waardetabel staat (codes in de tabel: %s)", t.codeList())
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
