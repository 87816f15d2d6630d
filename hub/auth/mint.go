package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenClaims are what a user's token says (see the package comment).
type TokenClaims struct {
	// User is the user id (sub), a pseudonymous employee id.
	User string
	// Organisation is the partner id of the user's organisation (org).
	Organisation string
	// Role is a role of roles.yaml (role).
	Role string
	// ActingFor is the responsible user the user acts for (act_for); optional.
	ActingFor string
	// Issuer and Audience are written when not empty (iss, aud).
	Issuer   string
	Audience string
	// TTL is how long the token is valid (exp = now + TTL).
	TTL time.Duration
}

// HMACKey returns the configured HMAC key with id (the first HMAC key when
// id is ""), with its secret read through getenv. Production tokens come
// from the organisations' login systems; an HMAC key is for the example
// region, tests and demonstrations. It returns an error naming the key
// when there is none or its secret is unusable, never the secret.
func (c *Config) HMACKey(id string, getenv func(string) string) (KeyConfig, []byte, error) {
	for _, k := range c.Users.Keys {
		if !algs[k.Alg] || (id != "" && k.ID != id) {
			continue
		}
		secret, err := loadKey(c, k, getenv)
		if err != nil {
			return k, nil, err
		}
		return k, secret.([]byte), nil
	}
	if id != "" {
		return KeyConfig{}, nil, fmt.Errorf("geen HMAC-sleutel met id %q in de configuratie", id)
	}
	return KeyConfig{}, nil, errors.New("de configuratie heeft geen HMAC-sleutel (HS256, HS384 of HS512) onder users.keys")
}

// SignHMAC returns a user token with the claims c, signed with an HMAC key
// (its alg and id from k, the secret given), issued at now. It returns an
// error when a required claim is missing or the key is not an HMAC key.
func SignHMAC(k KeyConfig, secret []byte, c TokenClaims, now time.Time) (string, error) {
	if !algs[k.Alg] {
		return "", fmt.Errorf("sign token: %q is not an HMAC algorithm", k.Alg)
	}
	for _, f := range []struct{ name, v string }{{"sub", c.User}, {"org", c.Organisation}, {"role", c.Role}} {
		if strings.TrimSpace(f.v) == "" {
			return "", fmt.Errorf("sign token: claim %s is required", f.name)
		}
	}
	if c.TTL <= 0 {
		return "", errors.New("sign token: the validity (TTL) must be positive")
	}
	claims := userClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: c.User, Issuer: c.Issuer,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(c.TTL))},
		Org: c.Organisation, Role: c.Role, ActFor: c.ActingFor}
	if c.Audience != "" {
		claims.Audience = jwt.ClaimStrings{c.Audience}
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), claims)
	if k.ID != "" {
		tok.Header["kid"] = k.ID
	}
	s, err := tok.SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
