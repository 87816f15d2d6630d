package route

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ketenhub/ketenhub/hub/policy"
)

// bsnField is the field of the BSN, which the store keeps apart (encrypted).
const bsnField = "client.bsn"

// deliveryView is what a recipient gets of one registration: the
// registration with only the fields the decision shows and the operation
// the recipient is to apply, the encrypted BSN when the recipient may see
// it, and a hash of the view without the operation and registered_at.
type deliveryView struct {
	payload []byte
	bsnEnc  []byte
	hash    []byte
}

// view makes the deliveryView of a stored registration (data, without its
// BSN; bsnEnc its encrypted BSN or nil) for an allowing decision d. The
// hash covers the BSN by its keyed hash, never in the clear, so that the
// hash cannot be reversed into a BSN by trying them all.
func view(data []byte, op string, d policy.Decision, bsnEnc []byte, keys BSNKeys) (deliveryView, error) {
	m, err := decodeObject(data)
	if err != nil {
		return deliveryView{}, err
	}
	f := policy.FilterValue(m, d.Classes)
	delete(f, "operation")
	// Like the store's content hash, the view's leaves out registered_at,
	// which moves with every export without meaning anything.
	at, hasAt := f["registered_at"]
	delete(f, "registered_at")
	forHash, err := marshal(f)
	if err != nil {
		return deliveryView{}, err
	}
	if hasAt {
		f["registered_at"] = at
	}
	h := sha256.New()
	h.Write([]byte("ketenhub-view-v1\x00"))
	h.Write(forHash)
	var v deliveryView
	if len(bsnEnc) > 0 && slices.Contains(d.Fields, bsnField) {
		bsn, err := keys.DecryptBSN(bsnEnc)
		if err != nil {
			return deliveryView{}, fmt.Errorf("read the encrypted BSN: %w", err)
		}
		if bsn != "" {
			h.Write([]byte{0})
			h.Write(keys.HashBSN(bsn))
			v.bsnEnc = bsnEnc
		}
	}
	v.hash = h.Sum(nil)
	if _, ok := m["operation"]; ok && slices.Contains(d.Classes, policy.Chain) {
		f["operation"] = op
	}
	if v.payload, err = marshal(f); err != nil {
		return deliveryView{}, err
	}
	return v, nil
}

// deliveryID is the stable id of a delivery: a hash of the recipient, the
// source partner, the record key, the operation, the view's hash and the
// id of the recipient's previous delivery of the record. The same view
// after the same history always gets the same id; a record that returns
// to an earlier view gets a new one, because its history differs.
func deliveryID(recipient, source, recordKey, op string, viewHash []byte, prevID string) string {
	h := sha256.New()
	for _, s := range []string{"ketenhub-delivery-v1", recipient, source, recordKey, op, hex.EncodeToString(viewHash), prevID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "dlv_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// sendable is the registration as sent: the stored view narrowed to the
// classes of the decision taken just before sending (which may show less
// than the one that routed it) and the BSN put back when that decision
// shows it.
func sendable(payload []byte, bsnEnc []byte, d policy.Decision, keys BSNKeys) (json.RawMessage, error) {
	m, err := decodeObject(payload)
	if err != nil {
		return nil, err
	}
	f := policy.FilterValue(m, d.Classes)
	if op, ok := m["operation"]; ok {
		f["operation"] = op // the operation is the delivery's, not a field of the partner
	}
	if len(bsnEnc) > 0 && slices.Contains(d.Fields, bsnField) {
		bsn, err := keys.DecryptBSN(bsnEnc)
		if err != nil {
			return nil, fmt.Errorf("read the encrypted BSN: %w", err)
		}
		if bsn != "" {
			c, _ := f["client"].(map[string]any)
			if c == nil {
				c = map[string]any{}
				f["client"] = c
			}
			c["bsn"] = bsn
		}
	}
	return marshal(f)
}

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode registration: %w", err)
	}
	if m == nil {
		return nil, errors.New("decode registration: not a JSON object")
	}
	return m, nil
}

// marshal writes v as JSON with sorted keys and without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode registration: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
