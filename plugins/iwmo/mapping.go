package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// mapper maps the product lines of one document onto registrations. It is
// not safe for concurrent use.
type mapper struct {
	p          *plan
	h          *header
	receivedAt string // the hub's receipt time, RFC 3339
	headerAt   string // the message's Dagtekening as RFC 3339, or receivedAt
	headerDate string // the Dagtekening as YYYY-MM-DD, or ""
	line       int    // the line of the product line being mapped
	errs       []sdk.RecordError
	// The registration under construction and its parts, reused from line
	// to line: a registration is marshalled before the next is mapped.
	reg     sdk.Registration
	worker  sdk.ResponsibleWorker
	domains map[string]sdk.LifeDomain
}

func newMapper(p *plan, receivedAt string) *mapper {
	return &mapper{p: p, receivedAt: receivedAt, headerAt: receivedAt}
}

// setHeader makes h the header of the product lines that follow.
func (m *mapper) setHeader(h *header) {
	m.h = h
	m.headerAt, m.headerDate = m.receivedAt, ""
	if d, ok := parseDate(h.date.s); ok {
		m.headerDate = d.Format(time.DateOnly)
		m.headerAt = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, m.p.loc).Format(time.RFC3339)
	}
}

// fail records a problem with value v. The message names the field and its
// place in the message but never the value.
func (m *mapper) fail(v val, field, code, rc, format string, args ...any) {
	e := sdk.RecordError{Line: m.line, Field: field, Code: code, Message: withRC(fmt.Sprintf(format, args...), rc)}
	if v.rec != "" && v.line == m.line {
		e.Column = v.start
	}
	m.errs = append(m.errs, e)
}

// mapProduct maps product line p of client c. It returns the registration,
// or nil and the problems found, and the record key when the line has a
// usable one; the problems carry that key. takesBack tells that the line
// withdraws an earlier message (StatusAanlevering 3, or a toewijzing
// withdrawn as assigned in error). The registration and the problems are
// valid until the next call.
func (m *mapper) mapProduct(c *client, p *product) (reg *sdk.Registration, key string, errs []sdk.RecordError, takesBack bool) {
	m.line = p.line
	m.errs = m.errs[:0]
	k := m.h.kind
	if c.broken != "" {
		m.errs = append(m.errs, sdk.RecordError{Line: p.line, Code: sdk.CodeRequired, Field: "client",
			Message: withRC("het cliëntrecord van deze productregel "+c.broken+"; de productregel is niet beoordeeld", rcNotAssessed)})
		return nil, "", m.errs, false
	}
	bsn := m.bsn(c.bsn)
	key = m.key(c, p, bsn)

	reg = &m.reg
	*reg = sdk.Registration{
		SchemaVersion: sdk.SchemaVersion,
		Source:        sdk.Source{Partner: m.p.partner, RecordKey: key},
		RegisteredAt:  m.headerAt,
	}
	cl := &reg.Client
	cl.BSN = bsn
	cl.Surname = m.name(c.surname, "client.surname", "de geslachtsnaam", rcSurname)
	cl.SurnamePrefix = prefix(c.prefix.s)
	cl.PartnerSurname = m.name(c.partner, "client.partner_surname", "de partnernaam", rcPartnerName)
	if cl.PartnerSurname != "" {
		cl.PartnerSurnamePrefix = prefix(c.partnerPrefix.s)
	}
	cl.FirstNames = m.name(c.firstNames, "client.first_names", "de voornamen", "")
	cl.Initials = m.initials(c.initials)
	cl.BirthDate = m.birthDate(c.birthDate, c.dateUse)
	cl.Gender = m.gender(c.gender)

	gemeente := m.code(p.gemeente, m.h.gemeente, 4, "Gemeentecode", "de gemeentecode", rcGemeente)
	aanbieder := m.code(p.aanbieder, m.h.aanbieder, 8, "Aanbieder", "de AGB-code van de aanbieder", rcAanbieder)
	if g, ok := m.p.municipalities[gemeente]; ok {
		reg.Municipality = g
	} else {
		reg.Municipality = gemeente
	}
	if aanbieder != "" {
		org, ok := m.p.providers[aanbieder]
		if !ok {
			org = aanbieder
		}
		m.worker = sdk.ResponsibleWorker{Organisation: org}
		reg.ResponsibleWorker = &m.worker
	}
	category := m.category(p.category)
	m.productCode(p.code)

	reg.Operation, reg.ProcessStep = m.semantics(k, p)
	if k == wmo301 {
		if at := m.assignedAt(p); at != "" {
			reg.RegisteredAt = at
		}
	}
	if domain, ok := m.p.domains[category]; ok {
		m.domains = map[string]sdk.LifeDomain{domain: {Status: "onbekend", Date: m.eventDate(k, p)}}
		reg.LifeDomains = m.domains
	}
	takesBack = p.status.s == "3" || reg.Operation == sdk.OpDelete
	if len(m.errs) > 0 {
		for i := range m.errs {
			m.errs[i].RecordKey = key
		}
		return nil, key, m.errs, takesBack
	}
	return reg, key, nil, takesBack
}

