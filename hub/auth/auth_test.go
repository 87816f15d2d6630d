package auth_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/auth"
)

// userConfig has one key of each kind, with ids, and iss/aud checks.
func userConfig(t *testing.T) auth.Config {
	dir := t.TempDir()
	return auth.Config{Dir: dir, Users: auth.UsersConfig{
		Issuer: "https://idp.keten.example", Audience: "ketenhub", ClockSkew: "30s",
		Keys: []auth.KeyConfig{
			{ID: "dashboard", Alg: "HS256", SecretEnv: "KETENHUB_JWT_SECRET"},
			{ID: "idp-rsa", Alg: "RS256", PublicKey: writePublicKey(t, dir, "rsa.pem", &keys.rsa.PublicKey)},
			{ID: "idp-ec", Alg: "ES256", PublicKey: writePublicKey(t, dir, "ec.pem", &keys.ec.PublicKey)},
			{ID: "idp-ed", Alg: "EdDSA", PublicKey: writePublicKey(t, dir, "ed.pem", keys.edPub)},
		}}}
}

func TestUserTokens(t *testing.T) {
	a := mustNew(t, userConfig(t), auth.Options{})
	with := func(change func(c jwt.MapClaims)) jwt.MapClaims {
		c := userClaims()
		change(c)
		return c
	}
	hs := []byte(hsSecret)
	tests := []struct {
		name  string
		token string
		code  auth.Code
	}{
		{"OK HS256", sign(t, jwt.SigningMethodHS256, hs, "dashboard", userClaims()), ""},
		{"OK RS256", sign(t, jwt.SigningMethodRS256, keys.rsa, "idp-rsa", userClaims()), ""},
		{"OK RS256 without kid", sign(t, jwt.SigningMethodRS256, keys.rsa, "", userClaims()), ""},
		{"OK ES256", sign(t, jwt.SigningMethodES256, keys.ec, "idp-ec", userClaims()), ""},
		{"OK EdDSA", sign(t, jwt.SigningMethodEdDSA, keys.ed, "idp-ed", userClaims()), ""},
		{"OK expired within the skew", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-20 * time.Second).Unix() })), ""},
		{"ErrExpired", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), auth.CodeExpired},
		{"ErrWrongSecret", sign(t, jwt.SigningMethodHS256, []byte("een-ander-geheim-van-minstens-32-bytes!!"), "dashboard", userClaims()), auth.CodeInvalid},
		{"ErrWrongRSAKey", sign(t, jwt.SigningMethodRS256, keys.rsa2, "idp-rsa", userClaims()), auth.CodeInvalid},
		{"ErrTamperedClaims", tamperClaims(t, sign(t, jwt.SigningMethodRS256, keys.rsa, "idp-rsa", userClaims())), auth.CodeInvalid},
		{"ErrAlgNone", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", userClaims()), auth.CodeInvalid},
		{"ErrAlgNotConfigured", sign(t, jwt.SigningMethodHS512, []byte(hsSecret+hsSecret), "dashboard", userClaims()), auth.CodeInvalid},
		// HS/RS confusion: an HS256 token whose HMAC secret is the RSA
		// public key file, under the RSA key's kid.
		{"ErrHSWithRSAPublicKey", sign(t, jwt.SigningMethodHS256, publicPEM(t), "idp-rsa", userClaims()), auth.CodeInvalid},
		{"ErrHSWithRSAPublicKeyNoKid", sign(t, jwt.SigningMethodHS256, publicPEM(t), "", userClaims()), auth.CodeInvalid},
		{"ErrRSUnderHSKid", sign(t, jwt.SigningMethodRS256, keys.rsa2, "dashboard", userClaims()), auth.CodeInvalid},
		{"ErrUnknownKid", sign(t, jwt.SigningMethodRS256, keys.rsa, "idp-2019", userClaims()), auth.CodeInvalid},
		{"ErrNoSub", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { delete(c, "sub") })), auth.CodeInvalid},
		{"ErrNoOrg", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { delete(c, "org") })), auth.CodeInvalid},
		{"ErrNoRole", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["role"] = " " })), auth.CodeInvalid},
		{"ErrNoExp", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { delete(c, "exp") })), auth.CodeInvalid},
		{"ErrWrongAudience", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["aud"] = "andere-hub" })), auth.CodeInvalid},
		{"ErrNoAudience", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { delete(c, "aud") })), auth.CodeInvalid},
		{"ErrWrongIssuer", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), auth.CodeInvalid},
		{"ErrNotYetValid", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), auth.CodeInvalid},
		{"ErrIssuedInFuture", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), auth.CodeInvalid},
		{"ErrMalformed", "eyJhbGciOiJIUzI1NiJ9.bm9wZQ", auth.CodeInvalid},
		{"ErrTooLarge", sign(t, jwt.SigningMethodHS256, hs, "dashboard", with(func(c jwt.MapClaims) { c["x"] = strings.Repeat("a", 9000) })), auth.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := a.Authenticate(request("Authorization", "Bearer "+tt.token))
			if got := auth.CodeOf(err); got != tt.code {
				t.Fatalf("code %q (%v); want %q", got, err, tt.code)
			}
			if tt.code != "" {
				if strings.Contains(err.Error(), tt.token) || strings.Contains(err.Error(), hsSecret) {
					t.Errorf("the error repeats the credential: %v", err)
				}
				return
			}
			if s.Kind != auth.KindUser || s.ID != "u-4711" || s.Organisation != "ggz-oost" || s.Role != "regievoerder" || s.Method != auth.MethodJWT {
				t.Errorf("subject %+v", s)
			}
			if s.ExpiresAt.IsZero() {
				t.Error("no expiry in the subject")
			}
		})
	}
}

