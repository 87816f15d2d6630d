// Package auth authenticates the callers of the hub's API: users of the
// dashboard and admin screens by a JWT, partner systems by an API key or a
// TLS client certificate. The result is a Subject in the request's context;
// what a subject may see is decided elsewhere (hub/policy).
//
// Users present "Authorization: Bearer <JWT>" signed with a key from the
// configuration (HS256/384/512 with a secret from the environment, or
// RS256/384/512, PS256, ES256 and EdDSA with a public key from a PEM file).
// The token must carry sub (the user), org (the organisation), role and
// exp; act_for names the responsible user they act for; iss and aud are
// checked when configured.
//
// Partner systems present an API key of the form khp_<id>_<secret> in
// "Authorization: Bearer" or "X-API-Key", or a client certificate. The hub
// stores only the SHA-256 of each key (see APIKey); a certificate is mapped
// to its partner by its SHA-256 fingerprint (pinning) or, when it chains to
// a configured CA, by subject CN, SAN DNS name or SAN URI. A partner acts
// only as itself (RequirePartner).
//
// Failures are *Error values with a stable Code (AUTH_MISSING,
// AUTH_INVALID, AUTH_EXPIRED, AUTH_FORBIDDEN), a Dutch message and an HTTP
// status; the middleware hands them to the caller's error writer so that
// hub/api keeps its problem+json format. Nothing of a credential is ever
// put in an error message or a log line, only key ids.
package auth

import (
	"context"
	"time"
)

// Kind is the kind of caller.
type Kind string

// Kinds of callers.
const (
	KindUser    Kind = "user"
	KindPartner Kind = "partner"
)

// Method is how the caller authenticated.
type Method string

// Methods of authentication.
const (
	MethodJWT         Method = "jwt"
	MethodAPIKey      Method = "api_key"
	MethodCertificate Method = "certificate"
)

// Subject is an authenticated caller, with what the audit trail records
// about it (hub/audit: User, ActingFor, Organisation, Role).
type Subject struct {
	Kind Kind
	// ID is the user id (the JWT's sub) or the partner id.
	ID string
	// Organisation is the user's organisation (the org claim), or the
	// partner id for a partner system.
	Organisation string
	// Role is the user's role (the role claim), or the partner's configured
	// role ("partner" unless configured).
	Role string
	// ActingFor is the responsible user the user acts for (act_for), or "".
	ActingFor string
	Method    Method
	// Credential identifies the credential without revealing it: the JWT's
	// kid (or the key's configured id), the API key id, or the client
	// certificate's SHA-256 fingerprint in hex.
	Credential string
	// ExpiresAt is when the credential expires; zero when it does not.
	ExpiresAt time.Time
}

type subjectKey struct{}

// WithSubject returns a context that carries s.
func WithSubject(ctx context.Context, s Subject) context.Context {
	return context.WithValue(ctx, subjectKey{}, s)
}

// SubjectFrom returns the Subject the middleware put in ctx, and false when
// the request was not authenticated.
func SubjectFrom(ctx context.Context) (Subject, bool) {
	s, ok := ctx.Value(subjectKey{}).(Subject)
	return s, ok
}

// RequirePartner checks that s may act for the partner named in a request
// path: only that partner's own system may. It returns an *Error with
// CodeForbidden otherwise (for users too: what users may see of a partner
// is a policy decision, not an authentication one).
func RequirePartner(s Subject, partner string) error {
	if s.Kind == KindPartner && s.ID == partner && partner != "" {
		return nil
	}
	return newError(CodeForbidden, "U mag alleen namens uw eigen organisatie aanleveren of opvragen.", nil)
}
