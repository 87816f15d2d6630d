package pipeline

import (
	"crypto/sha256"
	"errors"
	"hash"
)

// errNotObject is returned for a record that is not a JSON object.
var errNotObject = errors.New("record is not a JSON object")

// recordFacts are what the decode stage reads from a record's JSON without
// parsing it into values.
type recordFacts struct {
	hash         []byte // first 16 bytes of SHA-256 over the record without its volatile members
	operation    []byte // raw string content of "operation", nil when absent
	registeredAt []byte // raw string content of "registered_at", nil when absent
}

// volatileMembers do not count for a record's content: a nightly export
// stamps them anew without anything having changed.
var volatileMembers = map[string]bool{"registered_at": true, "operation": true}

// scanRecord walks the top level of a JSON object once, hashing every
// member except the volatile ones and picking out the volatile ones' string
// values. It does not validate the JSON beyond what it needs to find the
// members; records whose hash does not match a stored one are validated in
// full. Two serialisations of the same content may hash differently (member
// order, escapes); that only makes a record count as changed, never an
// actual change count as unchanged.
func scanRecord(b []byte) (recordFacts, error) {
	var f recordFacts
	h := sha256.New()
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return f, errNotObject
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return f, errNotObject
		}
		if b[i] == '}' {
			break
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != '"' {
			return f, errNotObject
		}
		keyEnd, err := stringEnd(b, i)
		if err != nil {
			return f, err
		}
		key := b[i+1 : keyEnd-1]
		j := skipSpace(b, keyEnd)
		if j >= len(b) || b[j] != ':' {
			return f, errNotObject
		}
		valStart := skipSpace(b, j+1)
		valEnd, err := valueEnd(b, valStart)
		if err != nil {
			return f, err
		}
		if volatileMembers[string(key)] {
			val := b[valStart:valEnd]
			if len(val) >= 2 && val[0] == '"' {
				val = val[1 : len(val)-1]
			}
			if string(key) == "operation" {
				f.operation = val
			} else {
				f.registeredAt = val
			}
		} else {
			writeMember(h, b[i:keyEnd], b[valStart:valEnd])
		}
		i = valEnd
	}
	f.hash = h.Sum(nil)[:16]
	return f, nil
}

func writeMember(h hash.Hash, key, val []byte) {
	h.Write(key)
	h.Write([]byte{':'})
	h.Write(val)
	h.Write([]byte{','})
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errNotObject
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errNotObject
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotObject
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, errNotObject
		}
		return j, nil
	}
}