// publicPEM is the RSA public key file's bytes, as an attacker would use
// them for an HMAC secret.
func publicPEM(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	name := writePublicKey(t, dir, "pub.pem", &keys.rsa.PublicKey)
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamperClaims changes the role in a signed token's payload and keeps the
// signature.
func tamperClaims(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := jwt.NewParser().DecodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), "regievoerder", "beheerder", 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}

// TestAlgorithmConfusion: with only an RSA key configured, an HS256 token
// keyed with that public key is refused before any key is looked at.
func TestAlgorithmConfusion(t *testing.T) {
	dir := t.TempDir()
	a := mustNew(t, auth.Config{Dir: dir, Users: auth.UsersConfig{Keys: []auth.KeyConfig{
		{Alg: "RS256", PublicKey: writePublicKey(t, dir, "rsa.pem", &keys.rsa.PublicKey)}}}}, auth.Options{})
	for name, token := range map[string]string{
		"HS256 keyed with the public key": sign(t, jwt.SigningMethodHS256, publicPEM(t), "", userClaims()),
		"none":                            sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", userClaims()),
		"PS256 with the RSA key":          sign(t, jwt.SigningMethodPS256, keys.rsa, "", userClaims()),
	} {
		_, err := a.Authenticate(request("Authorization", "Bearer "+token))
		if auth.CodeOf(err) != auth.CodeInvalid || !strings.Contains(err.Error(), "(alg)") {
			t.Errorf("%s: %v; want refused for its alg", name, err)
		}
	}
	if _, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodRS256, keys.rsa, "", userClaims()))); err != nil {
		t.Errorf("RS256: %v", err)
	}
}

func TestUserTokenActingFor(t *testing.T) {
	a := mustNew(t, userConfig(t), auth.Options{})
	c := userClaims()
	c["act_for"] = "u-0815"
	s, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "dashboard", c)))
	if err != nil {
		t.Fatal(err)
	}
	if s.ActingFor != "u-0815" || s.Credential != "dashboard" {
		t.Errorf("subject %+v", s)
	}
}

func TestUserTokenUnknownRole(t *testing.T) {
	a := mustNew(t, userConfig(t), auth.Options{
		KnownRole:         func(r string) bool { return r == "casemanager" },
		KnownOrganisation: func(o string) bool { return true },
	})
	_, err := a.Authenticate(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "dashboard", userClaims())))
	if auth.CodeOf(err) != auth.CodeForbidden {
		t.Fatalf("unknown role: %v", err)
	}
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Status() != http.StatusForbidden || ae.Challenge() != "" {
		t.Errorf("status/challenge of %v", err)
	}
}

