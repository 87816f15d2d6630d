package pluginhost

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrChecksumMismatch is wrapped by the error of VerifyChecksum, and of a
// Host's start, when an adapter binary's sha256 differs from the pinned one.
var ErrChecksumMismatch = errors.New("sha256 mismatch")

// decodeSHA256 parses a hex sha256 as written in the adapter catalog.
func decodeSHA256(s string) ([]byte, error) {
	sum, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid sha256 %q: %w", s, err)
	}
	if len(sum) != sha256.Size {
		return nil, fmt.Errorf("invalid sha256 %q: %d bytes, want %d", s, len(sum), sha256.Size)
	}
	return sum, nil
}

// fileSHA256 returns the sha256 of the file at path.
func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// VerifyChecksum checks that the file at path has the sha256 given in hex
// (either case). The error names the binary; it wraps ErrChecksumMismatch
// when the sums differ, and the os error when the file cannot be read.
func VerifyChecksum(path, want string) error {
	wantSum, err := decodeSHA256(want)
	if err != nil {
		return fmt.Errorf("verify adapter binary %s: %w", path, err)
	}
	got, err := fileSHA256(path)
	if err != nil {
		return fmt.Errorf("verify adapter binary %s: %w", path, err)
	}
	if subtle.ConstantTimeCompare(got, wantSum) != 1 {
		return fmt.Errorf("verify adapter binary %s: %w: file has %x, catalog pins %x", path, ErrChecksumMismatch, got, wantSum)
	}
	return nil
}
