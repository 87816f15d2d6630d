package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
)

// authenticate demands the bearer token on every path under /v1 except the
// public ones, before routing, so that a caller without the token learns
// nothing about which paths exist. A missing and a wrong token get the same
// answer.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		protected := (p == "/v1" || strings.HasPrefix(p, "/v1/")) && !publicPaths[p]
		if protected && !s.validToken(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ketenhub"`)
			s.problem(w, r, http.StatusUnauthorized, hub.EUNAUTHORIZED,
				"Geef een geldig toegangstoken mee in de header Authorization: Bearer <token>.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validToken reports whether the Authorization header carries the configured
// bearer token. Both sides are hashed first so that the comparison takes the
// same time whatever the length of the offered token.
func (s *server) validToken(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
}