// partnerConfig has API keys for two partners.
func partnerConfig(t *testing.T, keysByPartner map[string][]auth.APIKeyConfig) auth.Config {
	cfg := auth.Config{Dir: t.TempDir(), Partners: map[string]auth.PartnerConfig{}}
	for p, ks := range keysByPartner {
		cfg.Partners[p] = auth.PartnerConfig{APIKeys: ks}
	}
	return cfg
}

func TestAPIKeys(t *testing.T) {
	k1, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := auth.NewAPIKey()
	old, _ := auth.NewAPIKey()
	if !strings.HasPrefix(k1.String(), "khp_"+k1.ID+"_") || len(k1.ID) != 16 || len(k1.Secret) != 64 || k1.ID == k2.ID {
		t.Fatalf("key format: %s / %s", k1, k2)
	}
	sum := sha256.Sum256([]byte(k1.String()))
	if k1.Hash() != hex.EncodeToString(sum[:]) {
		t.Fatal("Hash is not the SHA-256 of the key")
	}
	a := mustNew(t, partnerConfig(t, map[string][]auth.APIKeyConfig{
		"ggz-oost":    {{ID: k1.ID, SHA256: strings.ToUpper(k1.Hash()), Expires: "2025-06-02"}, {ID: old.ID, SHA256: old.Hash(), Expires: "2025-06-01"}},
		"opvang-zuid": {{ID: k2.ID, SHA256: k2.Hash()}},
	}), auth.Options{})
	wrongSecret := auth.APIKey{ID: k1.ID, Secret: k2.Secret}
	unknown, _ := auth.NewAPIKey()
	tests := []struct {
		name    string
		headers []string
		partner string
		code    auth.Code
	}{
		{"OK Bearer", []string{"Authorization", "Bearer " + k1.String()}, "ggz-oost", ""},
		{"OK X-API-Key", []string{"X-API-Key", k2.String()}, "opvang-zuid", ""},
		{"OK lowercase bearer", []string{"Authorization", "bearer " + k2.String()}, "opvang-zuid", ""},
		{"ErrWrongSecret", []string{"X-API-Key", wrongSecret.String()}, "", auth.CodeInvalid},
		{"ErrUnknownID", []string{"X-API-Key", unknown.String()}, "", auth.CodeInvalid},
		{"ErrMalformed", []string{"X-API-Key", "khp_" + k1.ID}, "", auth.CodeInvalid},
		{"ErrUppercase", []string{"X-API-Key", strings.ToUpper(k1.String())}, "", auth.CodeInvalid},
		{"ErrExpired", []string{"X-API-Key", old.String()}, "", auth.CodeExpired},
		{"ErrBothHeaders", []string{"Authorization", "Bearer " + k1.String(), "X-API-Key", k1.String()}, "", auth.CodeInvalid},
		{"ErrBasic", []string{"Authorization", "Basic Z2d6OnBhc3M="}, "", auth.CodeInvalid},
		{"ErrEmptyBearer", []string{"Authorization", "Bearer"}, "", auth.CodeInvalid},
		{"ErrMissing", nil, "", auth.CodeMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := a.Authenticate(request(tt.headers...))
			if got := auth.CodeOf(err); got != tt.code {
				t.Fatalf("code %q (%v); want %q", got, err, tt.code)
			}
			if err != nil {
				for _, secret := range []string{k1.Secret, k2.Secret, old.Secret, unknown.Secret} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error repeats a secret: %v", err)
					}
				}
				return
			}
			if s.Kind != auth.KindPartner || s.ID != tt.partner || s.Organisation != tt.partner || s.Role != auth.DefaultRole || s.Method != auth.MethodAPIKey {
				t.Errorf("subject %+v", s)
			}
			if s.Credential == "" || strings.Contains(s.Credential, k1.Secret) {
				t.Errorf("credential %q: want the key id", s.Credential)
			}
		})
	}
	// The key's last day counts in UTC, up to midnight.
	late := mustNew(t, partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k1.ID, SHA256: k1.Hash(), Expires: "2025-06-02"}}}),
		auth.Options{Now: func() time.Time { return time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC) }})
	if _, err := late.Authenticate(request("X-API-Key", k1.String())); auth.CodeOf(err) != auth.CodeExpired {
		t.Errorf("the day after the last day: %v", err)
	}
}

