package main

import (
	"regexp"
	"slices"
	"strings"
)

// fieldID identifies a target field of the shared schema. The fixed fields
// come first; life domain fields follow, two per configured domain.
type fieldID int

// The fixed target fields, in the order a row is mapped.
const (
	fRecordKey fieldID = iota
	fBSN
	fSurname
	fSurnamePrefix
	fInitials
	fFirstNames
	fPartnerSurname
	fPartnerSurnamePrefix
	fBirthDate
	fGender
	fWorkerName
	fWorkerOrganisation
	fWorkerRole
	fProcessStep
	fTargetGroup
	fMunicipality
	fNeighbourhood
	fRegisteredAt
	fOperation
	fDiagnosisPresent
	fDiagnosisClassification
	numFixedFields
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

// fixedFields describes the fixed target fields, indexed by fieldID.
var fixedFields = [numFixedFields]fieldSpec{
	fRecordKey:               {path: "source.record_key", label: "recordsleutel", kind: kindKey, maxLen: 200},
	fBSN:                     {path: "client.bsn", label: "BSN", kind: kindBSN},
	fSurname:                 {path: "client.surname", label: "achternaam", kind: kindText, maxLen: 200},
	fSurnamePrefix:           {path: "client.surname_prefix", label: "voorvoegsel", kind: kindPrefix, maxLen: 20},
	fInitials:                {path: "client.initials", label: "voorletters", kind: kindInitials, maxLen: 40},
	fFirstNames:              {path: "client.first_names", label: "voornamen", kind: kindText, maxLen: 200},
	fPartnerSurname:          {path: "client.partner_surname", label: "achternaam partner", kind: kindText, maxLen: 200},
	fPartnerSurnamePrefix:    {path: "client.partner_surname_prefix", label: "voorvoegsel partner", kind: kindPrefix, maxLen: 20},
	fBirthDate:               {path: "client.birth_date", label: "geboortedatum", kind: kindDate, partial: true},
	fGender:                  {path: "client.gender", label: "geslacht", kind: kindEnum, enum: genders},
	fWorkerName:              {path: "responsible_worker.name", label: "naam regievoerder", kind: kindText, maxLen: 200},
	fWorkerOrganisation:      {path: "responsible_worker.organisation", label: "organisatie regievoerder", kind: kindText, maxLen: 200},
	fWorkerRole:              {path: "responsible_worker.role", label: "rol regievoerder", kind: kindEnum, enum: workerRoles},
	fProcessStep:             {path: "process_step", label: "processtap", kind: kindEnum, enum: processSteps},
	fTargetGroup:             {path: "target_group", label: "doelgroep", kind: kindEnum, enum: targetGroups},
	fMunicipality:            {path: "municipality", label: "gemeente", kind: kindText, maxLen: 100},
	fNeighbourhood:           {path: "neighbourhood", label: "wijk", kind: kindText, maxLen: 100},
	fRegisteredAt:            {path: "registered_at", label: "registratiemoment", kind: kindDateTime},
	fOperation:               {path: "operation", label: "mutatiesoort", kind: kindEnum, enum: operations},
	fDiagnosisPresent:        {path: "sensitive.diagnosis_present", label: "diagnose aanwezig", kind: kindBool},
	fDiagnosisClassification: {path: "sensitive.diagnosis_classification", label: "diagnoseclassificatie", kind: kindText, maxLen: 200},
}

// domainName is the pattern of a life domain name in the shared schema.
var domainName = regexp.MustCompile(`^[a-z][a-z_]{1,39}$`)

// targetRef is a parsed target field path.
type targetRef struct {
	id     fieldID // for a fixed field
	domain string  // for a life domain field: the domain name
	date   bool    // for a life domain field: the date, not the status
}

// parseTarget parses a target field path of the shared schema. It reports
// false for an unknown path.
func parseTarget(path string) (targetRef, bool) {
	for id, f := range fixedFields {
		if f.path == path {
			return targetRef{id: fieldID(id)}, true
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
