package sdk

import (
	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// This file translates the Poller contract to and from the generated
// protobuf messages of poller.proto, the way convert.go does for Adapter.

func pollResultToProto(r PollResult) *adapterpb.PollResult {
	return &adapterpb.PollResult{Name: r.Name, MediaType: r.MediaType, NextCursor: r.NextCursor, More: r.More,
		Items: int64(r.Items), Problem: pollErrorToProto(r.Problem)}
}

func pollResultFromProto(p *adapterpb.PollResult) PollResult {
	return PollResult{Name: p.GetName(), MediaType: p.GetMediaType(), NextCursor: p.GetNextCursor(), More: p.GetMore(),
		Items: int(p.GetItems()), Problem: pollErrorFromProto(p.GetProblem())}
}

func pollErrorToProto(e *PollError) *adapterpb.PollError {
	if e == nil {
		return nil
	}
	return &adapterpb.PollError{Code: e.Code, Message: e.Message}
}

func pollErrorFromProto(p *adapterpb.PollError) *PollError {
	if p == nil {
		return nil
	}
	return &PollError{Code: p.GetCode(), Message: p.GetMessage()}
}
