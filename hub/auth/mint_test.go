package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/auth"
)

func TestSignHMAC(t *testing.T) {
	cfg := auth.Config{Users: auth.UsersConfig{Audience: "ketenhub", Keys: []auth.KeyConfig{
		{ID: "idp", Alg: "RS256", PublicKey: "x.pem"},
		{ID: "demo", Alg: "HS256", SecretEnv: "DEMO_SECRET"},
	}}}
	getenv := env(map[string]string{"DEMO_SECRET": hsSecret})
	k, secret, err := cfg.HMACKey("", getenv)
	if err != nil || k.ID != "demo" || string(secret) != hsSecret {
		t.Fatalf("HMACKey: %+v %v", k, err)
	}
	if _, _, err := cfg.HMACKey("idp", getenv); err == nil {
		t.Error("an RSA key was given as HMAC key")
	}
	if _, _, err := cfg.HMACKey("", env(nil)); err == nil || strings.Contains(err.Error(), hsSecret) {
		t.Errorf("unset secret: %v", err)
	}
	tok, err := auth.SignHMAC(k, secret, auth.TokenClaims{User: "u-1", Organisation: "opvang-zuid", Role: "opvang-medewerker",
		ActingFor: "u-2", Audience: "ketenhub", TTL: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	a := mustNew(t, auth.Config{Users: auth.UsersConfig{Audience: "ketenhub", Keys: []auth.KeyConfig{{ID: "demo", Alg: "HS256", SecretEnv: "DEMO_SECRET"}}}},
		auth.Options{Getenv: getenv, Now: func() time.Time { return now.Add(time.Minute) }})
	s, err := a.Authenticate(request("Authorization", "Bearer "+tok))
	if err != nil || s.ID != "u-1" || s.Organisation != "opvang-zuid" || s.Role != "opvang-medewerker" || s.ActingFor != "u-2" ||
		s.Credential != "demo" || !s.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("subject %+v, %v", s, err)
	}
	for _, c := range []auth.TokenClaims{{Organisation: "o", Role: "r", TTL: time.Hour}, {User: "u", Role: "r", TTL: time.Hour},
		{User: "u", Organisation: "o", TTL: time.Hour}, {User: "u", Organisation: "o", Role: "r"}} {
		if _, err := auth.SignHMAC(k, secret, c, now); err == nil {
			t.Errorf("signed %+v", c)
		}
	}
}