// bsn checks the client's BSN: 9 digits. The elfproef is the hub's job.
func (m *mapper) bsn(v val) string {
	switch {
	case v.s == "" || v.s == "000000000":
		m.fail(v, "client.bsn", sdk.CodeRequired, rcBSN, "het BSN (%s) ontbreekt; in het iWmo is het verplicht", v.loc)
	case len(v.s) != 9 || !allDigits(v.s):
		m.fail(v, "client.bsn", sdk.CodeFieldFormat, rcBSN, "het BSN (%s) bestaat niet uit 9 cijfers", v.loc)
	default:
		return v.s
	}
	return ""
}

// name checks a name: at most 200 characters, no control characters. It
// collapses runs of blanks.
func (m *mapper) name(v val, field, what, rc string) string {
	s := strings.Join(strings.Fields(v.s), " ")
	switch {
	case s == "":
		return ""
	case utf8.RuneCountInString(s) > 200 || strings.ContainsFunc(s, unicode.IsControl):
		m.fail(v, field, sdk.CodeFieldFormat, rc, "%s (%s) is langer dan 200 tekens of bevat stuurtekens", what, v.loc)
		return ""
	}
	return s
}

// prefix writes a voorvoegsel in lower case, blanks collapsed; the iWmo
// allows 10 characters, the shared schema 20.
func prefix(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if utf8.RuneCountInString(s) > 20 {
		return ""
	}
	return s
}

// initials writes iWmo voorletters (letters without dots, "JP") as the
// shared schema wants them: "J.P.".
func (m *mapper) initials(v val) string {
	var b strings.Builder
	for _, r := range v.s {
		switch {
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToUpper(r))
			b.WriteByte('.')
		case r == '.' || r == ' ':
		default:
			m.fail(v, "client.initials", sdk.CodeFieldFormat, rcInitials, "de voorletters (%s) bevatten tekens die geen letters zijn", v.loc)
			return ""
		}
	}
	if utf8.RuneCountInString(b.String()) > 40 {
		m.fail(v, "client.initials", sdk.CodeFieldFormat, rcInitials, "de voorletters (%s) zijn te lang", v.loc)
		return ""
	}
	return b.String()
}

// birthDate applies DatumGebruik to the birth date: 1 leaves out the day,
// 2 day and month, 3 the whole date. Only the parts that are used must be
// valid.
func (m *mapper) birthDate(date, use val) string {
	if use.s == "3" {
		return ""
	}
	if use.s != "" && use.s != "0" && use.s != "1" && use.s != "2" {
		m.fail(use, "client.birth_date", sdk.CodeValueUnknown, rcDateUse, "het datumgebruik van de geboortedatum (%s) is geen 1, 2 of 3", use.loc)
		return ""
	}
	s := strings.ReplaceAll(date.s, "-", "")
	if s == "" || s == "00000000" {
		return ""
	}
	if len(s) != 8 || !allDigits(s) {
		m.fail(date, "client.birth_date", sdk.CodeDate, rcBirthDate, "de geboortedatum (%s) is geen datum (verwacht jjjj-mm-dd of jjjjmmdd)", date.loc)
		return ""
	}
	y, mo := s[:4], s[4:6]
	switch use.s {
	case "2":
		if y == "0000" {
			break
		}
		return y
	case "1":
		if y == "0000" || mo < "01" || mo > "12" {
			break
		}
		return y + "-" + mo
	default:
		if d, ok := parseDate(date.s); ok && d.Year() > 0 {
			return d.Format(time.DateOnly)
		}
	}
	m.fail(date, "client.birth_date", sdk.CodeDate, rcBirthDate, "de geboortedatum (%s) is geen bestaande datum", date.loc)
	return ""
}

