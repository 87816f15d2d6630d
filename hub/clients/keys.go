package clients

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv names the environment variable that may hold the identity key:
// 32 random bytes, base64-encoded.
const KeyEnv = "KETENHUB_IDENTITY_KEY"

// Keys protect the identity data: BSNs are stored encrypted (AES-256-GCM),
// looked up by a keyed hash (HMAC-SHA-256), and blocking keys are indexed as
// keyed 64-bit hashes, so that neither table nor index shows a BSN or name in
// readable form. All three keys derive from one master key (HKDF-SHA-256).
type Keys struct {
	bsnHash []byte
	block   []byte
	aead    cipher.AEAD
}

// NewKeys derives the keys from a master key of at least 32 bytes.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) < 32 {
		return nil, fmt.Errorf("identity key: %d bytes, need at least 32", len(master))
	}
	derive := func(label string) ([]byte, error) {
		return hkdf.Key(sha256.New, master, nil, "ketenhub identity "+label, 32)
	}
	k := &Keys{}
	var err error
	if k.bsnHash, err = derive("bsn-hash"); err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	if k.block, err = derive("block"); err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	enc, err := derive("bsn-encryption")
	if err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	c, err := aes.NewCipher(enc)
	if err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(c); err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	return k, nil
}

// LoadKeys reads the master key from KETENHUB_IDENTITY_KEY, or else from the
// file path, which it creates with a new random key (mode 0600) when it does
// not exist. Losing the key makes the stored BSNs unreadable: back it up.
func LoadKeys(path string) (*Keys, error) {
	if v := strings.TrimSpace(os.Getenv(KeyEnv)); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%s is not base64: %w", KeyEnv, err)
		}
		return NewKeys(b)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("create identity key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create identity key: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(b) + "\n"
		if err := os.WriteFile(path, []byte(enc), 0o600); err != nil {
			return nil, fmt.Errorf("create identity key: %w", err)
		}
		return NewKeys(b)
	}
	if err != nil {
		return nil, fmt.Errorf("read identity key: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("identity key %s is not base64: %w", path, err)
	}
	return NewKeys(raw)
}

// HashBSN returns the keyed hash under which a valid BSN is looked up.
func (k *Keys) HashBSN(bsn string) []byte {
	m := hmac.New(sha256.New, k.bsnHash)
	m.Write([]byte(bsn))
	return m.Sum(nil)
}

// Block returns the keyed 64-bit hash of a blocking key.
func (k *Keys) Block(key string) int64 {
	m := hmac.New(sha256.New, k.block)
	m.Write([]byte(key))
	return int64(binary.BigEndian.Uint64(m.Sum(nil)))
}

// EncryptBSN encrypts a BSN as delivered (nonce ‖ ciphertext).
func (k *Keys) EncryptBSN(bsn string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("identity: no randomness: %v", err)) // crypto/rand never fails on supported systems
	}
	return k.aead.Seal(nonce, nonce, []byte(bsn), []byte("bsn"))
}

// DecryptBSN decrypts what EncryptBSN returned.
func (k *Keys) DecryptBSN(b []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(b) < n {
		return "", errors.New("decrypt BSN: too short")
	}
	p, err := k.aead.Open(nil, b[:n], b[n:], []byte("bsn"))
	if err != nil {
		return "", fmt.Errorf("decrypt BSN: %w", err)
	}
	return string(p), nil
}