func TestParseAPIKeyRoundTrip(t *testing.T) {
	k, _ := auth.NewAPIKey()
	if auth.HashAPIKey(k.String()) != k.Hash() {
		t.Fatal("HashAPIKey and Hash differ")
	}
}

func TestCertificates(t *testing.T) {
	ca := newPKI(t, "Keten CA")
	otherCA := newPKI(t, "Andere CA")
	pinned := (*pki)(nil).issue(t, "zelf-ondertekend", nil)
	pinnedExpired := (*pki)(nil).issue(t, "oud", func(c *x509.Certificate) { c.NotAfter = now.Add(-time.Hour) })
	byCN := ca.issue(t, "GGZ-Oost.koppeling.example", nil)
	byURI := ca.issue(t, "x", func(c *x509.Certificate) { c.URIs = append(c.URIs, mustURL(t, "spiffe://keten/opvang-zuid")) })
	byDNS := ca.issue(t, "y", func(c *x509.Certificate) { c.DNSNames = []string{"gemeente.koppeling.example"} })
	wrongCA := otherCA.issue(t, "ggz-oost.koppeling.example", nil)
	serverOnly := ca.issue(t, "ggz-oost.koppeling.example", func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })
	unknown := ca.issue(t, "niemand.example", nil)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256(pinned.Raw)
	fpExpired := sha256.Sum256(pinnedExpired.Raw)
	k, _ := auth.NewAPIKey()
	cfg := auth.Config{Dir: dir, ClientCA: "ca.pem", Partners: map[string]auth.PartnerConfig{
		"ggz-oost": {Role: "aanleverend", Certificates: []auth.CertificateConfig{
			{SubjectCN: "ggz-oost.koppeling.example"},
			{SHA256: colonHex(fp[:])},
		}},
		"opvang-zuid":  {Certificates: []auth.CertificateConfig{{URI: "spiffe://keten/opvang-zuid"}, {SHA256: hex.EncodeToString(fpExpired[:])}}, APIKeys: []auth.APIKeyConfig{{ID: k.ID, SHA256: k.Hash()}}},
		"gemeente-szw": {Certificates: []auth.CertificateConfig{{DNS: "gemeente.koppeling.example"}}},
	}}
	a := mustNew(t, cfg, auth.Options{})
	tests := []struct {
		name    string
		r       *http.Request
		partner string
		method  auth.Method
		code    auth.Code
	}{
		{"OK pinned self-signed", withCert(request(), pinned), "ggz-oost", auth.MethodCertificate, ""},
		{"OK subject CN, any case", withCert(request(), byCN), "ggz-oost", auth.MethodCertificate, ""},
		{"OK SAN URI", withCert(request(), byURI), "opvang-zuid", auth.MethodCertificate, ""},
		{"OK SAN DNS", withCert(request(), byDNS), "gemeente-szw", auth.MethodCertificate, ""},
		{"OK API key over its partner's certificate", withCert(request("X-API-Key", k.String()), byURI), "opvang-zuid", auth.MethodAPIKey, ""},
		{"ErrPinnedExpired", withCert(request(), pinnedExpired), "", "", auth.CodeExpired},
		{"ErrOtherCA", withCert(request(), wrongCA), "", "", auth.CodeInvalid},
		{"ErrServerAuthOnly", withCert(request(), serverOnly), "", "", auth.CodeInvalid},
		{"ErrUnknownCertificate", withCert(request(), unknown), "", "", auth.CodeCertificateUnknown},
		{"ErrUnknownCertificateVerifiedInHandshake", verified(withCert(request(), otherCA.issue(t, "onbekend", nil))), "", "", auth.CodeCertificateUnknown},
		{"OK name verified in handshake", verified(withCert(request(), otherCA.issue(t, "ggz-oost.koppeling.example", nil))), "ggz-oost", auth.MethodCertificate, ""},
		{"ErrAPIKeyOverOtherPartnersCertificate", withCert(request("X-API-Key", k.String()), byCN), "", "", auth.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := a.Authenticate(tt.r)
			if got := auth.CodeOf(err); got != tt.code {
				t.Fatalf("code %q (%v); want %q", got, err, tt.code)
			}
			if tt.code != "" {
				return
			}
			if s.Kind != auth.KindPartner || s.ID != tt.partner || s.Method != tt.method {
				t.Errorf("subject %+v; want partner %s by %s", s, tt.partner, tt.method)
			}
			if tt.method == auth.MethodCertificate && len(s.Credential) != 64 {
				t.Errorf("credential %q: want the certificate's fingerprint", s.Credential)
			}
		})
	}
	if s, _ := a.Authenticate(withCert(request(), pinned)); s.Role != "aanleverend" {
		t.Errorf("configured role: %q", s.Role)
	}
	// A user's token over a partner's certificate (a gateway) is the user.
	users := userConfig(t)
	cfg.Users = users.Users
	for i, key := range cfg.Users.Keys {
		if key.PublicKey != "" {
			cfg.Users.Keys[i].PublicKey = filepath.Join(users.Dir, key.PublicKey)
		}
	}
	a = mustNew(t, cfg, auth.Options{})
	s, err := a.Authenticate(withCert(request("Authorization", "Bearer "+sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "dashboard", userClaims())), byCN))
	if err != nil || s.Kind != auth.KindUser {
		t.Errorf("user over a partner certificate: %+v %v", s, err)
	}
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{x}))
	}
	return strings.Join(parts, ":")
}

