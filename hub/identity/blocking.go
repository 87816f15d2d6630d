package identity

import "fmt"

// BlockingKeys returns the keys under which a registration is indexed; only
// registrations that share at least one key are compared. Each key is
// selective enough to keep blocks small at a million registrations, and the
// set is redundant so that an error in one field still leaves a shared key:
//
//	bsn:<bsn>                     a valid BSN
//	sy:<surname part>|<year>      each own or partner surname part with the birth
//	                              year: survives errors in day, month, given names,
//	                              double and married names
//	sm:<surname part>|<mmdd>      each part with birth month and day: survives an
//	                              error in the birth year
//	di:<yyyymmdd>|<first initial> full birth date with the first initial: survives
//	                              surname typos and married names
//	di:<yyyyddmm>|<first initial> the same with day and month swapped (day ≤ 12),
//	                              so that a swapped registration shares a key
//	si:<surname part>|<first initial> for registrations with an unknown or wrong
//	                              birth date; a large block for common names,
//	                              which the caller may skip above a size limit
//	sk:<skeleton>|<first initial> the consonant skeleton of each part (see
//	                              skeleton) with the first initial: survives a
//	                              surname typo together with a date error
//
// Keys carry no BSN or name in readable form beyond what the index needs; they
// must not be logged.
func BlockingKeys(n Normalised) []string {
	keys := make([]string, 0, 8)
	if n.BSN != "" {
		keys = append(keys, "bsn:"+n.BSN)
	}
	first := ""
	if n.Initials != "" {
		first = n.Initials[:1]
	}
	for _, p := range n.nameParts() {
		if len(p) < 2 {
			continue
		}
		if n.Year > 0 {
			keys = append(keys, fmt.Sprintf("sy:%s|%04d", p, n.Year))
		}
		if n.Month > 0 && n.Day > 0 {
			keys = append(keys, fmt.Sprintf("sm:%s|%02d%02d", p, n.Month, n.Day))
		}
		if first != "" {
			keys = append(keys, "si:"+p+"|"+first)
			if sk := skeleton(p); len(sk) >= 3 {
				keys = append(keys, "sk:"+sk+"|"+first)
			}
		}
	}
	if n.FullDate() && first != "" {
		keys = append(keys, fmt.Sprintf("di:%04d%02d%02d|%s", n.Year, n.Month, n.Day, first))
		if n.Day <= 12 && n.Day != n.Month {
			keys = append(keys, fmt.Sprintf("di:%04d%02d%02d|%s", n.Year, n.Day, n.Month, first))
		}
	}
	return dedupe(keys)
}

// skeleton is the consonant skeleton of a surname key: vowels dropped and
// doubled letters written once, so that most one-letter typos (Heijdden,
// Verrhoeven, Groto) keep the skeleton of the name (hdn, vrhvn, grt).
func skeleton(k string) string {
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch c {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			continue
		}
		if len(b) > 0 && b[len(b)-1] == c {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func dedupe(keys []string) []string {
	out := keys[:0]
	for i, k := range keys {
		if !contains(keys[:i], k) {
			out = append(out, k)
		}
	}
	return out
}
