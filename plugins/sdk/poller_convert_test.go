package sdk

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

func TestPollResultRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   PollResult
	}{
		{"Empty", PollResult{}},
		{"Page", PollResult{Name: "p.json", MediaType: "application/json", NextCursor: "c2", More: true, Items: 100}},
		{"Problem", PollResult{Name: "p.xml", NextCursor: "c3", Problem: &PollError{Code: CodePollResponse, Message: "geen XML"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.Marshal(pollResultToProto(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			back := new(adapterpb.PollResult)
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			if got := pollResultFromProto(back); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}
