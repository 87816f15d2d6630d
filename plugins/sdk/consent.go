package sdk

import "encoding/json"

// Consent is one consent statement an adapter found in a document: the
// client's consent (toestemming) given, refused or withdrawn, or a grant on
// another ground (bemoeizorg, wettelijke grondslag), for one recipient and
// one purpose. Consent output is optional: an adapter that finds none
// delivers none, and chunks without consents are as before.
//
// A partner speaks only for its own clients: a statement names the client
// by RecordKey, the key of the partner's own registration of that client.
// The hub resolves it to the chain client of that registration; a record
// key the hub does not hold (from this document or an earlier one) is a
// per-statement error, never a guess. A statement therefore comes after
// the record it concerns, in the same chunk or a later one: the hub stores
// a chunk's records before it takes the chunk's consents.
type Consent struct {
	// Line is the line of the source document the statement comes from,
	// for errors.
	Line int
	// RecordKey is the partner's record key of the registration of the
	// client the statement concerns; the JSON's client.record_key.
	RecordKey string
	// JSON is the statement as schemas/consent.v1.schema.json, with
	// source.partner the document's partner and client.record_key
	// RecordKey (ConsentStatement marshals one).
	JSON []byte
}

// ConsentStatement is a consent statement of schemas/consent.v1.schema.json
// as an adapter fills it; Marshal gives its JSON for Consent.JSON. The hub
// validates the JSON against the schema and the rules of roles.yaml, so
// the struct and the schema must agree.
type ConsentStatement struct {
	SchemaVersion string         `json:"schema_version"`
	Source        ConsentSource  `json:"source"`
	Client        ConsentClient  `json:"client"`
	Recipient     string         `json:"recipient"`
	Purpose       string         `json:"purpose"`
	State         string         `json:"state"`       // given | refused | withdrawn
	LegalBasis    string         `json:"legal_basis"` // toestemming | bemoeizorg | wettelijke_grondslag
	Justification string         `json:"justification,omitempty"`
	LegalRef      string         `json:"legal_reference,omitempty"`
	ValidFrom     string         `json:"valid_from,omitempty"`  // YYYY-MM-DD or RFC 3339
	ValidUntil    string         `json:"valid_until,omitempty"` // YYYY-MM-DD (included) or RFC 3339
	EvidenceRef   string         `json:"evidence_ref,omitempty"`
	RegisteredBy  *ConsentWorker `json:"registered_by,omitempty"`
	RegisteredAt  string         `json:"registered_at,omitempty"`
}

// ConsentSource is the partner that delivers a statement and, optionally,
// the partner's own key of the statement.
type ConsentSource struct {
	Partner    string `json:"partner"`
	ConsentKey string `json:"consent_key,omitempty"`
}

// ConsentClient names the client of a statement by the partner's record
// key. (consent.v1 also allows a chain client id, for the API; adapters use
// the record key only.)
type ConsentClient struct {
	RecordKey string `json:"record_key"`
}

// ConsentWorker is the worker at the partner who registered a statement,
// by the partner's own id of that worker, never a name.
type ConsentWorker struct {
	ID   string `json:"id"`
	Role string `json:"role,omitempty"`
}

// The states and legal bases of a consent statement.
const (
	ConsentGiven     = "given"
	ConsentRefused   = "refused"
	ConsentWithdrawn = "withdrawn"

	BasisToestemming         = "toestemming"
	BasisBemoeizorg          = "bemoeizorg"
	BasisWettelijkeGrondslag = "wettelijke_grondslag"
)

// Marshal returns the statement's JSON, with schema_version set to "1".
func (s ConsentStatement) Marshal() []byte {
	s.SchemaVersion = "1"
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // only strings: cannot fail
	}
	return b
}

// Consent returns the statement as a Consent of line, ready for a chunk.
func (s ConsentStatement) Consent(line int) Consent {
	return Consent{Line: line, RecordKey: s.Client.RecordKey, JSON: s.Marshal()}
}
