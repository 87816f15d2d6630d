package main

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// The FHIR R4 types Encode writes, in the element order of the
// specification. Empty elements are left out, as FHIR JSON requires.

// profileNLCorePatient is the profile every written Patient claims.
const profileNLCorePatient = "http://nictiz.nl/fhir/StructureDefinition/nl-core-Patient"

// systemV3Gender is the code system of the AdministrativeGender code in the
// nl-core CodeSpecification extension of Patient.gender.
const systemV3Gender = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender"

type bundleHead struct {
	ResourceType string      `json:"resourceType"`
	Identifier   *identifier `json:"identifier,omitempty"`
	Type         string      `json:"type"`
}

type entryOut struct {
	FullURL  string      `json:"fullUrl,omitempty"`
	Resource any         `json:"resource"`
	Request  *requestOut `json:"request,omitempty"`
}

type requestOut struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

type outMeta struct {
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Source      string   `json:"source,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

type outCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type outConcept struct {
	Coding []outCoding `json:"coding"`
}

type outExt struct {
	URL                  string      `json:"url"`
	ValueString          string      `json:"valueString,omitempty"`
	ValueCode            string      `json:"valueCode,omitempty"`
	ValueCodeableConcept *outConcept `json:"valueCodeableConcept,omitempty"`
}

// outElement holds the extensions of a primitive value (_family).
type outElement struct {
	Extension []outExt `json:"extension"`
}

type outName struct {
	Use       string        `json:"use"`
	Family    string        `json:"family,omitempty"`
	FamilyExt *outElement   `json:"_family,omitempty"`
	Given     []string      `json:"given,omitempty"`
	GivenExt  []*outElement `json:"_given,omitempty"`
}

type outRef struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

// idSetter is a resource whose id is set when the file form has ids.
type idSetter interface{ setID(string) }

type outPatient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id,omitempty"`
	Meta         outMeta      `json:"meta"`
	Identifier   []identifier `json:"identifier,omitempty"`
	Active       bool         `json:"active"`
	Name         []outName    `json:"name,omitempty"`
	Gender       string       `json:"gender,omitempty"`
	GenderExt    *outElement  `json:"_gender,omitempty"`
	BirthDate    string       `json:"birthDate,omitempty"`
}

func (p *outPatient) setID(id string) { p.ID = id }

type outEpisode struct {
	ResourceType         string       `json:"resourceType"`
	ID                   string       `json:"id,omitempty"`
	Meta                 outMeta      `json:"meta"`
	Identifier           []identifier `json:"identifier"`
	Status               string       `json:"status"`
	Type                 []outConcept `json:"type,omitempty"`
	Patient              outRef       `json:"patient"`
	ManagingOrganization *outRef      `json:"managingOrganization,omitempty"`
	CareManager          *outRef      `json:"careManager,omitempty"`
}

func (e *outEpisode) setID(id string) { e.ID = id }

// genders maps the shared schema's gender onto Patient.gender and the code
// of the CodeSpecification extension.
var genders = map[string][3]string{
	"man":      {"male", "M", "Male"},
	"vrouw":    {"female", "F", "Female"},
	"onbekend": {"unknown", "UNK", "Unknown"},
}

