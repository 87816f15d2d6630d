package api

import (
	"fmt"
	"net/http"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// The steps that many handlers take in the same order. Each one answers the
// request itself when it fails and returns false, so that a handler reads
// as its own steps: who asks, about which client, what the decision point
// says, and what is logged before the answer leaves the hub.

// beginClient is begin for a request about the chain client named in the
// path: it authenticates the caller, finds the purpose, asks whether the
// caller may perform op at all and only then reads the client id. It
// returns the caller, the purpose and the client id.
func (s *server) beginClient(w http.ResponseWriter, r *http.Request, op policy.Operation) (caller, string, string, bool) {
	c, purpose, ok := s.begin(w, r, op)
	if !ok {
		return c, "", "", false
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return c, "", "", false
	}
	return c, purpose, id, true
}

// callerAndClient returns the caller and the chain client named in the
// path, for a handler that finds the purpose and asks the decision point
// itself.
func (s *server) callerAndClient(w http.ResponseWriter, r *http.Request) (caller, string, bool) {
	c, err := s.callerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	id, err := s.clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return c, "", false
	}
	return c, id, true
}

// clientRead is a read about one chain client that the decision point
// allows: at least one of the client's registrations may be seen.
type clientRead struct {
	c       caller
	purpose string
	// id is the client as the path names it; current is that client now,
	// after the merges since.
	id, current string
	// access is the decision about each registration of current.
	access clientAccess
	// base is the caller's disclosure event, for the audit trail.
	base audit.Event
}

// readClient begins a read about the chain client named in the path for op
// (beginClient), resolves the client to what it is now and asks the
// decision point about each of its registrations. When none may be seen,
// it logs the refusal and answers it (refuseClient).
func (s *server) readClient(w http.ResponseWriter, r *http.Request, op policy.Operation) (clientRead, bool) {
	c, purpose, id, ok := s.beginClient(w, r, op)
	if !ok {
		return clientRead{}, false
	}
	cur, err := s.clients.Resolve(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return clientRead{}, false
	}
	access, err := s.accessTo(r.Context(), c, purpose, op, []string{cur})
	if err != nil {
		s.fail(w, r, err)
		return clientRead{}, false
	}
	cr := clientRead{c: c, purpose: purpose, id: id, current: cur, access: access[cur], base: c.event(r.Context(), audit.TypeDisclosure)}
	if !cr.access.allowed() {
		s.refuseClient(w, r, cr.base, purpose, cur, cr.access)
		return clientRead{}, false
	}
	return cr, true
}

// writeAudited records events in the audit trail and only then writes v as
// JSON with 200: nothing leaves the hub that is not logged. When the audit
// trail cannot be written, the caller gets a 500 and the log says "audit
// " followed by what.
func (s *server) writeAudited(w http.ResponseWriter, r *http.Request, what string, v any, events ...audit.Event) {
	if err := s.audit.Record(r.Context(), events...); err != nil {
		s.fail(w, r, fmt.Errorf("audit %s: %w", what, err))
		return
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", v)
}

// respond answers err as a problem when it is set, and v as JSON with
// status otherwise: the last step of a handler whose answer is what its
// last call returns.
func (s *server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, r, status, "application/json", v)
}
