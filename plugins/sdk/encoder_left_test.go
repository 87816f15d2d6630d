package sdk_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestEncodeResultLeft(t *testing.T) {
	req := sdk.EncodeRequest{Partner: "p", Items: []sdk.EncodeItem{{DeliveryID: "a"}, {DeliveryID: "b"}, {DeliveryID: "c"}, {DeliveryID: "d"}}}
	tests := []struct {
		name string
		res  sdk.EncodeResult
		want []string
	}{
		{"All", sdk.EncodeResult{Written: []sdk.EncodedItem{{DeliveryID: "a"}, {DeliveryID: "c"}}, Rejected: []sdk.EncodeError{{DeliveryID: "b"}, {DeliveryID: "d"}}}, nil},
		{"FirstWritten", sdk.EncodeResult{Written: []sdk.EncodedItem{{DeliveryID: "a"}}}, []string{"b", "c", "d"}},
		{"RejectedThenWritten", sdk.EncodeResult{Written: []sdk.EncodedItem{{DeliveryID: "b"}}, Rejected: []sdk.EncodeError{{DeliveryID: "a"}}}, []string{"c", "d"}},
		{"Nothing", sdk.EncodeResult{}, []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, it := range tt.res.Left(req) {
				got = append(got, it.DeliveryID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Left gives %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodeRequestCheckPartner(t *testing.T) {
	req := sdk.EncodeRequest{Partner: "opvang-zuid"}
	if err := req.CheckPartner("opvang-zuid"); err != nil {
		t.Errorf("CheckPartner for the configured partner: %v", err)
	}
	if err := req.CheckPartner("ggz-oost"); !errors.Is(err, sdk.ErrOtherPartner) {
		t.Errorf("CheckPartner for another partner: %v", err)
	}
}
