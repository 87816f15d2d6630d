package hub

import "strings"

// SafeFileName turns a name a partner chose (a dropped file's name, or one
// given over HTTP) into a plain file name: no directories, no leading dots,
// only letters, digits, '.', '-' and '_', at most 120 bytes. It never
// returns "" (an unusable name becomes "document").
func SafeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > 120 {
		s = s[:120]
	}
	if s == "" {
		return "document"
	}
	return s
}