// gender maps the iWmo Geslacht: 1 man, 2 vrouw, 0 onbekend (and 9, niet
// gespecificeerd, of release 2.0).
func (m *mapper) gender(v val) string {
	switch v.s {
	case "":
		return ""
	case "1":
		return "man"
	case "2":
		return "vrouw"
	case "0", "9":
		return "onbekend"
	}
	m.fail(v, "client.gender", sdk.CodeValueUnknown, rcGender, "het geslacht (%s) is geen 0, 1, 2 of 9", v.loc)
	return ""
}

// code returns the code of the product line, or the header's when the line
// has none, checked to be n digits.
func (m *mapper) code(v, fallback val, n int, field, what, rc string) string {
	if v.s == "" {
		v = fallback
	}
	if len(v.s) != n || !allDigits(v.s) {
		m.fail(v, field, sdk.CodeFieldFormat, rc, "%s (%s) bestaat niet uit %d cijfers", what, v.loc, n)
		return ""
	}
	return v.s
}

// category checks the productcategorie: 2 digits, required.
func (m *mapper) category(v val) string {
	switch {
	case v.s == "":
		m.fail(v, "Categorie", sdk.CodeRequired, rcCategory, "de productcategorie (%s) ontbreekt", v.loc)
	case len(v.s) != 2 || !allDigits(v.s):
		m.fail(v, "Categorie", sdk.CodeFieldFormat, rcCategory, "de productcategorie (%s) bestaat niet uit 2 cijfers", v.loc)
	default:
		return v.s
	}
	return ""
}

// productCode checks the productcode: 5 letters or digits, or empty.
func (m *mapper) productCode(v val) string {
	if v.s == "" {
		return ""
	}
	if len(v.s) != 5 || !alnum(v.s) {
		m.fail(v, "Code", sdk.CodeFieldFormat, rcProductCode, "de productcode (%s) bestaat niet uit 5 letters of cijfers", v.loc)
		return ""
	}
	return v.s
}

// date parses an optional date of the product line; required dates that
// are missing and dates that are wrong are recorded with rc.
func (m *mapper) date(v val, what, rc string, required bool) string {
	if v.s == "" || v.s == "00000000" {
		if required {
			m.fail(v, v.name, sdk.CodeRequired, rc, "%s (%s) ontbreekt", what, v.loc)
		}
		return ""
	}
	d, ok := parseDate(v.s)
	if !ok {
		m.fail(v, v.name, sdk.CodeDate, rc, "%s (%s) is geen bestaande datum (verwacht jjjj-mm-dd of jjjjmmdd)", what, v.loc)
		return ""
	}
	return d.Format(time.DateOnly)
}

