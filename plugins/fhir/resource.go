package main

import "encoding/json"

// The FHIR R4 types the adapter reads, as far as it reads them. Their JSON
// tags follow the FHIR JSON format, where the extensions of a primitive
// value stand in a sibling property with a leading underscore (_family). The
// XML format is read into the same types (xml.go). Unknown properties are
// ignored.

// Extension URLs of the Dutch nl-core profiles.
const (
	extOwnPrefix     = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
	extOwnName       = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"
	extPartnerPrefix = "http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix"
	extPartnerName   = "http://hl7.org/fhir/StructureDefinition/humanname-partner-name"
	extQualifier     = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
	extCodeSpec      = "http://nictiz.nl/fhir/StructureDefinition/ext-CodeSpecification"
)

// The identifier systems of the BSN: the NamingSystem of nl-core and the OID
// that older systems use.
const (
	systemBSN    = "http://fhir.nl/fhir/NamingSystem/bsn"
	systemBSNOID = "urn:oid:2.16.840.1.113883.2.4.6.3"
)

// resourceHead is what every resource has: its type and id.
type resourceHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

type meta struct {
	LastUpdated string `json:"lastUpdated"`
}

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type extension struct {
	URL                  string           `json:"url"`
	ValueString          *string          `json:"valueString"`
	ValueCode            *string          `json:"valueCode"`
	ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept"`
}

// element holds the extensions of a primitive value (_family, _given).
type element struct {
	Extension []extension `json:"extension"`
}

// ext returns the first extension with url, or nil.
func (e *element) ext(url string) *extension {
	if e == nil {
		return nil
	}
	for i := range e.Extension {
		if e.Extension[i].URL == url {
			return &e.Extension[i]
		}
	}
	return nil
}

// str returns the string or code value of the extension with url, and
// whether the element has that extension.
func (e *element) str(url string) (string, bool) {
	x := e.ext(url)
	switch {
	case x == nil:
		return "", false
	case x.ValueString != nil:
		return *x.ValueString, true
	case x.ValueCode != nil:
		return *x.ValueCode, true
	}
	return "", true
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type humanName struct {
	Use       string     `json:"use"`
	Family    string     `json:"family"`
	FamilyExt *element   `json:"_family"`
	Given     []string   `json:"given"`
	GivenExt  []*element `json:"_given"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Identifier *identifier `json:"identifier"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// patient is a FHIR Patient.
type patient struct {
	resourceHead
	Meta       *meta        `json:"meta"`
	Active     *bool        `json:"active"`
	Identifier []identifier `json:"identifier"`
	Name       []humanName  `json:"name"`
	Gender     string       `json:"gender"`
	GenderExt  *element     `json:"_gender"`
	BirthDate  string       `json:"birthDate"`
}

// entry is one entry of a Bundle.
type entry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *request        `json:"request"`
}

type request struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}
