package pipeline

import (
	"crypto/sha256"
	"errors"
	"hash"

	"github.com/ketenhub/ketenhub/hub/internal/jsonscan"
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
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return f, errNotObject
	}
	i++
	for {
		i = jsonscan.SkipSpace(b, i)
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
		keyEnd, ok := jsonscan.StringEnd(b, i)
		if !ok {
			return f, errNotObject
		}
		key := b[i+1 : keyEnd-1]
		j := jsonscan.SkipSpace(b, keyEnd)
		if j >= len(b) || b[j] != ':' {
			return f, errNotObject
		}
		valStart := jsonscan.SkipSpace(b, j+1)
		valEnd, ok := jsonscan.ValueEnd(b, valStart)
		if !ok {
			return f, errNotObject
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
