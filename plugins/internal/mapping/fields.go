package mapping

import (
	"regexp"
	"slices"
	"strings"
)

// FieldID identifies a target field of the shared schema. The fixed fields
// come first; life domain fields follow, two per configured domain.
type FieldID int

// The fixed target fields, in the order a record is mapped.
const (
	RecordKey FieldID = iota
	BSN
	Surname
	SurnamePrefix
	Initials
	FirstNames
	PartnerSurname
	PartnerSurnamePrefix
	BirthDate
	Gender
	WorkerName
	WorkerOrganisation
	WorkerRole
	ProcessStep
	TargetGroup
	Municipality
	Neighbourhood
	RegisteredAt
	Operation
	DiagnosisPresent
	DiagnosisClassification
	NumFixedFields
)

// fieldKind says how a value of a target field is checked and normalised.
type fieldKind int

const (
	kindText     fieldKind = iota // trimmed text, blanks collapsed
	kindKey                       // the record key: text, always required
	kindBSN                       // 9 digits
	kindPrefix                    // a voorvoegsel, lower case
	kindInitials                  // "A.H." form
	kindEnum                      // one of a fixed list of values
	kindBool                      // true or false
	kindDate                      // a date; the birth date may be partial
	kindDateTime                  // an RFC 3339 time
)

// fieldSpec describes one target field.
type fieldSpec struct {
	path    string // path in the shared schema, as used in the config
	label   string // Dutch name for messages
	kind    fieldKind
	enum    []string // allowed values of a kindEnum field
	maxLen  int      // maximum length in characters, 0 for none
	partial bool     // a kindDate field that may be "YYYY" or "YYYY-MM"
}

// The enumerations of the shared schema (schemas/registration.v1.schema.json).
var (
	genders      = []string{"man", "vrouw", "onbekend"}
	workerRoles  = []string{"regievoerder", "trajectregisseur", "casemanager", "contactpersoon"}
	processSteps = []string{"aanmelding", "triage", "zorgvraagverduidelijking", "trajecttoewijzing", "trajectmonitoring", "uitstroom_nazorg"}
	targetGroups = []string{"feitelijk_dakloos", "residentieel_dakloos", "dreigend_dakloos", "zwerfjongere", "veelpleger", "zorgmijder", "overlastgever", "huiselijk_geweld", "multiprobleemgezin"}
	operations   = []string{"new", "change", "delete"}
	statuses     = []string{"stabiel", "instabiel", "onbekend"}
)

// fixedFields describes the fixed target fields, indexed by FieldID.
var fixedFields = [NumFixedFields]fieldSpec{
	RecordKey:               {path: "source.record_key", label: "recordsleutel", kind: kindKey, maxLen: 200},
	BSN:                     {path: "client.bsn", label: "BSN", kind: kindBSN},
	Surname:                 {path: "client.surname", label: "achternaam", kind: kindText, maxLen: 200},
	SurnamePrefix:           {path: "client.surname_prefix", label: "voorvoegsel", kind: kindPrefix, maxLen: 20},
	Initials:                {path: "client.initials", label: "voorletters", kind: kindInitials, maxLen: 40},
	FirstNames:              {path: "client.first_names", label: "voornamen", kind: kindText, maxLen: 200},
	PartnerSurname:          {path: "client.partner_surname", label: "achternaam partner", kind: kindText, maxLen: 200},
	PartnerSurnamePrefix:    {path: "client.partner_surname_prefix", label: "voorvoegsel partner", kind: kindPrefix, maxLen: 20},
	BirthDate:               {path: "client.birth_date", label: "geboortedatum", kind: kindDate, partial: true},
	Gender:                  {path: "client.gender", label: "geslacht", kind: kindEnum, enum: genders},
	WorkerName:              {path: "responsible_worker.name", label: "naam regievoerder", kind: kindText, maxLen: 200},
	WorkerOrganisation:      {path: "responsible_worker.organisation", label: "organisatie regievoerder", kind: kindText, maxLen: 200},
	WorkerRole:              {path: "responsible_worker.role", label: "rol regievoerder", kind: kindEnum, enum: workerRoles},
	ProcessStep:             {path: "process_step", label: "processtap", kind: kindEnum, enum: processSteps},
	TargetGroup:             {path: "target_group", label: "doelgroep", kind: kindEnum, enum: targetGroups},
	Municipality:            {path: "municipality", label: "gemeente", kind: kindText, maxLen: 100},
	Neighbourhood:           {path: "neighbourhood", label: "wijk", kind: kindText, maxLen: 100},
	RegisteredAt:            {path: "registered_at", label: "registratiemoment", kind: kindDateTime},
	Operation:               {path: "operation", label: "mutatiesoort", kind: kindEnum, enum: operations},
	DiagnosisPresent:        {path: "sensitive.diagnosis_present", label: "diagnose aanwezig", kind: kindBool},
	DiagnosisClassification: {path: "sensitive.diagnosis_classification", label: "diagnoseclassificatie", kind: kindText, maxLen: 200},
}

// domainName is the pattern of a life domain name in the shared schema.
var domainName = regexp.MustCompile(`^[a-z][a-z_]{1,39}$`)

// targetRef is a parsed target field path.
type targetRef struct {
	id     FieldID // for a fixed field
	domain string  // for a life domain field: the domain name
	date   bool    // for a life domain field: the date, not the status
}

// parseTarget parses a target field path of the shared schema. It reports
// false for an unknown path.
func parseTarget(path string) (targetRef, bool) {
	for id, f := range fixedFields {
		if f.path == path {
			return targetRef{id: FieldID(id)}, true
		}
	}
	rest, ok := strings.CutPrefix(path, "life_domains.")
	if !ok {
		return targetRef{}, false
	}
	name, attr, ok := strings.Cut(rest, ".")
	if !ok || !domainName.MatchString(name) || (attr != "status" && attr != "date") {
		return targetRef{}, false
	}
	return targetRef{id: -1, domain: name, date: attr == "date"}, true
}

// domainSpec describes the status or date field of a life domain.
func domainSpec(domain string, date bool) fieldSpec {
	if date {
		return fieldSpec{path: "life_domains." + domain + ".date", label: "datum leefgebied " + domain, kind: kindDate}
	}
	return fieldSpec{path: "life_domains." + domain + ".status", label: "status leefgebied " + domain, kind: kindEnum, enum: statuses}
}

// knownTargets lists the target paths for messages.
func knownTargets() string {
	paths := make([]string, 0, len(fixedFields)+2)
	for _, f := range fixedFields {
		paths = append(paths, f.path)
	}
	paths = append(paths, "life_domains.<leefgebied>.status", "life_domains.<leefgebied>.date")
	return strings.Join(paths, ", ")
}

// canonical returns the enum value that v names, comparing case-insensitively
// and treating blanks and hyphens as underscores ("Dreigend dakloos" names
// dreigend_dakloos). It reports false when v names none of them. The values
// of enum must be in that form themselves, as the schema's are.
func canonical(enum []string, v string) (string, bool) {
	if slices.Contains(enum, v) {
		return v, true
	}
	var buf [64]byte
	norm := appendFold(buf[:0], v)
	for i, c := range norm {
		if c == ' ' || c == '-' {
			norm[i] = '_'
		}
	}
	for _, e := range enum {
		if string(norm) == e {
			return e, true
		}
	}
	return "", false
}
