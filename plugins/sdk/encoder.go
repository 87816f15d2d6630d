package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// CapabilityEncode is the capability an adapter that implements Encoder
// reports in Description.Capabilities.
const CapabilityEncode = "encode"

// Encoder is the optional outbound capability of an adapter: it writes
// registrations of the shared schema in its partner's own format, so that
// the hub can put them in the partner's pickup folder (hub/route). An
// adapter that implements it reports CapabilityEncode from Describe; Serve
// then also serves the Encoder gRPC service.
//
// On the hub's side every dispensed adapter (Dispense, TestClient)
// implements Encoder; for an adapter process that does not, Encode returns
// an error wrapping ErrEncodeUnsupported.
type Encoder interface {
	// Encode writes the items of req as one file in the format of the
	// partner the adapter is configured for (req.Partner must be that
	// partner) to out, in the order of the items, and says how to name the
	// file and where each item is in it. An item that cannot be written in
	// the format is left out and listed in EncodeResult.Rejected with a
	// code and a Dutch message that names no personal data; every other
	// item is listed in EncodeResult.Written. A format that holds fewer
	// items per file than a batch has (an iWmo 3.x message holds one
	// client) may stop early: it writes or rejects the first items and
	// lists neither the ones after them, which the hub then encodes into
	// the next file (see EncodeResult.Left and EncodeWindow). Encode must
	// be deterministic:
	// the same items and configuration give the same bytes, so that a
	// repeated delivery gives the same file. It returns an error only when
	// it cannot write the file at all: not configured, another partner,
	// writing to out fails, or ctx ends; the bytes written so far are then
	// worthless.
	Encode(ctx context.Context, req EncodeRequest, out io.Writer) (EncodeResult, error)
}

// EncodeRequest is one batch of registrations for one receiving partner.
type EncodeRequest struct {
	// Partner is the receiving partner, whose format is written.
	Partner string
	Items   []EncodeItem
}

// EncodeItem is one registration to write.
type EncodeItem struct {
	// DeliveryID is the hub's stable id of this delivery; a receiver
	// recognises a repeated delivery by it.
	DeliveryID string
	// Operation is what the receiver is to do with the record: OpNew for a
	// record it has not had from the hub, OpChange, or OpDelete.
	Operation Operation
	// JSON is the registration as shared-schema JSON. Fields the receiver
	// may not see have been removed; the encoder leaves their columns empty.
	JSON []byte
}

// CheckPartner returns an error wrapping ErrOtherPartner when req is for
// another partner than configured, the one the adapter is configured for;
// an Encoder calls it first.
func (req EncodeRequest) CheckPartner(configured string) error {
	if req.Partner != configured {
		return fmt.Errorf("encode for partner %q: %w (%q)", req.Partner, ErrOtherPartner, configured)
	}
	return nil
}

// EncodeResult describes a written file.
type EncodeResult struct {
	// Suffix ends the file name, such as ".csv".
	Suffix string `json:"suffix"`
	// MediaType is the file's media type, such as "text/csv; charset=windows-1252".
	MediaType string `json:"media_type"`
	// Written lists the items in the file, in file order.
	Written []EncodedItem `json:"written"`
	// Rejected lists the items that could not be written.
	Rejected []EncodeError `json:"rejected"`
}

// EncodeWindow is the most items the hub hands an encoder in the call after
// one that handled (wrote or rejected) handled items and left the rest:
// twice as many, and at least 16, so that an encoder of one registration
// per file is not handed the whole rest of a large batch for every file.
// The first call of a batch gets all its items.
func EncodeWindow(handled int) int { return max(16, 2*handled) }

// Left returns the items of req that res neither wrote nor rejected: the
// items an encoder whose file is full left for the next file, in their
// order. Such an encoder handles (writes or rejects) at least the first item
// of every request and leaves only items after the last one it handled; a
// request it handles completely leaves none.
func (res EncodeResult) Left(req EncodeRequest) []EncodeItem {
	handled := make(map[string]bool, len(res.Written)+len(res.Rejected))
	for _, w := range res.Written {
		handled[w.DeliveryID] = true
	}
	for _, r := range res.Rejected {
		handled[r.DeliveryID] = true
	}
	var left []EncodeItem
	for _, it := range req.Items {
		if !handled[it.DeliveryID] {
			left = append(left, it)
		}
	}
	return left
}

// EncodedItem places one written item in the file.
type EncodedItem struct {
	DeliveryID string `json:"delivery_id"`
	// Line is the 1-based line of the file the item starts on.
	Line int `json:"line"`
}

// EncodeError says why an item could not be written. Code is stable and
// Message is Dutch, for the ICT staff of hub and partner; neither holds
// personal data.
type EncodeError struct {
	DeliveryID string `json:"delivery_id"`
	Field      string `json:"field,omitempty"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// Stable codes of EncodeError.
const (
	// CodeEncodeInvalid: the item is not a registration (no JSON object,
	// no record key).
	CodeEncodeInvalid = "ENCODE_INVALID"
	// CodeEncodeFormat: a value cannot be written in the partner's format
	// (it does not fit a split column's pattern, it holds the delimiter
	// where quoting is off).
	CodeEncodeFormat = "ENCODE_FORMAT"
)

// ErrOtherPartner is wrapped by the error of Encode for a partner the
// adapter is not configured for (EncodeRequest.CheckPartner).
var ErrOtherPartner = errors.New("the adapter is configured for another partner")

// ErrEncodeUnsupported is wrapped by the error of Encode on an adapter that
// has no Encoder capability.
var ErrEncodeUnsupported = errors.New("adapter cannot encode")

// MaxEncodeBytes bounds the items of one Encode call as the adapter process
// receives them: a batch of a few hundred registrations is far below it.
const MaxEncodeBytes = 64 << 20
