package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/hub/identity"
)

// EventType is what happened, after the event classes of NEN 7513.
type EventType string

// Event types.
const (
	// TypeDisclosure: client data was shown or sent to a user or partner
	// (a read, a feed page, an outbound message), or refused.
	TypeDisclosure EventType = "disclosure"
	// TypeConsentChange: a client's consent was granted, withdrawn or amended.
	TypeConsentChange EventType = "consent_change"
	// TypeLinkChange: partner records and chain clients were merged, split,
	// linked or unlinked (Action says which).
	TypeLinkChange EventType = "link_change"
	// TypeConfigChange: configuration that governs access changed (roles,
	// partners, keys).
	TypeConfigChange EventType = "config_change"
	// TypeLogin: a user or partner system authenticated.
	TypeLogin EventType = "login"
	// TypeAuthFailure: an authentication or authorisation attempt failed.
	TypeAuthFailure EventType = "auth_failure"
	// TypeExport: data left the hub in bulk (an export file, a report).
	TypeExport EventType = "export"
	// TypeEmergencyAccess: data was accessed under an emergency procedure
	// (break the glass); Emergency must be true.
	TypeEmergencyAccess EventType = "emergency_access"
	// TypeAuditRead: the audit trail itself was read, for instance to answer
	// a client's access request.
	TypeAuditRead EventType = "audit_read"
)

var eventTypes = map[EventType]bool{
	TypeDisclosure: true, TypeConsentChange: true, TypeLinkChange: true, TypeConfigChange: true,
	TypeLogin: true, TypeAuthFailure: true, TypeExport: true, TypeEmergencyAccess: true, TypeAuditRead: true,
}

// Actions of a TypeLinkChange event.
const (
	ActionMerge  = "merge"
	ActionSplit  = "split"
	ActionLink   = "link"
	ActionUnlink = "unlink"
)

// Actions of a TypeConsentChange event.
const (
	ActionGrant    = "grant"
	ActionWithdraw = "withdraw"
	ActionAmend    = "amend"
	// ActionMove: a consent row applies to another client after a merge,
	// split or relink of the client it applied to.
	ActionMove = "move"
	// ActionDetach: a consent row applies to no client any more: the
	// registrations it was given for went to different clients.
	ActionDetach = "detach"
)

// actions lists the allowed actions of the types that have a fixed set;
// other types take any short lowercase word, or none.
var actions = map[EventType]map[string]bool{
	TypeLinkChange:    {ActionMerge: true, ActionSplit: true, ActionLink: true, ActionUnlink: true},
	TypeConsentChange: {ActionGrant: true, ActionWithdraw: true, ActionAmend: true, ActionMove: true, ActionDetach: true},
}

// Outcome is how the event ended.
type Outcome string

// Outcomes.
const (
	// OutcomeSuccess: the action was done (the data was disclosed, the
	// change was made, the user logged in).
	OutcomeSuccess Outcome = "success"
	// OutcomeDenied: the action was refused (no consent, no role, bad
	// credentials).
	OutcomeDenied Outcome = "denied"
	// OutcomeFailure: the action was allowed but failed.
	OutcomeFailure Outcome = "failure"
)

// BasisKind is the kind of ground on which data was disclosed.
type BasisKind string

// Basis kinds.
const (
	// BasisConsent: the client's consent; Ref is the consent id.
	BasisConsent BasisKind = "consent"
	// BasisBemoeizorg: disclosure without consent because the client cannot
	// sufficiently look after themselves; Ref is the id of the recorded
	// justification.
	BasisBemoeizorg BasisKind = "bemoeizorg"
	// BasisLegal: a legal ground; Ref names it (an article of a law).
	BasisLegal BasisKind = "legal"
)

// Basis is the authorisation basis of a disclosure.
type Basis struct {
	Kind BasisKind `json:"kind,omitempty"`
	Ref  string    `json:"ref,omitempty"`
}

