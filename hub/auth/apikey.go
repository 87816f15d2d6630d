package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// APIKeyPrefix starts every partner API key.
const APIKeyPrefix = "khp_"

var (
	apiKeyIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)
	apiKeyPattern   = regexp.MustCompile(`^khp_([0-9a-f]{16})_[0-9a-f]{64}$`)
)

// APIKey is a partner system's API key: khp_<id>_<secret>, with a visible
// 16-hex-digit id (8 random bytes) to find the key's hash in one map lookup,
// and a 64-hex-digit secret (32 random bytes).
//
// The hub stores only SHA-256 over the whole key, not a slow password hash
// (argon2id, bcrypt): those protect secrets that people choose, which are
// guessable; a 256-bit random secret cannot be guessed, so a leaked hash
// cannot be reversed either way, and a fast hash keeps every request cheap
// and gives no handle for exhausting the hub's CPU or memory with bad keys.
// The hashes are compared in constant time.
type APIKey struct {
	ID     string
	Secret string
}

// NewAPIKey generates a key from crypto/rand. It returns an error only when
// the system's random source fails.
func NewAPIKey() (APIKey, error) {
	var b [8 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return APIKey{}, fmt.Errorf("generate API key: %w", err)
	}
	return APIKey{ID: hex.EncodeToString(b[:8]), Secret: hex.EncodeToString(b[8:])}, nil
}

// String returns the key as the partner sends it: khp_<id>_<secret>.
func (k APIKey) String() string { return APIKeyPrefix + k.ID + "_" + k.Secret }

// Hash returns the SHA-256 of the whole key in hex, for the configuration.
func (k APIKey) Hash() string { return HashAPIKey(k.String()) }

// HashAPIKey returns the SHA-256 of key in lowercase hex.
func HashAPIKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// errKeyForm is the cause of a key that is not of the form khp_<id>_<secret>.
var errKeyForm = errors.New("not of the form khp_<16 hex>_<64 hex>")

// apiKeyEntry is one configured key.
type apiKeyEntry struct {
	partner string
	hash    [32]byte
	expires time.Time // the first moment the key is no longer accepted; zero for never
}

// apiKeys verifies partner API keys against their configured hashes.
type apiKeys struct {
	byID  map[string]apiKeyEntry
	dummy [32]byte // compared when the id is unknown, to take the same time
}

func newAPIKeys(partners map[string]PartnerConfig) *apiKeys {
	k := &apiKeys{byID: map[string]apiKeyEntry{}}
	for id, p := range partners {
		for _, c := range p.APIKeys {
			e := apiKeyEntry{partner: id}
			h, _ := hex.DecodeString(strings.ToLower(c.SHA256)) // Validate checked the form
			copy(e.hash[:], h)
			if c.Expires != "" {
				day, _ := time.Parse(time.DateOnly, c.Expires)
				e.expires = day.AddDate(0, 0, 1)
			}
			k.byID[c.ID] = e
		}
	}
	return k
}

// verify returns the partner and key id of key, or an *Error: CodeInvalid
// for a key of the wrong form, an unknown id or a wrong secret (the same
// message for all three), CodeExpired after the key's last day.
func (k *apiKeys) verify(key string, now time.Time) (partner, id string, err error) {
	m := apiKeyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", "", newError(CodeInvalid, "De API-sleutel is ongeldig.", errKeyForm)
	}
	id = m[1]
	e, known := k.byID[id]
	want := k.dummy
	if known {
		want = e.hash
	}
	got := sha256.Sum256([]byte(key))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if !known || !match {
		return "", "", newError(CodeInvalid, "De API-sleutel is ongeldig.", fmt.Errorf("api key %s: unknown id or wrong secret", id))
	}
	if !e.expires.IsZero() && !now.Before(e.expires) {
		return "", "", newError(CodeExpired, "De API-sleutel is verlopen; vraag de beheerder van de hub om een nieuwe.", fmt.Errorf("api key %s expired", id))
	}
	return e.partner, id, nil
}