// patientOf maps the client onto an nl-core Patient (without meta, the
// registration identifier and active), or says why it cannot: a BSN that
// is no 9 digits, a name over 200 characters, initials of other characters
// than letters, a birth date FHIR does not have, a gender the schema does
// not have, or neither BSN nor surname. With deriveInitials, initials that
// follow from the first names are not written again (the partner derives
// them on reading).
func patientOf(c *sdk.Client, deriveInitials bool) (*outPatient, *sdk.EncodeError) {
	fail := func(field, code, msg string) (*outPatient, *sdk.EncodeError) {
		return nil, &sdk.EncodeError{Field: "client." + field, Code: code, Message: msg}
	}
	pt := &outPatient{ResourceType: "Patient"}
	if c.BSN != "" {
		if len(c.BSN) != 9 || !allDigits(c.BSN) {
			return fail("bsn", sdk.CodeEncodeFormat, "het BSN bestaat niet uit 9 cijfers")
		}
		pt.Identifier = []identifier{{System: systemBSN, Value: c.BSN}}
	}
	surname, partner, first := oneLine(c.Surname), oneLine(c.PartnerSurname), oneLine(c.FirstNames)
	for _, f := range []struct{ field, v string }{{"surname", surname}, {"partner_surname", partner}, {"first_names", first}} {
		if utf8.RuneCountInString(f.v) > 200 {
			return fail(f.field, sdk.CodeEncodeFormat, "de naam is langer dan 200 tekens")
		}
	}
	own, partnerPrefix := prefix(c.SurnamePrefix), prefix(c.PartnerSurnamePrefix)
	if own == "" && strings.TrimSpace(c.SurnamePrefix) != "" || partnerPrefix == "" && strings.TrimSpace(c.PartnerSurnamePrefix) != "" {
		return fail("surname_prefix", sdk.CodeEncodeFormat, "het voorvoegsel is langer dan 20 tekens")
	}
	initials, ok := normaliseInitials(c.Initials)
	if !ok || utf8.RuneCountInString(initials) > 40 {
		return fail("initials", sdk.CodeEncodeFormat, "de voorletters bevatten andere tekens dan letters en punten, of zijn langer dan 40 tekens")
	}
	if initials == "" && deriveInitials && utf8.RuneCountInString(initialsOf(first)) > 40 {
		return fail("first_names", sdk.CodeEncodeFormat, "de voornamen geven meer dan 40 voorletters")
	}
	if c.BSN == "" && surname == "" {
		return fail("surname", sdk.CodeEncodeInvalid, "de registratie heeft geen BSN en geen achternaam; een FHIR-Patient zonder een van beide herkent de ontvanger niet")
	}
	if n := nameOf(surname, own, partner, partnerPrefix, first, initials, deriveInitials); n != nil {
		pt.Name = []outName{*n}
	}
	if c.BirthDate != "" {
		if _, ok := parseFHIRTime(c.BirthDate); !ok || !fhirDate.MatchString(c.BirthDate) || c.BirthDate < "0001" {
			return fail("birth_date", sdk.CodeEncodeFormat, "de geboortedatum is geen datum (jjjj, jjjj-mm of jjjj-mm-dd)")
		}
		pt.BirthDate = c.BirthDate
	}
	if c.Gender != "" {
		g, ok := genders[c.Gender]
		if !ok {
			return fail("gender", sdk.CodeEncodeFormat, "het geslacht is geen man, vrouw of onbekend")
		}
		pt.Gender = g[0]
		pt.GenderExt = &outElement{Extension: []outExt{{URL: extCodeSpec,
			ValueCodeableConcept: &outConcept{Coding: []outCoding{{System: systemV3Gender, Code: g[1], Display: g[2]}}}}}}
	}
	return pt, nil
}

