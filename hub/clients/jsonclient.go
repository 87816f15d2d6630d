package clients

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ketenhub/ketenhub/hub/internal/jsonscan"
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
	if j := jsonscan.SkipSpace(data, start+1); j < end && data[j] != '}' {
		out = append(out, ',')
	}
	out = append(out, data[start+1:]...)
	return out
}

// memberValue returns the span of the value of a top-level member of a JSON
// object, or -1 when the object has no such member.
func memberValue(b []byte, name string) (int, int, error) {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return -1, -1, errBadJSON
	}
	i++
	for {
		i = jsonscan.SkipSpace(b, i)
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
		keyEnd, ok := jsonscan.StringEnd(b, i)
		if !ok {
			return -1, -1, errBadJSON
		}
		key := b[i+1 : keyEnd-1]
		i = jsonscan.SkipSpace(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return -1, -1, errBadJSON
		}
		start := jsonscan.SkipSpace(b, i+1)
		end, ok := jsonscan.ValueEnd(b, start)
		if !ok {
			return -1, -1, errBadJSON
		}
		if string(key) == name {
			return start, end, nil
		}
		i = end
	}
}