// Event is one thing to log, with the fields of NEN 7513. Client, Related,
// User and ActingFor are pseudonymous identifiers, never a BSN or a name;
// Detail is a small JSON object without personal data. Append checks this
// as far as a machine can (see Validate).
type Event struct {
	Type EventType `json:"type"`
	// Action refines Type: ActionMerge etc. for TypeLinkChange, ActionGrant
	// etc. for TypeConsentChange; a short lowercase word or empty otherwise.
	Action string `json:"action,omitempty"`
	// Client is the chain client's opaque id (a pseudonym); empty for events
	// about no single client.
	Client string `json:"client,omitempty"`
	// Related are other clients involved: the clients merged into Client, or
	// split off from it.
	Related []string `json:"related,omitempty"`
	// User is the user id (JWT sub) or the partner id of a partner system.
	User string `json:"user,omitempty"`
	// ActingFor is the responsible user on whose behalf User acted.
	ActingFor    string `json:"acting_for,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	Role         string `json:"role,omitempty"`
	// Purpose is the purpose of use (doelbinding) the data was asked for.
	Purpose string `json:"purpose,omitempty"`
	// Categories are the data categories (sensitivity classes) touched.
	Categories []string `json:"categories,omitempty"`
	Basis      Basis    `json:"basis,omitzero"`
	// Emergency means an emergency procedure was used.
	Emergency bool    `json:"emergency,omitempty"`
	Outcome   Outcome `json:"outcome"`
	// Source is where it happened: the API route ("GET /v1/clients/{id}"),
	// the CLI command or the pipeline stage.
	Source    string `json:"source"`
	RequestID string `json:"request_id,omitempty"`
	// Detail is a JSON object with further facts, never personal data.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Limits of one event.
const (
	maxText       = 256
	maxList       = 64
	maxDetail     = 4096
	maxBatch      = 10000
	maxDetailNest = 8
)

// ErrInvalidEvent is wrapped by the errors of Validate and Append for an
// event that cannot be logged. The messages name the field, never its value.
var ErrInvalidEvent = errors.New("invalid audit event")

var (
	// idPattern is an opaque identifier: no spaces, so no names.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$`)
	// tokenPattern is a lowercase code: an action, a category.
	tokenPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

// personalKeys are detail members that would hold personal data by their
// name alone. The check is a guard against mistakes, not a guarantee.
var personalKeys = map[string]bool{
	"bsn": true, "burgerservicenummer": true, "name": true, "naam": true, "surname": true, "achternaam": true,
	"geslachtsnaam": true, "initials": true, "voorletters": true, "voornaam": true, "first_name": true,
	"birth_date": true, "date_of_birth": true, "geboortedatum": true, "address": true, "adres": true,
	"postcode": true, "email": true, "phone": true, "telefoon": true,
}

// Validate reports whether e can be logged: known type, action and outcome,
// a source, identifiers that are opaque tokens and not a BSN, and a detail
// that is a JSON object of at most 4 KiB without members named like
// personal data (bsn, naam, geboortedatum, ...) and without values that
// pass the BSN check. Errors wrap ErrInvalidEvent.
func (e *Event) Validate() error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s %s", ErrInvalidEvent, field, why) }
	if !eventTypes[e.Type] {
		return bad("type", "is not a known event type")
	}
	if e.Action != "" {
		if allowed, fixed := actions[e.Type]; fixed && !allowed[e.Action] || !fixed && !isToken(e.Action) {
			return bad("action", "is not an action of type "+string(e.Type))
		}
	} else if _, fixed := actions[e.Type]; fixed {
		return bad("action", "is required for type "+string(e.Type))
	}
	switch e.Outcome {
	case OutcomeSuccess, OutcomeDenied, OutcomeFailure:
	default:
		return bad("outcome", "is not success, denied or failure")
	}
	if e.Source == "" {
		return bad("source", "is required")
	}
	switch e.Basis.Kind {
	case "", BasisConsent, BasisBemoeizorg, BasisLegal:
	default:
		return bad("basis.kind", "is not consent, bemoeizorg or legal")
	}
	if e.Basis.Kind == "" && e.Basis.Ref != "" {
		return bad("basis.ref", "needs a basis.kind")
	}
	if e.Type == TypeEmergencyAccess && !e.Emergency {
		return bad("emergency", "must be true for an emergency_access event")
	}
	if e.Type == TypeDisclosure || e.Type == TypeEmergencyAccess {
		if e.Client == "" {
			return bad("client", "is required for a "+string(e.Type)+" event")
		}
		if e.Outcome == OutcomeSuccess && e.Basis.Kind == "" && !e.Emergency {
			return bad("basis", "is required for a disclosure that succeeded (or emergency must be true)")
		}
	}
	for _, f := range []struct{ name, v string }{
		{"client", e.Client}, {"user", e.User}, {"acting_for", e.ActingFor}, {"organisation", e.Organisation},
		{"role", e.Role}, {"basis.ref", e.Basis.Ref}, {"request_id", e.RequestID},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"purpose", e.Purpose}, {"source", e.Source}} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	if len(e.Related) > maxList {
		return bad("related", fmt.Sprintf("has more than %d entries", maxList))
	}
	for i, r := range e.Related {
		if r == "" {
			return bad(fmt.Sprintf("related[%d]", i), "is empty")
		}
		if err := checkID(fmt.Sprintf("related[%d]", i), r); err != nil {
			return err
		}
	}
	if len(e.Categories) > maxList {
		return bad("categories", fmt.Sprintf("has more than %d entries", maxList))
	}
	for i, c := range e.Categories {
		if len(c) > maxText || !isToken(c) {
			return bad(fmt.Sprintf("categories[%d]", i), "is not a lowercase code")
		}
	}
	if _, err := compactDetail(e.Detail); err != nil {
		return err
	}
	return nil
}

func isToken(s string) bool { return len(s) <= maxText && tokenPattern.MatchString(s) }

