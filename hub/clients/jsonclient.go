package clients

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errBadJSON is returned for a record that is not a well-formed JSON object.
var errBadJSON = errors.New("record is not a well-formed JSON object")

// SplitClient reads the client part of a shared-schema registration and
// returns it with the registration without its BSN: the hub keeps the BSN
// only encrypted, next to the link (registration_identity), and puts it back
// with InsertBSN when a reader may see it. A registration without a client
// part comes back unchanged.
func SplitClient(data []byte) (sdk.Client, []byte, error) {
	var c sdk.Client
	start, end, err := memberValue(data, "client")
	if err != nil || start < 0 {
		return c, data, err
	}
	if err := json.Unmarshal(data[start:end], &c); err != nil {
		return c, data, fmt.Errorf("read client: %w", err)
	}
	if c.BSN == "" {
		return c, data, nil
	}
	noBSN := c
	noBSN.BSN = ""
	enc, err := json.Marshal(noBSN)
	if err != nil {
		return c, data, fmt.Errorf("write client: %w", err)
	}
	out := make([]byte, 0, len(data))
	out = append(out, data[:start]...)
	out = append(out, enc...)
	out = append(out, data[end:]...)
	return c, out, nil
}

// InsertBSN puts a BSN back as the first member of the registration's client
// part (where json encoding of sdk.Client puts it). It returns data unchanged
// when bsn is empty or the registration has no client part.
func InsertBSN(data []byte, bsn string) []byte {
	if bsn == "" {
		return data
	}
	start, end, err := memberValue(data, "client")
	if err != nil || start < 0 || data[start] != '{' {
		return data
	}
	member, _ := json.Marshal(bsn)
	out := make([]byte, 0, len(data)+len(member)+8)
	out = append(out, data[:start+1]...)
	out = append(out, `"bsn":`...)
	out = append(out, member...)
	if j := skipWS(data, start+1); j < end && data[j] != '}' {
		out = append(out, ',')
	}
	out = append(out, data[start+1:]...)
	return out
}

// memberValue returns the span of the value of a top-level member of a JSON
// object, or -1 when the object has no such member.
func memberValue(b []byte, name string) (int, int, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return -1, -1, errBadJSON
	}
	i++
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return -1, -1, errBadJSON
		}
		switch b[i] {
		case '}':
			return -1, -1, nil
		case ',':
			i++
			continue
		case '"':
		default:
			return -1, -1, errBadJSON
		}
		keyEnd, err := skipString(b, i)
		if err != nil {
			return -1, -1, err
		}
		key := b[i+1 : keyEnd-1]
		i = skipWS(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return -1, -1, errBadJSON
		}
		start := skipWS(b, i+1)
		end, err := skipValue(b, start)
		if err != nil {
			return -1, -1, err
		}
		if string(key) == name {
			return start, end, nil
		}
		i = end
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return -1, errBadJSON
}

// skipValue returns the index after the JSON value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return -1, errBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return -1, err
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
		return -1, errBadJSON
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return -1, errBadJSON
		}
		return j, nil
	}
}
