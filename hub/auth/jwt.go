package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ketenhub/ketenhub/hub/config"
)

// maxTokenBytes bounds a JWT; larger ones are refused before parsing.
const maxTokenBytes = 8 << 10

// minSecretBytes is the least HMAC secret length (RFC 7518: at least the
// hash size; 32 bytes for HS256).
const minSecretBytes = 32

// userClaims are the claims of a user's token.
type userClaims struct {
	jwt.RegisteredClaims
	Org    string `json:"org"`
	Role   string `json:"role"`
	ActFor string `json:"act_for"`
}

// verifyKey is one configured key, bound to one algorithm.
type verifyKey struct {
	id  string
	alg string
	key any // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// userTokens verifies users' JWTs.
type userTokens struct {
	parser *jwt.Parser
	keys   []verifyKey
}

// newUserTokens loads the keys of c (secrets from getenv, public keys from
// PEM files) and prepares the parser: only the configured algorithms, exp
// required, iat not in the future, iss and aud when configured, skew as
// leeway.
func newUserTokens(c *Config, getenv func(string) string, now func() time.Time) (*userTokens, error) {
	var errs config.Errors
	u := &userTokens{}
	var methods []string
	for i, k := range c.Users.Keys {
		f := fmt.Sprintf("users.keys[%d]", i)
		key, err := loadKey(c, k, getenv)
		if err != nil {
			field := f + ".public_key"
			if algs[k.Alg] {
				field = f + ".secret_env"
			}
			errs = append(errs, config.Error{Field: field, Code: CodeKey, Message: err.Error()})
			continue
		}
		u.keys = append(u.keys, verifyKey{id: k.ID, alg: k.Alg, key: key})
		if !slices.Contains(methods, k.Alg) {
			methods = append(methods, k.Alg)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	skew := DefaultClockSkew
	if c.Users.ClockSkew != "" {
		skew, _ = time.ParseDuration(c.Users.ClockSkew) // Validate checked it
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods), jwt.WithLeeway(skew), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(now), jwt.WithStrictDecoding(),
	}
	if c.Users.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Users.Issuer))
	}
	if c.Users.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Users.Audience))
	}
	u.parser = jwt.NewParser(opts...)
	return u, nil
}

// loadKey reads a key's secret or public key. The messages are Dutch and
// never contain the secret.
func loadKey(c *Config, k KeyConfig, getenv func(string) string) (any, error) {
	if algs[k.Alg] {
		secret := getenv(k.SecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("de omgevingsvariabele %s met het geheim voor %s is niet gezet", k.SecretEnv, k.Alg)
		}
		if len(secret) < minSecretBytes {
			return nil, fmt.Errorf("het geheim in %s is korter dan %d bytes; gebruik een willekeurig geheim van minstens %d bytes", k.SecretEnv, minSecretBytes, minSecretBytes)
		}
		return []byte(secret), nil
	}
	data, err := os.ReadFile(c.path(k.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("het sleutelbestand %s kan niet worden gelezen: %s", k.PublicKey, readReason(err))
	}
	var key any
	var want string
	switch {
	case strings.HasPrefix(k.Alg, "RS") || strings.HasPrefix(k.Alg, "PS"):
		want = "RSA"
		var rk *rsa.PublicKey
		if rk, err = jwt.ParseRSAPublicKeyFromPEM(data); err == nil && rk.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%s: de RSA-sleutel is korter dan 2048 bits", k.PublicKey)
		}
		key = rk
	case k.Alg == "ES256":
		want = "ECDSA P-256"
		var ek *ecdsa.PublicKey
		if ek, err = jwt.ParseECPublicKeyFromPEM(data); err == nil && ek.Curve.Params().BitSize != 256 {
			return nil, fmt.Errorf("%s: ES256 vraagt een P-256-sleutel", k.PublicKey)
		}
		key = ek
	case k.Alg == "EdDSA":
		want = "Ed25519"
		var ed crypto.PublicKey
		ed, err = jwt.ParseEdPublicKeyFromPEM(data)
		key = ed
	}
	if err != nil {
		return nil, fmt.Errorf("%s bevat geen publieke %s-sleutel in PEM", k.PublicKey, want)
	}
	return key, nil
}

// readReason says in Dutch why a file cannot be read.
func readReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "bestaat niet"
	case errors.Is(err, fs.ErrPermission):
		return "geen leesrechten"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// keyFor picks the keys for a token: those of its algorithm, and of its kid
// when it has one and a key has that id. A key never verifies a token of
// another algorithm, which rules out HS/RS confusion.
func (u *userTokens) keyFor(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	kid, _ := t.Header["kid"].(string)
	var exact, anyID []any
	for _, k := range u.keys {
		if k.alg != alg {
			continue
		}
		if kid != "" && k.id == kid {
			exact = append(exact, k.key)
		}
		if k.id == "" || kid == "" {
			anyID = append(anyID, k.key)
		}
	}
	keys := exact
	if len(keys) == 0 {
		keys = anyID
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("no %s key with kid %q", alg, kid)
	case 1:
		return keys[0], nil
	}
	set := jwt.VerificationKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k)
	}
	return set, nil
}

// verify checks a user's token and returns its Subject, or an *Error.
func (u *userTokens) verify(raw string) (Subject, error) {
	if len(raw) > maxTokenBytes {
		return Subject{}, newError(CodeInvalid, "Het token is te groot.", nil)
	}
	var c userClaims
	t, err := u.parser.ParseWithClaims(raw, &c, u.keyFor)
	if err != nil {
		return Subject{}, tokenError(err)
	}
	for _, claim := range []struct{ name, v string }{{"sub", c.Subject}, {"org", c.Org}, {"role", c.Role}} {
		if strings.TrimSpace(claim.v) == "" {
			return Subject{}, newError(CodeInvalid, fmt.Sprintf("Het token mist de verplichte claim %s.", claim.name),
				fmt.Errorf("claim %s missing", claim.name))
		}
		if len(claim.v) > 256 {
			return Subject{}, newError(CodeInvalid, fmt.Sprintf("De claim %s in het token is te lang.", claim.name), nil)
		}
	}
	s := Subject{Kind: KindUser, ID: c.Subject, Organisation: c.Org, Role: c.Role, Method: MethodJWT}
	if c.ActFor != c.Subject {
		s.ActingFor = c.ActFor
	}
	if kid, ok := t.Header["kid"].(string); ok {
		s.Credential = kid
	}
	if c.ExpiresAt != nil {
		s.ExpiresAt = c.ExpiresAt.Time
	}
	return s, nil
}

// tokenError maps a jwt error to an *Error with a Dutch message.
func tokenError(err error) *Error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return newError(CodeExpired, "Het token is verlopen; meld u opnieuw aan.", err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return newError(CodeInvalid, "Het token is geen geldig JWT.", err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return newError(CodeInvalid, "Het token is ondertekend met een sleutel of methode die de hub niet kent.", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		return newError(CodeInvalid, "Het token is ondertekend met een methode (alg) die de hub niet accepteert.", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return newError(CodeInvalid, "De ondertekening van het token klopt niet.", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		claim := "exp"
		if strings.Contains(err.Error(), "aud claim") {
			claim = "aud"
		}
		return newError(CodeInvalid, "Het token mist de verplichte claim "+claim+".", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return newError(CodeInvalid, "Het token is niet voor deze hub bedoeld (aud).", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return newError(CodeInvalid, "Het token komt niet van de ingestelde uitgever (iss).", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return newError(CodeInvalid, "Het token is nog niet geldig; controleer de klok.", err)
	}
	return newError(CodeInvalid, "Het token is ongeldig.", err)
}