// checkID checks an identifier: empty, or an opaque token that is no BSN.
func checkID(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > maxText || !idPattern.MatchString(v) {
		return fmt.Errorf("%w: %s is not an opaque identifier (letters, digits and ._:@/+=- only, at most %d bytes)", ErrInvalidEvent, field, maxText)
	}
	if looksLikeBSN(v) {
		return fmt.Errorf("%w: %s looks like a BSN; log a pseudonym instead", ErrInvalidEvent, field)
	}
	return nil
}

// checkText checks free text: printable UTF-8 of bounded length, no BSN.
func checkText(field, v string) error {
	if len(v) > maxText || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%w: %s is not printable text of at most %d bytes", ErrInvalidEvent, field, maxText)
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '/' || r == '=' || r == '&' || r == '?' }) {
		if looksLikeBSN(w) {
			return fmt.Errorf("%w: %s contains what looks like a BSN", ErrInvalidEvent, field)
		}
	}
	return nil
}

// looksLikeBSN reports whether s, without separators, is 8 or 9 digits that
// pass the elfproef.
func looksLikeBSN(s string) bool {
	_, ok := identity.CheckBSN(s)
	return ok
}

// compactDetail returns detail compacted (no insignificant space), or nil
// for an empty or null detail. It must be a JSON object of at most
// maxDetail bytes without personal data as far as checkDetailValue sees.
func compactDetail(detail json.RawMessage) ([]byte, error) {
	t := bytes.TrimSpace(detail)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, fmt.Errorf("%w: detail is not a JSON object", ErrInvalidEvent)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, fmt.Errorf("%w: detail is not valid JSON", ErrInvalidEvent)
	}
	if buf.Len() > maxDetail {
		return nil, fmt.Errorf("%w: detail is larger than %d bytes", ErrInvalidEvent, maxDetail)
	}
	if bytes.IndexByte(buf.Bytes(), 0) >= 0 || bytes.Contains(buf.Bytes(), []byte(`\u0000`)) {
		return nil, fmt.Errorf("%w: detail contains a NUL character", ErrInvalidEvent)
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: detail is not valid JSON", ErrInvalidEvent)
	}
	if err := checkDetailValue("detail", v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func checkDetailValue(path string, v any, depth int) error {
	if depth > maxDetailNest {
		return fmt.Errorf("%w: %s is nested too deeply", ErrInvalidEvent, path)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, m := range x {
			if personalKeys[strings.ToLower(k)] {
				return fmt.Errorf("%w: %s has a member %q, which would hold personal data", ErrInvalidEvent, path, k)
			}
			if err := checkDetailValue(path+"."+k, m, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for i, m := range x {
			if err := checkDetailValue(fmt.Sprintf("%s[%d]", path, i), m, depth+1); err != nil {
				return err
			}
		}
	case string:
		if looksLikeBSN(x) {
			return fmt.Errorf("%w: %s looks like a BSN", ErrInvalidEvent, path)
		}
	case json.Number:
		if looksLikeBSN(x.String()) {
			return fmt.Errorf("%w: %s looks like a BSN", ErrInvalidEvent, path)
		}
	}
	return nil
}

// Entry is a logged event as stored: its place in the chain, its time and
// its hashes.
type Entry struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	Event
	PrevHash []byte `json:"prev_hash"`
	Hash     []byte `json:"hash"`
}

// hashVersion starts every canonical encoding; a new encoding gets a new
// version so that old rows keep verifying.
const hashVersion = "ketenhub-audit-v1"

// digest is SHA-256 over the canonical encoding of the event's fields and
// its time: every field in a fixed order, each string as a 4-byte
// big-endian length and its bytes, each list as a 4-byte count and its
// strings, the time as 8-byte big-endian microseconds since 1970 UTC and
// Emergency as one byte. detail must be compacted (compactDetail).
func digest(at time.Time, e *Event, detail []byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(s)))
		h.Write(n[:4])
		h.Write([]byte(s))
	}
	list := func(l []string) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(l)))
		h.Write(n[:4])
		for _, s := range l {
			str(s)
		}
	}
	str(hashVersion)
	binary.BigEndian.PutUint64(n[:], uint64(at.UnixMicro()))
	h.Write(n[:])
	str(string(e.Type))
	str(e.Action)
	str(e.Client)
	list(e.Related)
	str(e.User)
	str(e.ActingFor)
	str(e.Organisation)
	str(e.Role)
	str(e.Purpose)
	list(e.Categories)
	str(string(e.Basis.Kind))
	str(e.Basis.Ref)
	if e.Emergency {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	str(string(e.Outcome))
	str(e.Source)
	str(e.RequestID)
	str(string(detail))
	return sum(h)
}

// chainHash is the hash of row seq: SHA-256 over the previous row's hash,
// seq as 8-byte big-endian and the row's digest. The database computes the
// same in Append (sha256(prev || int8send(seq) || digest)).
func chainHash(prev []byte, seq int64, d [32]byte) [32]byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	h.Write(d[:])
	return sum(h)
}

func sum(h hash.Hash) [32]byte {
	var out [32]byte
	h.Sum(out[:0])
	return out
}
