package pluginhost_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func encodeRequest(partner string, n int) sdk.EncodeRequest {
	req := sdk.EncodeRequest{Partner: partner}
	for i := range n {
		req.Items = append(req.Items, sdk.EncodeItem{DeliveryID: string(rune('a' + i)), Operation: sdk.OpNew, JSON: []byte(`{}`)})
	}
	return req
}

func TestHostEncode(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag": "one"}`)
	var out bytes.Buffer
	res, err := h.Encode(context.Background(), encodeRequest("ggz", 3), &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "a,one\nb,one\nc,one\n" || len(res.Written) != 3 || res.Suffix != ".txt" {
		t.Fatalf("file %q, result %+v", out.String(), res)
	}
}

// TestHostCrashInEncode: a process that dies while encoding gives
// ErrUnavailable; the next call restarts it with its configuration.
func TestHostCrashInEncode(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag": "two"}`)
	var out bytes.Buffer
	_, err := h.Encode(context.Background(), encodeRequest("crash", 4), &out)
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	out.Reset()
	if _, err := h.Encode(context.Background(), encodeRequest("ggz", 1), &out); err != nil || out.String() != "a,two\n" {
		t.Fatalf("after restart: %q, %v", out.String(), err)
	}
	if st := h.Status(); st.Restarts != 1 {
		t.Fatalf("status %+v", st)
	}
}
