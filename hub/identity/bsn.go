// Package identity recognises clients across partner registrations
// (cliëntherkenning): it checks BSNs, normalises the identity fields of an
// sdk.Client, derives blocking keys, compares two normalised identities
// with explainable per-field weights, and resolves a registration against
// the chain clients of its candidates (Resolve).
//
// The package is pure: no database, no logging. It never puts a BSN or a name
// in an error string.
package identity

import "strings"

// CheckBSN cleans s (spaces, dots and hyphens are removed) and applies the
// elfproef: nine digits d1..d9 with 9·d1+8·d2+…+2·d8−1·d9 divisible by 11,
// and not all zeros. A legacy eight-digit number gets a leading zero. It
// returns the nine-digit BSN and true, or "" and false when s is not a valid
// BSN. An invalid BSN must never be used as an identity.
func CheckBSN(s string) (bsn string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '\t':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) == 8 {
		d = "0" + d
	}
	if len(d) != 9 {
		return "", false
	}
	sum, zero := 0, true
	for i := 0; i < 9; i++ {
		v := int(d[i] - '0')
		if v != 0 {
			zero = false
		}
		if i == 8 {
			sum -= v
		} else {
			sum += (9 - i) * v
		}
	}
	if zero || sum%11 != 0 {
		return "", false
	}
	return d, true
}
