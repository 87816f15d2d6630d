package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// publicPaths are the /v1 paths served without a credential.
var publicPaths = map[string]bool{
	"/v1/openapi.yaml": true,
	"/v1/openapi.json": true,
}

// The operator token's subject: a user of the hub itself.
const (
	operatorID           = "operator"
	operatorOrganisation = "ketenhub"
)

// authenticate demands a credential on every path under /v1 except the
// public ones, before routing, so that a caller without one learns nothing
// about which paths exist. A refused credential is answered with
// problem+json (401 with WWW-Authenticate, or 403) and logged in the audit
// trail; the credential itself is never logged.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !(p == "/v1" || strings.HasPrefix(p, "/v1/")) || publicPaths[p] {
			next.ServeHTTP(w, r)
			return
		}
		subject, err := s.authenticateRequest(r)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithSubject(r.Context(), subject)))
	})
}

// authenticateRequest returns the caller: the operator, or whoever the
// authenticator recognises. The subject's identifiers must be fit for the
// audit trail (pseudonyms, no BSN), or the credential is refused.
func (s *server) authenticateRequest(r *http.Request) (auth.Subject, error) {
	if s.isOperator(r.Header.Get("Authorization")) {
		return auth.Subject{Kind: auth.KindUser, ID: operatorID, Organisation: operatorOrganisation, Role: s.operatorRole,
			Credential: "operator-token"}, nil
	}
	subject, err := s.auth.Authenticate(r)
	if err != nil {
		return auth.Subject{}, err
	}
	probe := audit.Event{Type: audit.TypeLogin, Outcome: audit.OutcomeSuccess, Source: "authenticate",
		User: subject.ID, ActingFor: subject.ActingFor, Organisation: subject.Organisation, Role: subject.Role}
	if err := probe.Validate(); err != nil {
		return auth.Subject{}, &auth.Error{Code: auth.CodeInvalid,
			Message: "De gebruiker, organisatie of rol in het token is geen bruikbaar pseudoniem (letters, cijfers en ._:@/+=- ; geen BSN).", Err: err}
	}
	return subject, nil
}

// isOperator reports whether the Authorization header carries the operator
// token. Both sides are hashed first so that the comparison takes the same
// time whatever the length of the offered token.
func (s *server) isOperator(header string) bool {
	if s.operatorHash == ([sha256.Size]byte{}) {
		return false
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.operatorHash[:]) == 1
}

// refuse answers a refused credential and logs it in the audit trail.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var ae *auth.Error
	code := string(auth.CodeInvalid)
	if errors.As(err, &ae) {
		code = string(ae.Code)
		if ae.Challenge() != "" {
			w.Header().Set("WWW-Authenticate", ae.Challenge())
		}
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		pattern = r.Method + " unmatched"
	}
	detail, _ := json.Marshal(map[string]string{"code": code})
	ev := audit.Event{Type: audit.TypeAuthFailure, Outcome: audit.OutcomeDenied, Source: pattern,
		RequestID: info(r.Context()).id, Detail: detail}
	if aerr := s.audit.Record(r.Context(), ev); aerr != nil {
		s.logError(r, slog.LevelError, "audit of a refused credential failed", aerr)
	}
	if code == string(auth.CodeForbidden) {
		// The cause names the role or organisation the token claims: the
		// caller's words, which are not logged.
		err = &auth.Error{Code: auth.CodeForbidden, Message: ae.Message}
	}
	s.logError(r, slog.LevelInfo, "credential refused", err)
	s.fail(w, r, err)
}

// caller is the authenticated subject of a request, as the audit trail and
// the decision point see it.
type caller struct {
	auth.Subject
	// policy is the subject for decisions.
	policy policy.Subject
	// role is the role that decides: the user's, or the partner system's
	// from roles.yaml.
	role string
}

// callerOf returns the request's caller. The authenticate middleware put
// it there; a request without one is refused.
func (s *server) callerOf(r *http.Request) (caller, error) {
	sub, ok := auth.SubjectFrom(r.Context())
	if !ok {
		return caller{}, hub.Errorf(hub.EUNAUTHORIZED, "Meld u aan.")
	}
	c := caller{Subject: sub, role: sub.Role,
		policy: policy.Subject{Kind: policy.User, ID: sub.ID, Organisation: sub.Organisation, Role: sub.Role, ActingFor: sub.ActingFor}}
	if sub.Kind == auth.KindPartner {
		c.policy.Kind = policy.Partner
		if sub.Role == auth.DefaultRole {
			// No role in auth.yaml: roles.yaml gives the partner system its role.
			c.policy.Role = ""
		}
		c.role = ""
		if p := s.policy.Policy(); p != nil {
			c.role = p.Partners[sub.ID]
		}
	}
	return c, nil
}

// event is an audit event by the caller of r, with the route and request id.
func (c caller) event(ctx context.Context, typ audit.EventType) audit.Event {
	ri := info(ctx)
	return audit.Event{Type: typ, User: c.ID, ActingFor: c.ActingFor, Organisation: c.Organisation, Role: c.role,
		Source: ri.route, RequestID: ri.id, Outcome: audit.OutcomeSuccess}
}
