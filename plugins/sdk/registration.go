package sdk

// SchemaVersion is the version of the shared registration schema that this
// SDK produces (schemas/registration.v1.schema.json).
const SchemaVersion = "1"

// Operation is what a partner record asks the hub to do, after the iStandaarden
// semantics: a new record, a change of an existing one, or its removal.
type Operation string

// The operations a registration can carry.
const (
	OpNew    Operation = "new"
	OpChange Operation = "change"
	OpDelete Operation = "delete"
)

// Registration is one partner record mapped onto the shared schema
// (schemas/registration.v1.schema.json). Adapters fill it and marshal it as
// JSON; the hub validates that JSON against the schema, so the struct and the
// schema must agree. Optional fields are omitted when empty.
type Registration struct {
	SchemaVersion     string                `json:"schema_version"`
	Source            Source                `json:"source"`
	Operation         Operation             `json:"operation"`
	RegisteredAt      string                `json:"registered_at,omitempty"`
	Client            Client                `json:"client"`
	ResponsibleWorker *ResponsibleWorker    `json:"responsible_worker,omitempty"`
	ProcessStep       string                `json:"process_step,omitempty"`
	TargetGroup       string                `json:"target_group,omitempty"`
	Municipality      string                `json:"municipality,omitempty"`
	Neighbourhood     string                `json:"neighbourhood,omitempty"`
	LifeDomains       map[string]LifeDomain `json:"life_domains,omitempty"`
	Sensitive         *Sensitive            `json:"sensitive,omitempty"`
}

// Source says where a registration comes from: the partner and the partner's
// own key of the record (its logical key, such as a dossier number).
type Source struct {
	Partner   string `json:"partner"`
	RecordKey string `json:"record_key"`
}

// Client is the identity of the person as the partner registered it.
// BirthDate is "YYYY-MM-DD", or "YYYY-MM" or "YYYY" when parts are unknown.
// Gender is "man", "vrouw" or "onbekend".
type Client struct {
	BSN                  string `json:"bsn,omitempty"`
	Surname              string `json:"surname,omitempty"`
	SurnamePrefix        string `json:"surname_prefix,omitempty"`
	Initials             string `json:"initials,omitempty"`
	FirstNames           string `json:"first_names,omitempty"`
	PartnerSurname       string `json:"partner_surname,omitempty"`
	PartnerSurnamePrefix string `json:"partner_surname_prefix,omitempty"`
	BirthDate            string `json:"birth_date,omitempty"`
	Gender               string `json:"gender,omitempty"`
}

// ResponsibleWorker is the client's regievoerder or trajectory manager.
type ResponsibleWorker struct {
	Name         string `json:"name,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Role         string `json:"role,omitempty"`
}

// LifeDomain is the status of one life domain (leefgebied) and the date it was
// assessed. Status is "stabiel", "instabiel" or "onbekend".
type LifeDomain struct {
	Status string `json:"status"`
	Date   string `json:"date,omitempty"`
}

// Sensitive holds the care details that only some roles may see. The schema
// marks each field with its sensitivity class (x-sensitivity).
type Sensitive struct {
	DiagnosisPresent        *bool  `json:"diagnosis_present,omitempty"`
	DiagnosisClassification string `json:"diagnosis_classification,omitempty"`
}
