// Package jsonscan finds where the parts of a JSON text end, without
// parsing them into values: enough to pick out or hash the members of an
// object in place (hub/clients, hub/pipeline). It does not validate what it
// skips; a caller that needs valid JSON checks it elsewhere.
package jsonscan

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space, or len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// StringEnd returns the index just past the string that starts at
// b[i] == '"', and false when the string does not end.
func StringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// ValueEnd returns the index just past the value of an object member that
// starts at b[i], and false when there is none. An object or array ends at
// its matching bracket (brackets inside strings do not count); a number,
// true, false or null at the next ',', '}' or white space, the bytes that
// may follow a member's value.
func ValueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return StringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := StringEnd(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, false
		}
		return j, true
	}
}
