package sdk

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

func TestEncodeItemsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   []EncodeItem
	}{
		{"Empty", nil},
		{"Items", []EncodeItem{
			{DeliveryID: "dlv-1", Operation: OpNew, JSON: []byte(`{"a":1}`)},
			{DeliveryID: "dlv-2", Operation: OpDelete},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.Marshal(&adapterpb.EncodeItems{Items: encodeItemsToProto(tt.in)})
			if err != nil {
				t.Fatal(err)
			}
			back := new(adapterpb.EncodeItems)
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			if got := encodeItemsFromProto(back.GetItems()); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestEncodeResultRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   EncodeResult
	}{
		{"Empty", EncodeResult{}},
		{"SuffixOnly", EncodeResult{Suffix: ".csv", MediaType: "text/csv"}},
		{"Both", EncodeResult{Suffix: ".csv",
			Written:  []EncodedItem{{DeliveryID: "a", Line: 2}, {DeliveryID: "b", Line: 3}},
			Rejected: []EncodeError{{DeliveryID: "c", Field: "responsible_worker.name", Code: CodeEncodeFormat, Message: "past niet in het patroon"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.Marshal(encodeResultToProto(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			back := new(adapterpb.EncodeResult)
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			if got := encodeResultFromProto(back); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}
