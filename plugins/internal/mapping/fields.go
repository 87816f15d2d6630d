package mapping

import (
	"regexp"
	"slices"
	"strings"
)

// FieldID identifies a target field of the shared schema. The fixed fields
// come first; life domain fields follow, two per configured domain.
type FieldID int

// The fixed target fields, in the order a row is mapped.
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

// Kind says how a value of a target field is checked and normalised.
type Kind int

const (
	KindText     Kind = iota // trimmed text, blanks collapsed
	KindKey                  // the record key: text, always required
	KindBSN                  // 9 digits
	KindPrefix               // a voorvoegsel, lower case
	KindInitials             // "A.H." form
	KindEnum                 // one of a fixed list of values
	KindBool                 // true or false
	KindDate                 // a date; the birth date may be partial
	KindDateTime             // an RFC 3339 time
)

// FieldSpec describes one target field.
type FieldSpec struct {
	Path    string // path in the shared schema, as used in the config
	Label   string // Dutch name for messages
	Kind    Kind
	Enum    []string // allowed values of a KindEnum field
	MaxLen  int      // maximum length in characters, 0 for none
	Partial bool     // a KindDate field that may be "YYYY" or "YYYY-MM"
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
var fixedFields = [NumFixedFields]FieldSpec{
	RecordKey:               {Path: "source.record_key", Label: "recordsleutel", Kind: KindKey, MaxLen: 200},
	BSN:                     {Path: "client.bsn", Label: "BSN", Kind: KindBSN},
	Surname:                 {Path: "client.surname", Label: "achternaam", Kind: KindText, MaxLen: 200},
	SurnamePrefix:           {Path: "client.surname_prefix", Label: "voorvoegsel", Kind: KindPrefix, MaxLen: 20},
	Initials:                {Path: "client.initials", Label: "voorletters", Kind: KindInitials, MaxLen: 40},
	FirstNames:              {Path: "client.first_names", Label: "voornamen", Kind: KindText, MaxLen: 200},
	PartnerSurname:          {Path: "client.partner_surname", Label: "achternaam partner", Kind: KindText, MaxLen: 200},
	PartnerSurnamePrefix:    {Path: "client.partner_surname_prefix", Label: "voorvoegsel partner", Kind: KindPrefix, MaxLen: 20},
	BirthDate:               {Path: "client.birth_date", Label: "geboortedatum", Kind: KindDate, Partial: true},
	Gender:                  {Path: "client.gender", Label: "geslacht", Kind: KindEnum, Enum: genders},
	WorkerName:              {Path: "responsible_worker.name", Label: "naam regievoerder", Kind: KindText, MaxLen: 200},
	WorkerOrganisation:      {Path: "responsible_worker.organisation", Label: "organisatie regievoerder", Kind: KindText, MaxLen: 200},
	WorkerRole:              {Path: "responsible_worker.role", Label: "rol regievoerder", Kind: KindEnum, Enum: workerRoles},
	ProcessStep:             {Path: "process_step", Label: "processtap", Kind: KindEnum, Enum: processSteps},
	TargetGroup:             {Path: "target_group", Label: "doelgroep", Kind: KindEnum, Enum: targetGroups},
	Municipality:            {Path: "municipality", Label: "gemeente", Kind: KindText, MaxLen: 100},
	Neighbourhood:           {Path: "neighbourhood", Label: "wijk", Kind: KindText, MaxLen: 100},
	RegisteredAt:            {Path: "registered_at", Label: "registratiemoment", Kind: KindDateTime},
	Operation:               {Path: "operation", Label: "mutatiesoort", Kind: KindEnum, Enum: operations},
	DiagnosisPresent:        {Path: "sensitive.diagnosis_present", Label: "diagnose aanwezig", Kind: KindBool},
	DiagnosisClassification: {Path: "sensitive.diagnosis_classification", Label: "diagnoseclassificatie", Kind: KindText, MaxLen: 200},
}

// domainName is the pattern of a life domain name in the shared schema.
var domainName = regexp.MustCompile(`^[a-z][a-z_]{1,39}$`)

// targetRef is a parsed target field path.
type targetRef struct {
	ID     FieldID // for a fixed field
	domain string  // for a life domain field: the domain name
	date   bool    // for a life domain field: the date, not the status
}

// parseTarget parses a target field path of the shared schema. It reports
// false for an unknown path.
func parseTarget(path string) (targetRef, bool) {
	for id, f := range fixedFields {
		if f.Path == path {
			return targetRef{ID: FieldID(id)}, true
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
	return targetRef{ID: -1, domain: name, date: attr == "date"}, true
}

// domainSpec describes the status or date field of a life domain.
func domainSpec(domain string, date bool) FieldSpec {
	if date {
		return FieldSpec{Path: "life_domains." + domain + ".date", Label: "datum leefgebied " + domain, Kind: KindDate}
	}
	return FieldSpec{Path: "life_domains." + domain + ".status", Label: "status leefgebied " + domain, Kind: KindEnum, Enum: statuses}
}

// KnownTargets lists the target field paths, for messages.
func KnownTargets() string {
	paths := make([]string, 0, len(fixedFields)+2)
	for _, f := range fixedFields {
		paths = append(paths, f.Path)
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