// semantics decides the operation and the process step of a product line
// from the message type and what the line says (README.md, "Operations").
func (m *mapper) semantics(k kind, p *product) (sdk.Operation, string) {
	steps := m.p.steps
	switch k {
	case wmo301:
		start := m.date(p.start, "de ingangsdatum", rcStart, true)
		end := m.date(p.end, "de einddatum", rcEnd, false)
		reason := p.reason.s
		if reason == "0" || reason == "00" {
			reason = ""
		}
		if reason != "" && (len(reason) > 2 || !allDigits(reason)) {
			m.fail(p.reason, p.reason.name, sdk.CodeValueUnknown, rcReason, "de reden van wijziging (%s) is geen code van 1 of 2 cijfers", p.reason.loc)
		}
		switch {
		case (reason == "01" || reason == "13") && end != "" && start != "" && end <= start:
			// 01 administratieve correctie (release 2.x), 13 verwijderd
			// (release 3.x): the toewijzing was sent in error.
			return sdk.OpDelete, steps[wmo301]
		case end != "" && start != "" && end < start:
			m.fail(p.end, p.end.name, sdk.CodeDate, rcEndBeforeDate, "de einddatum (%s) ligt vóór de ingangsdatum", p.end.loc)
		case reason != "":
			return sdk.OpChange, steps[wmo301]
		}
		return sdk.OpNew, steps[wmo301]
	case wmo305:
		m.date(p.start, "de ingangsdatum van de toewijzing", rcProductDate, false)
		m.date(p.begin, "de begindatum", rcBegin, true)
		return m.status(p, steps[wmo305], steps[wmo301], sdk.OpChange, sdk.OpChange)
	case wmo307:
		m.date(p.start, "de ingangsdatum van de toewijzing", rcProductDate, false)
		begin := m.date(p.begin, "de begindatum", rcBegin, false)
		end := m.date(p.end, "de einddatum", rcProductDate, true)
		if begin != "" && end != "" && end < begin {
			m.fail(p.end, p.end.name, sdk.CodeDate, rcEndBeforeDate, "de einddatum (%s) ligt vóór de begindatum", p.end.loc)
		}
		if s := p.stopReason.s; s != "" && (len(s) != 2 || !allDigits(s)) {
			m.fail(p.stopReason, p.stopReason.name, sdk.CodeValueUnknown, "", "de reden van beëindiging (%s) is geen code van 2 cijfers", p.stopReason.loc)
		}
		return m.status(p, steps[wmo307], steps[wmo305], sdk.OpChange, sdk.OpChange)
	}
	m.date(p.start, "de ingangsdatum", rcProductDate, false)
	m.date(p.end, "de einddatum", rcProductDate, false)
	m.date(p.begin, "de begindatum", rcProductDate, false)
	if p.status.s == "" {
		return sdk.OpNew, steps[wmo315] // release 3.x: a request has no StatusAanlevering
	}
	return m.status(p, steps[wmo315], "", sdk.OpNew, sdk.OpDelete)
}

// status reads StatusAanlevering: 1 (eerste aanlevering) gives operation
// first with step, 2 (gewijzigde aanlevering, release 2.x) a change with
// step, and 3 (verwijderen aanlevering) takes the message back: withdrawn is
// the operation, and the record returns to the step before (back) when
// there is one.
func (m *mapper) status(p *product, step, back string, first, withdrawn sdk.Operation) (sdk.Operation, string) {
	switch p.status.s {
	case "1":
		return first, step
	case "2":
		return sdk.OpChange, step
	case "3":
		if back == "" {
			return withdrawn, step
		}
		return withdrawn, back
	case "":
		m.fail(p.status, "StatusAanlevering", sdk.CodeRequired, rcStatus, "de status aanlevering (%s) ontbreekt", p.status.loc)
	default:
		m.fail(p.status, "StatusAanlevering", sdk.CodeValueUnknown, rcStatus, "de status aanlevering (%s) is geen 1, 2 of 3", p.status.loc)
	}
	return first, step
}

