// Package hub holds Ketenhub's domain types and its error type. The
// subpackages (config, ingest, pipeline, store, api, ...) each wrap one
// concern and depend on this package, not on each other's internals.
package hub

import (
	"errors"
	"fmt"
)

// Error codes of the hub, mapped to HTTP statuses in one table in hub/api.
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
	EUNAVAILABLE    = "unavailable"
	ENOCONSENT      = "no_consent"
	ETOOLARGE       = "too_large"
	EDUPLICATE      = "duplicate"
	EUNSUPPORTED    = "unsupported"
	EADAPTERFAILURE = "adapter_failure"
)

// Error is a domain error with a machine-readable code and a message that is
// safe to show to the caller (Dutch for end users, never personal data).
type Error struct {
	Code    string
	Message string
	Err     error // the underlying cause, for logs; may be nil
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or a generic Dutch message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Interne fout; de beheerder kan de details in de log vinden."
}
