package auth

import (
	"errors"
	"net/http"

	"github.com/ketenhub/ketenhub/hub"
)

// Code is a stable code of an authentication failure. Tools and tests may
// rely on the codes; the Dutch messages may be reworded.
type Code string

// Codes of authentication failures.
const (
	// CodeMissing: the request carries no credential at all (401).
	CodeMissing Code = "AUTH_MISSING"
	// CodeInvalid: the credential is malformed, unknown, wrongly signed, not
	// for this hub or misses a required claim (401).
	CodeInvalid Code = "AUTH_INVALID"
	// CodeExpired: the credential was valid but has expired (401).
	CodeExpired Code = "AUTH_EXPIRED"
	// CodeForbidden: the caller is known but may not act like this: a
	// partner on another partner's path, an unknown role (403).
	CodeForbidden Code = "AUTH_FORBIDDEN"
	// CodeCertificateUnknown: the client certificate is trusted (it chains
	// to a client CA) but no partner's certificate rule matches it (403).
	CodeCertificateUnknown Code = "AUTH_CERT_UNKNOWN"
)

// Error is an authentication failure: a stable Code, a Dutch Message that
// is safe to show to the caller (it never holds the credential or personal
// data) and the underlying cause for the log.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func newError(code Code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Err: cause}
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status for the failure: 403 for CodeForbidden and
// CodeCertificateUnknown, 401 otherwise.
func (e *Error) Status() int {
	if e.forbidden() {
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// forbidden reports whether the caller is known (or trusted) but refused.
func (e *Error) forbidden() bool { return e.Code == CodeForbidden || e.Code == CodeCertificateUnknown }

// Challenge is the WWW-Authenticate header value for a 401 answer (RFC
// 6750), or "" for a 403.
func (e *Error) Challenge() string {
	switch {
	case e.forbidden():
		return ""
	case e.Code == CodeMissing:
		return `Bearer realm="ketenhub"`
	}
	return `Bearer realm="ketenhub", error="invalid_token"`
}

// As lets errors.As find a *hub.Error in an authentication failure, with
// the hub's code for its status (hub.EUNAUTHORIZED or hub.EFORBIDDEN) and
// the Dutch message followed by the stable code ("... [AUTH_EXPIRED]"), so
// that the API's problem+json writer answers it without knowing this
// package and a caller can tell the failures apart.
func (e *Error) As(target any) bool {
	t, ok := target.(**hub.Error)
	if !ok {
		return false
	}
	code := hub.EUNAUTHORIZED
	if e.forbidden() {
		code = hub.EFORBIDDEN
	}
	*t = &hub.Error{Code: code, Message: e.Message + " [" + string(e.Code) + "]", Err: e}
	return true
}

// CodeOf returns the Code of the first *Error in err's chain, or "" when
// there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
