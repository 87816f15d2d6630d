package sdk

import (
	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// This file translates the Encoder contract to and from the generated
// protobuf messages of encoder.proto, the way convert.go does for Adapter.

func encodeItemsToProto(items []EncodeItem) []*adapterpb.EncodeItem {
	if len(items) == 0 {
		return nil
	}
	out := make([]*adapterpb.EncodeItem, len(items))
	for i, it := range items {
		out[i] = &adapterpb.EncodeItem{DeliveryId: it.DeliveryID, Operation: string(it.Operation), Json: it.JSON}
	}
	return out
}

func encodeItemsFromProto(items []*adapterpb.EncodeItem) []EncodeItem {
	if len(items) == 0 {
		return nil
	}
	out := make([]EncodeItem, len(items))
	for i, it := range items {
		out[i] = EncodeItem{DeliveryID: it.GetDeliveryId(), Operation: Operation(it.GetOperation()), JSON: nilIfEmpty(it.GetJson())}
	}
	return out
}

func encodeResultToProto(r EncodeResult) *adapterpb.EncodeResult {
	p := &adapterpb.EncodeResult{Suffix: r.Suffix, MediaType: r.MediaType}
	if len(r.Written) > 0 {
		p.Written = make([]*adapterpb.EncodedItem, len(r.Written))
		for i, w := range r.Written {
			p.Written[i] = &adapterpb.EncodedItem{DeliveryId: w.DeliveryID, Line: int64(w.Line)}
		}
	}
	if len(r.Rejected) > 0 {
		p.Rejected = make([]*adapterpb.EncodeError, len(r.Rejected))
		for i, e := range r.Rejected {
			p.Rejected[i] = &adapterpb.EncodeError{DeliveryId: e.DeliveryID, Field: e.Field, Code: e.Code, Message: e.Message}
		}
	}
	return p
}

func encodeResultFromProto(p *adapterpb.EncodeResult) EncodeResult {
	r := EncodeResult{Suffix: p.GetSuffix(), MediaType: p.GetMediaType()}
	if ws := p.GetWritten(); len(ws) > 0 {
		r.Written = make([]EncodedItem, len(ws))
		for i, w := range ws {
			r.Written[i] = EncodedItem{DeliveryID: w.GetDeliveryId(), Line: int(w.GetLine())}
		}
	}
	if es := p.GetRejected(); len(es) > 0 {
		r.Rejected = make([]EncodeError, len(es))
		for i, e := range es {
			r.Rejected[i] = EncodeError{DeliveryID: e.GetDeliveryId(), Field: e.GetField(), Code: e.GetCode(), Message: e.GetMessage()}
		}
	}
	return r
}
