package main

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// mapper maps Patient resources onto registrations. It is not safe for
// concurrent use.
type mapper struct {
	p          *plan
	receivedAt string
	line       int
	errs       []sdk.RecordError
	reg        sdk.Registration
}

// fail records a problem with a field of the resource being mapped. The
// message names the field, never its value.
func (m *mapper) fail(field, code, format string, args ...any) {
	m.errs = append(m.errs, sdk.RecordError{Line: m.line, Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// mapPatient maps Patient pt, which starts on line, onto a registration with
// key and operation op. It returns nil and the problems when the Patient
// cannot be mapped; the problems carry the key. The registration and the
// problems are valid until the next call.
func (m *mapper) mapPatient(line int, pt *patient, key string, op sdk.Operation) (*sdk.Registration, []sdk.RecordError) {
	m.line = line
	m.errs = m.errs[:0]
	reg := &m.reg
	*reg = sdk.Registration{
		SchemaVersion: sdk.SchemaVersion,
		Source:        sdk.Source{Partner: m.p.partner, RecordKey: key},
		Operation:     op,
		RegisteredAt:  m.receivedAt,
		ProcessStep:   m.p.step,
	}
	if pt.Meta != nil && pt.Meta.LastUpdated != "" {
		if t, err := time.Parse(time.RFC3339Nano, pt.Meta.LastUpdated); err == nil {
			reg.RegisteredAt = t.Format(time.RFC3339)
		} else {
			m.fail("Patient.meta.lastUpdated", sdk.CodeDate, "meta.lastUpdated is geen FHIR-tijdstip (instant)")
		}
	}
	c := &reg.Client
	c.BSN = m.bsn(pt.Identifier)
	if n := officialName(pt.Name); n != nil {
		m.name(c, n)
	}
	c.BirthDate = m.birthDate(pt.BirthDate)
	c.Gender = m.gender(pt)
	if c.BSN == "" && c.Surname == "" && len(m.errs) == 0 {
		m.fail("Patient.identifier", sdk.CodeRequired, "de Patient heeft geen BSN (identifier met systeem %s of %s) en geen achternaam (name.family); een van beide is verplicht", systemBSN, systemBSNOID)
	}
	if len(m.errs) > 0 {
		for i := range m.errs {
			m.errs[i].RecordKey = key
		}
		return nil, m.errs
	}
	return reg, nil
}

// bsn returns the BSN among the identifiers: both BSN systems count. It
// must be 9 digits (8 get a leading zero); two different BSNs are an error.
func (m *mapper) bsn(ids []identifier) string {
	bsn := ""
	for i, id := range ids {
		if id.System != systemBSN && id.System != systemBSNOID {
			continue
		}
		field := fmt.Sprintf("Patient.identifier[%d].value", i)
		v := strings.TrimSpace(id.Value)
		if len(v) == 8 {
			v = "0" + v
		}
		switch {
		case len(v) != 9 || !allDigits(v):
			m.fail(field, sdk.CodeFieldFormat, "het BSN (identifier %d) bestaat niet uit 9 cijfers", i)
			return ""
		case bsn != "" && v != bsn:
			m.fail(field, sdk.CodeFieldFormat, "de Patient heeft twee verschillende BSN's (identifier %d wijkt af van een eerdere)", i)
			return ""
		}
		bsn = v
	}
	return bsn
}

// officialName picks the name that holds the client's own surname: the
// official one, else one without use, else the usual one. Maiden, old,
// nick, anonymous and temporary names are not used.
func officialName(names []humanName) *humanName {
	for _, use := range []string{"official", "", "usual"} {
		for i := range names {
			if names[i].Use == use {
				return &names[i]
			}
		}
	}
	return nil
}

// name fills the surnames, first names and initials of c from HumanName n
// after the nl-core profile: the family name's extensions hold the own name
// and voorvoegsel and those of the partner; each given name is a first name,
// an initial (qualifier IN) or a call name (CL, not used).
func (m *mapper) name(c *sdk.Client, n *humanName) {
	ownName, hasOwn := n.FamilyExt.str(extOwnName)
	ownPrefix, _ := n.FamilyExt.str(extOwnPrefix)
	partner, _ := n.FamilyExt.str(extPartnerName)
	partnerPrefix, _ := n.FamilyExt.str(extPartnerPrefix)
	if !hasOwn {
		ownPrefix, ownName = splitPrefix(n.Family)
	}
	c.Surname = m.text(ownName, "Patient.name.family", 200)
	c.SurnamePrefix = prefix(ownPrefix)
	c.PartnerSurname = m.text(partner, "Patient.name.family", 200)
	if c.PartnerSurname != "" {
		c.PartnerSurnamePrefix = prefix(partnerPrefix)
	}
	var first []string
	var initials strings.Builder
	for i, g := range n.Given {
		var q string
		if i < len(n.GivenExt) {
			q, _ = n.GivenExt[i].str(extQualifier)
		}
		switch q {
		case "IN":
			ini, ok := normaliseInitials(g)
			if !ok {
				m.fail(fmt.Sprintf("Patient.name.given[%d]", i), sdk.CodeFieldFormat, "de voorletter (given %d, kwalificatie IN) bevat tekens die geen letters of punten zijn", i)
				continue
			}
			initials.WriteString(ini)
		case "CL":
		default:
			first = append(first, g)
		}
	}
	c.FirstNames = m.text(strings.Join(first, " "), "Patient.name.given", 200)
	c.Initials = initials.String()
	if c.Initials == "" && m.p.initials {
		c.Initials = initialsOf(c.FirstNames)
	}
	if utf8.RuneCountInString(c.Initials) > 40 {
		m.fail("Patient.name.given", sdk.CodeFieldFormat, "de voorletters zijn langer dan 40 tekens")
		c.Initials = ""
	}
}

// text collapses blanks and checks length and control characters.
func (m *mapper) text(s, field string, maxLen int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxLen || strings.ContainsFunc(s, unicode.IsControl) {
		m.fail(field, sdk.CodeFieldFormat, "%s is langer dan %d tekens of bevat stuurtekens", field, maxLen)
		return ""
	}
	return s
}

// birthDate checks a FHIR date: a year, a month or a day, as the shared
// schema takes it.
func (m *mapper) birthDate(s string) string {
	if s == "" {
		return ""
	}
	if _, ok := parseFHIRTime(s); !ok || !fhirDate.MatchString(s) || s < "0001" {
		m.fail("Patient.birthDate", sdk.CodeDate, "birthDate is geen FHIR-datum (jjjj, jjjj-mm of jjjj-mm-dd)")
		return ""
	}
	return s
}

// gender maps Patient.gender, or when it is missing the AdministrativeGender
// code of the nl-core CodeSpecification extension (M, F, UN, UNK).
func (m *mapper) gender(pt *patient) string {
	switch pt.Gender {
	case "male":
		return "man"
	case "female":
		return "vrouw"
	case "other", "unknown":
		return "onbekend"
	case "":
	default:
		m.fail("Patient.gender", sdk.CodeValueUnknown, "gender is geen male, female, other of unknown")
		return ""
	}
	x := pt.GenderExt.ext(extCodeSpec)
	if x == nil || x.ValueCodeableConcept == nil {
		return ""
	}
	for _, cd := range x.ValueCodeableConcept.Coding {
		switch cd.Code {
		case "M":
			return "man"
		case "F":
			return "vrouw"
		case "UN", "UNK":
			return "onbekend"
		}
	}
	return ""
}

// prefixes are the Dutch voorvoegsels that splitPrefix recognises at the
// start of a family name without nl-core extensions, longest first.
var prefixes = []string{"van den", "van der", "van de", "in 't", "op de", "van 't", "van", "de", "den", "der", "ter", "ten", "te", "'t", "d'", "le", "la"}

// splitPrefix splits a leading voorvoegsel off a family name: "van der
// Giessen" gives "van der", "Giessen". A name that is only a voorvoegsel
// stays whole.
func splitPrefix(family string) (string, string) {
	f := strings.Join(strings.Fields(family), " ")
	lower := strings.ToLower(f)
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(lower, p)
		if !ok {
			continue
		}
		if strings.HasSuffix(p, "'") && rest != "" {
			return p, f[len(p):]
		}
		if strings.HasPrefix(rest, " ") && strings.TrimSpace(rest) != "" {
			return p, strings.TrimSpace(f[len(p):])
		}
	}
	return "", f
}

// prefix writes a voorvoegsel in lower case, blanks collapsed; longer than
// the schema's 20 characters it is left out.
func prefix(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if utf8.RuneCountInString(s) > 20 {
		return ""
	}
	return s
}

// multiLetter holds the traditional initials of more than one letter.
var multiLetter = map[string]bool{"Th": true, "Ch": true, "Chr": true, "Ph": true, "Joh": true, "Jac": true, "Wm": true, "IJ": true, "Ij": true}

// normaliseInitials writes one or more initials ("J.", "JP", "Th.") as
// "J.", "J.P.", "Th.". It reports false for characters other than letters,
// dots, blanks and hyphens.
func normaliseInitials(s string) (string, bool) {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ' ' || r == '-' }) {
		for _, r := range part {
			if !unicode.IsLetter(r) {
				return "", false
			}
		}
		if multiLetter[part] {
			if part == "Ij" {
				part = "IJ"
			}
			b.WriteString(part + ".")
			continue
		}
		for _, r := range part {
			b.WriteRune(unicode.ToUpper(r))
			b.WriteByte('.')
		}
	}
	return b.String(), true
}

// initialsOf derives initials from first names: "Johanna Petronella Maria"
// gives "J.P.M.", "IJsbrand" gives "IJ.".
func initialsOf(names string) string {
	var b strings.Builder
	for _, n := range strings.FieldsFunc(names, func(r rune) bool { return r == ' ' || r == '-' }) {
		first, _ := utf8.DecodeRuneInString(n)
		if !unicode.IsLetter(first) {
			continue
		}
		if strings.HasPrefix(n, "IJ") || strings.HasPrefix(n, "Ij") {
			b.WriteString("IJ.")
			continue
		}
		b.WriteRune(unicode.ToUpper(first))
		b.WriteByte('.')
	}
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