// nameOf builds the official name after nl-core: family is the own name
// with its voorvoegsel, and its extensions hold the parts of the own and the
// partner's name; the first names are given names with qualifier BR, the
// initials (unless they follow from the first names and the partner
// derives them) given names with qualifier IN, one per initial.
func nameOf(surname, prefix, partner, partnerPrefix, first, initials string, deriveInitials bool) *outName {
	n := &outName{Use: "official"}
	var ext []outExt
	if surname != "" {
		n.Family = surname
		if prefix != "" {
			n.Family = joinPrefix(prefix, surname)
			ext = append(ext, outExt{URL: extOwnPrefix, ValueString: prefix})
		}
		ext = append(ext, outExt{URL: extOwnName, ValueString: surname})
	}
	if partner != "" {
		if partnerPrefix != "" {
			ext = append(ext, outExt{URL: extPartnerPrefix, ValueString: partnerPrefix})
		}
		ext = append(ext, outExt{URL: extPartnerName, ValueString: partner})
	}
	if len(ext) > 0 {
		n.FamilyExt = &outElement{Extension: ext}
	}
	qualified := func(v, q string) {
		n.Given = append(n.Given, v)
		n.GivenExt = append(n.GivenExt, &outElement{Extension: []outExt{{URL: extQualifier, ValueCode: q}}})
	}
	for _, g := range strings.Fields(first) {
		qualified(g, "BR")
	}
	if initials != "" && (first == "" || !deriveInitials || initialsOf(first) != initials) {
		for _, in := range strings.SplitAfter(initials, ".") {
			if in != "" {
				qualified(in, "IN")
			}
		}
	}
	if n.Family == "" && n.FamilyExt == nil && len(n.Given) == 0 {
		return nil
	}
	return n
}

// joinPrefix writes a voorvoegsel before a surname: "van Dijk", "d'Angelo".
func joinPrefix(prefix, surname string) string {
	if strings.HasSuffix(prefix, "'") {
		return prefix + surname
	}
	return prefix + " " + surname
}

// oneLine makes a value fit on one line: control characters become blanks,
// runs of blanks one blank.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// processStepNames and targetGroupNames are the values of the shared
// schema with their Dutch names, the codes of the hub's code systems.
var (
	processStepNames = map[string]string{"aanmelding": "Aanmelding", "triage": "Triage",
		"zorgvraagverduidelijking": "Zorgvraagverduidelijking", "trajecttoewijzing": "Trajecttoewijzing",
		"trajectmonitoring": "Trajectmonitoring", "uitstroom_nazorg": "Uitstroom en nazorg"}
	targetGroupNames = map[string]string{"feitelijk_dakloos": "Feitelijk dakloos", "residentieel_dakloos": "Residentieel dakloos",
		"dreigend_dakloos": "Dreigend dakloos", "zwerfjongere": "Zwerfjongere", "veelpleger": "Veelpleger",
		"zorgmijder": "Zorgmijder", "overlastgever": "Overlastgever", "huiselijk_geweld": "Huiselijk geweld",
		"multiprobleemgezin": "Multiprobleemgezin"}
)

// episode maps the chain data onto an EpisodeOfCare of the Patient at
// patient (without meta and identifier): the process step and the target
// group as its types in the hub's code systems, the regievoerder as
// careManager and its organisation as managingOrganization, both by name
// only. It returns nil when output.episode_of_care is off or the
// registration has none of these.
func (e *encoder) episode(reg *sdk.Registration, op sdk.Operation, patient string) *outEpisode {
	if !e.o.episode {
		return nil
	}
	ep := &outEpisode{ResourceType: "EpisodeOfCare", Status: "active", Patient: outRef{Reference: patient}}
	if op == sdk.OpDelete {
		ep.Status = "finished"
	}
	if name, ok := processStepNames[reg.ProcessStep]; ok {
		ep.Type = append(ep.Type, outConcept{Coding: []outCoding{{System: e.o.stepSystem(), Code: reg.ProcessStep, Display: name}}})
	}
	if name, ok := targetGroupNames[reg.TargetGroup]; ok {
		ep.Type = append(ep.Type, outConcept{Coding: []outCoding{{System: e.o.groupSystem(), Code: reg.TargetGroup, Display: name}}})
	}
	if w := reg.ResponsibleWorker; w != nil {
		if n := oneLine(w.Name); n != "" {
			ep.CareManager = &outRef{Display: n}
		}
		if o := oneLine(w.Organisation); o != "" {
			ep.ManagingOrganization = &outRef{Display: o}
		}
	}
	if len(ep.Type) == 0 && ep.CareManager == nil && ep.ManagingOrganization == nil {
		return nil
	}
	return ep
}
