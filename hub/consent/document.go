package consent

import (
	"encoding/json"
	"fmt"
	"time"
	_ "time/tzdata" // dates in consent statements are Dutch dates, also on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/schemas"
)

// Document is a consent statement as a partner delivers it, through the API
// or an adapter (schemas/consent.v1.schema.json).
type Document struct {
	SchemaVersion string `json:"schema_version"`
	Source        struct {
		Partner    string `json:"partner"`
		ConsentKey string `json:"consent_key,omitempty"`
	} `json:"source"`
	Client struct {
		ClientID  string `json:"client_id,omitempty"`
		RecordKey string `json:"record_key,omitempty"`
	} `json:"client"`
	Recipient      string `json:"recipient"`
	Purpose        string `json:"purpose"`
	State          State  `json:"state"`
	LegalBasis     Basis  `json:"legal_basis"`
	Justification  string `json:"justification,omitempty"`
	LegalReference string `json:"legal_reference,omitempty"`
	ValidFrom      string `json:"valid_from,omitempty"`
	ValidUntil     string `json:"valid_until,omitempty"`
	EvidenceRef    string `json:"evidence_ref,omitempty"`
	RegisteredBy   *struct {
		ID   string `json:"id"`
		Role string `json:"role,omitempty"`
	} `json:"registered_by,omitempty"`
	RegisteredAt string `json:"registered_at,omitempty"`
}

// Validator checks consent statements against the embedded schema. It is
// safe for concurrent use.
type Validator struct {
	v *schema.Validator
}

// NewValidator compiles the embedded consent schema. It fails only when the
// embedded schema is broken.
func NewValidator() (*Validator, error) {
	v, err := schema.Compile(schemas.ConsentV1)
	if err != nil {
		return nil, fmt.Errorf("consent validator: %w", err)
	}
	return &Validator{v: v}, nil
}

// Parse validates one statement and decodes it. Schema violations are
// returned as issues (Dutch, without the offending values); the document is
// only meaningful when there are none. An error means data is not JSON.
func (v *Validator) Parse(data []byte) (Document, []schema.Issue, error) {
	val, issues, err := v.v.ValidateJSON(data)
	if err != nil {
		return Document{}, nil, fmt.Errorf("parse consent statement: %w", err)
	}
	if len(issues) > 0 {
		return Document{}, issues, nil
	}
	raw, err := json.Marshal(val)
	if err != nil {
		return Document{}, nil, fmt.Errorf("parse consent statement: %w", err)
	}
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return Document{}, nil, fmt.Errorf("parse consent statement: %w", err)
	}
	return d, nil, nil
}

// Change turns a valid statement into a change for the registry. clientID
// is the chain client the caller resolved the statement's client to (the
// client_id itself, or the chain client linked to the source partner's
// record_key); rec is the authenticated subject that delivered it. The
// worker in registered_by becomes rec.ActingFor when rec does not name one.
// A date-only valid_from starts at the beginning of that day and a
// date-only valid_until ends at the end of that day, Dutch time. It
// returns a *hub.Error (EINVALID) when a date cannot be read.
func (d Document) Change(clientID string, rec Recorder) (Change, error) {
	from, until, err := ParseValidity(d.ValidFrom, d.ValidUntil)
	if err != nil {
		return Change{}, err
	}
	if rec.ActingFor == "" && d.RegisteredBy != nil {
		rec.ActingFor = d.Source.Partner + ":" + d.RegisteredBy.ID
	}
	return Change{
		ClientID:       clientID,
		Recipient:      d.Recipient,
		Purpose:        d.Purpose,
		State:          d.State,
		Basis:          d.LegalBasis,
		Justification:  d.Justification,
		LegalReference: d.LegalReference,
		ValidFrom:      from,
		ValidUntil:     until,
		EvidenceRef:    d.EvidenceRef,
		RecordedBy:     rec,
		Source:         "partner:" + d.Source.Partner,
		SourceRef:      d.Source.ConsentKey,
	}, nil
}

// ParseValidity reads a validity period as statements write it: each end a
// date (YYYY-MM-DD, Dutch time) or an RFC 3339 date-time, "" for none. A
// date in from starts at the beginning of that day; a date in until
// includes that day (the period ends at the start of the next). It returns
// an EINVALID *hub.Error naming the field that cannot be read.
func ParseValidity(from, until string) (time.Time, time.Time, error) {
	f, err := parseMoment(from, false)
	if err != nil {
		return time.Time{}, time.Time{}, hub.Errorf(hub.EINVALID, "valid_from is geen datum of tijdstip")
	}
	u, err := parseMoment(until, true)
	if err != nil {
		return time.Time{}, time.Time{}, hub.Errorf(hub.EINVALID, "valid_until is geen datum of tijdstip")
	}
	return f, u, nil
}

// dutch is the time zone of dates in statements.
var dutch = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// parseMoment reads a date (YYYY-MM-DD) or an RFC 3339 date-time. A date
// is the start of that day in Dutch time, or with endOfDay the start of the
// next day (the exclusive end of a period that includes the date). "" is
// the zero time.
func parseMoment(s string, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, dutch); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
