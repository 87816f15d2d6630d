package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ketenhub/ketenhub/hub"
)

// Problem is an error response body, application/problem+json (RFC 9457),
// with the hub's error code as an extension member.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Code     string `json:"code"`
}

// ProblemTypeBase is the prefix of every problem type; the hub error code
// follows it.
const ProblemTypeBase = "https://ketenhub.nl/problems/"

// codeTable is the one table from hub error codes to HTTP statuses, with the
// Dutch title of each. Codes not in it answer 500.
var codeTable = map[string]struct {
	status int
	title  string
}{
	hub.EINVALID:      {http.StatusBadRequest, "Ongeldig verzoek"},
	hub.EUNAUTHORIZED: {http.StatusUnauthorized, "Niet aangemeld"},
	hub.EFORBIDDEN:    {http.StatusForbidden, "Geen toegang"},
	hub.ENOCONSENT:    {http.StatusForbidden, "Geen toestemming van de cliënt"},
	hub.ENOTFOUND:     {http.StatusNotFound, "Niet gevonden"},
	hub.ECONFLICT:     {http.StatusConflict, "Conflict"},
	hub.EDUPLICATE:    {http.StatusConflict, "Al eerder aangeleverd"},
	hub.ETOOLARGE:     {http.StatusRequestEntityTooLarge, "Te groot"},
	hub.EUNSUPPORTED:  {http.StatusUnsupportedMediaType, "Niet-ondersteund mediatype"},
	hub.EUNAVAILABLE:  {http.StatusServiceUnavailable, "Tijdelijk niet beschikbaar"},
	hub.EINTERNAL:     {http.StatusInternalServerError, "Interne fout"},
}

// titleOf gives the statuses the API writes itself (not from a hub error) a title.
var titleOf = map[int]string{
	http.StatusMethodNotAllowed: "Methode niet toegestaan",
}

// statusFor returns the HTTP status for a hub error code: 500 for codes
// without their own status.
func statusFor(code string) int {
	if e, ok := codeTable[code]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// internalDetail is the answer to an error whose details belong in the log only.
var internalDetail = hub.ErrorMessage(errors.New("internal"))

// timeoutDetail is the answer when the request ran out of time.
const timeoutDetail = "Het verzoek duurde te lang; probeer het later opnieuw."

// fail answers err as a problem. A hub error shows its code and its
// caller-safe message; any other error is logged and answered with a generic
// message.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	code := hub.ErrorCode(err)
	status := statusFor(code)
	detail := hub.ErrorMessage(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (code == hub.EINTERNAL && errors.Is(ctx.Err(), context.DeadlineExceeded)):
		code, status, detail = hub.EUNAVAILABLE, http.StatusServiceUnavailable, timeoutDetail
		s.logError(r, slog.LevelWarn, "http request timed out", err)
	case errors.Is(err, context.Canceled) || (code == hub.EINTERNAL && ctx.Err() != nil):
		// The caller went away; nobody reads the answer and nothing is wrong.
		code, status, detail = hub.EUNAVAILABLE, http.StatusServiceUnavailable, timeoutDetail
	case code == hub.EINTERNAL:
		detail = internalDetail
		s.logError(r, slog.LevelError, "http request failed", err)
	case status >= 500:
		s.logError(r, slog.LevelError, "http request failed", err)
	}
	s.problem(w, r, status, code, detail)
}

// logError logs a failed request with its method, path and error; never the
// query string.
func (s *server) logError(r *http.Request, level slog.Level, msg string, err error) {
	s.log.LogAttrs(r.Context(), level, msg,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()),
		slog.String("request_id", info(r.Context()).id))
}

// problem writes a problem+json response.
func (s *server) problem(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	title := titleOf[status]
	if e, ok := codeTable[code]; ok && e.status == status {
		title = e.title
	}
	if title == "" {
		title = http.StatusText(status)
	}
	w.Header().Set("Content-Language", "nl")
	s.writeJSON(w, r, status, "application/problem+json", Problem{
		Type:     ProblemTypeBase + code,
		Title:    title,
		Status:   status,
		Detail:   detail,
		Instance: r.URL.EscapedPath(),
		Code:     code,
	})
}