// assignedAt is the moment of a toewijzing (Toewijzingsdatum and
// Toewijzingstijd) as RFC 3339, or "" when the line has no valid date.
func (m *mapper) assignedAt(p *product) string {
	date := m.date(p.assignDate, "de toewijzingsdatum", rcAssignDate, false)
	if date == "" {
		return ""
	}
	d, _ := time.Parse(time.DateOnly, date)
	t := strings.ReplaceAll(p.assignTime.s, ":", "")
	var hh, mm, ss int
	if t != "" {
		if _, err := fmt.Sscanf(t, "%02d%02d%02d", &hh, &mm, &ss); err != nil || len(t) != 6 || hh > 23 || mm > 59 || ss > 59 {
			m.fail(p.assignTime, p.assignTime.name, sdk.CodeFieldFormat, rcAssignTime, "de toewijzingstijd (%s) is geen tijd (verwacht uu:mm:ss)", p.assignTime.loc)
			return ""
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, ss, 0, m.p.loc).Format(time.RFC3339)
}

// eventDate is the date of what the message reports, for a life domain: the
// toewijzing, the start, the stop, or the Dagtekening of a request or of a
// message that takes an earlier one back.
func (m *mapper) eventDate(k kind, p *product) string {
	if p.status.s == "3" {
		return m.headerDate
	}
	var v val
	switch k {
	case wmo301:
		v = p.assignDate
		if v.s == "" {
			v = p.start
		}
	case wmo305:
		v = p.begin
	case wmo307:
		v = p.end
	default:
		return m.headerDate
	}
	if d, ok := parseDate(v.s); ok {
		return d.Format(time.DateOnly)
	}
	return ""
}

// key builds the record key of a product line: the toewijzing it belongs to,
// the same for the WMO301 that assigns it and the WMO305 and WMO307 that
// start and stop it. It never contains a BSN or other personal data:
//
//	0384-T123456789                   ToewijzingNummer (release 2.1 and later)
//	0384-B425386123-07A03-98025566    Beschikkingnummer, product, aanbieder (release 2.0)
//	0384-R98025566-<hash>             ReferentieAanbieder of a request (release 3.x WMO315)
//	0384-C98025566-<hash>-07A03-20160215  otherwise: the client (BSN), product and ingangsdatum
//
// The first part is the gemeentecode, from the line or the header. A hash is
// a keyed HMAC-SHA256 (key_secret), shortened to 80 bits.
func (m *mapper) key(c *client, p *product, bsn string) string {
	gemeente := p.gemeente.s
	if gemeente == "" {
		gemeente = m.h.gemeente.s
	}
	aanbieder := p.aanbieder.s
	if aanbieder == "" {
		aanbieder = m.h.aanbieder.s
	}
	if !digits4.MatchString(gemeente) || !digits8.MatchString(aanbieder) {
		return "" // reported by mapProduct
	}
	if n, ok := m.number(p.toewijzing, "ToewijzingNummer", "het toewijzingnummer", ""); ok {
		return gemeente + "-T" + n
	}
	prod := p.code.s
	if prod == "" {
		prod = p.category.s
	}
	if !alnum(prod) || len(prod) > 5 {
		return ""
	}
	if n, ok := m.number(p.beschikking, "Beschikkingnummer", "het beschikkingnummer", rcBeschikking); ok {
		return gemeente + "-B" + n + "-" + prod + "-" + aanbieder
	}
	if ref := strings.TrimSpace(p.reference.s); ref != "" {
		return gemeente + "-R" + aanbieder + "-" + m.hash(ref)
	}
	start, ok := parseDate(p.start.s)
	if bsn == "" || !ok {
		if bsn != "" {
			m.fail(p.start, "source.record_key", sdk.CodeRequired, "", "de productregel heeft geen toewijzingnummer, beschikkingnummer of referentie en geen geldige ingangsdatum (%s); zonder die gegevens is er geen vaste recordsleutel", p.start.loc)
		}
		return ""
	}
	return gemeente + "-C" + aanbieder + "-" + m.hash(bsn) + "-" + prod + "-" + start.Format("20060102")
}

// number reads an identifying number: digits, at most 18, leading zeros
// dropped. It reports false for an empty or all-zero value, and for a wrong
// one after recording the problem.
func (m *mapper) number(v val, field, what, rc string) (string, bool) {
	s := strings.TrimLeft(v.s, "0")
	switch {
	case s == "":
		return "", false
	case len(v.s) > 18 || !allDigits(v.s):
		m.fail(v, field, sdk.CodeFieldFormat, rc, "%s (%s) bestaat niet uit hoogstens 18 cijfers", what, v.loc)
		return "", false
	}
	return s, true
}

// hash is the keyed hash of s in a record key: 20 hexadecimal digits.
func (m *mapper) hash(s string) string {
	h := hmac.New(sha256.New, m.p.keySecret)
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// parseDate reads a date as the XML format (2006-01-02) or the fixed-width
// format (20060102) writes it.
func parseDate(s string) (time.Time, bool) {
	layout := time.DateOnly
	if len(s) == 8 {
		layout = "20060102"
	}
	d, err := time.Parse(layout, s)
	return d, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return s != ""
}