func TestMiddleware(t *testing.T) {
	k, _ := auth.NewAPIKey()
	a := mustNew(t, partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k.ID, SHA256: k.Hash()}}}), auth.Options{})
	var gotErr error
	onError := func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		var ae *auth.Error
		if errors.As(err, &ae) {
			if c := ae.Challenge(); c != "" {
				w.Header().Set("WWW-Authenticate", c)
			}
			w.WriteHeader(ae.Status())
		}
	}
	h := a.Middleware(onError)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := auth.SubjectFrom(r.Context())
		if !ok {
			t.Error("no subject in the context")
		}
		if err := auth.RequirePartner(s, r.PathValue("partner")); err != nil {
			onError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux := http.NewServeMux()
	mux.Handle("/v1/partners/{partner}/documents", h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, requestTo("/v1/partners/ggz-oost/documents", "X-API-Key", k.String()))
	if rec.Code != http.StatusNoContent || gotErr != nil {
		t.Fatalf("own partner: %d %v", rec.Code, gotErr)
	}

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, requestTo("/v1/partners/opvang-zuid/documents", "X-API-Key", k.String()))
	if rec.Code != http.StatusForbidden || auth.CodeOf(gotErr) != auth.CodeForbidden {
		t.Fatalf("other partner: %d %v", rec.Code, gotErr)
	}

	gotErr = nil
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, requestTo("/v1/partners/ggz-oost/documents"))
	if rec.Code != http.StatusUnauthorized || auth.CodeOf(gotErr) != auth.CodeMissing || rec.Header().Get("WWW-Authenticate") != `Bearer realm="ketenhub"` {
		t.Fatalf("no credential: %d %v %q", rec.Code, gotErr, rec.Header().Get("WWW-Authenticate"))
	}
	// The hub's problem writer finds its own error type with the right code.
	var he *hub.Error
	if !errors.As(gotErr, &he) || he.Code != hub.EUNAUTHORIZED || he.Message == "" {
		t.Errorf("hub.Error from %v: %+v", gotErr, he)
	}
	if _, ok := auth.SubjectFrom(httptest.NewRequest(http.MethodGet, "/", nil).Context()); ok {
		t.Error("a subject in a fresh context")
	}
}

// requestTo returns a GET request for path with the given headers.
func requestTo(path string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func TestRequirePartner(t *testing.T) {
	p := auth.Subject{Kind: auth.KindPartner, ID: "ggz-oost"}
	u := auth.Subject{Kind: auth.KindUser, ID: "ggz-oost"}
	if err := auth.RequirePartner(p, "ggz-oost"); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		s       auth.Subject
		partner string
	}{{p, "opvang-zuid"}, {p, ""}, {u, "ggz-oost"}, {auth.Subject{}, ""}} {
		if err := auth.RequirePartner(c.s, c.partner); auth.CodeOf(err) != auth.CodeForbidden {
			t.Errorf("%+v on %q: %v", c.s, c.partner, err)
		}
	}
}
