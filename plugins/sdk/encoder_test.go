package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// echoEncoder writes every item as "delivery_id;operation;json" on a line
// of its own, repeated `repeat` times, and rejects items whose JSON is
// "reject". Partner "boom" makes it fail, "panic" makes it panic.
type echoEncoder struct {
	lineAdapter
	repeat int
}

func (e *echoEncoder) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	switch req.Partner {
	case "boom":
		return sdk.EncodeResult{}, errors.New("not configured for boom")
	case "panic":
		panic("kapot")
	}
	res := sdk.EncodeResult{Suffix: ".txt", MediaType: "text/plain; charset=utf-8"}
	line := 0
	for _, it := range req.Items {
		if err := ctx.Err(); err != nil {
			return sdk.EncodeResult{}, err
		}
		if string(it.JSON) == "reject" {
			res.Rejected = append(res.Rejected, sdk.EncodeError{DeliveryID: it.DeliveryID, Field: "client.surname", Code: sdk.CodeEncodeFormat, Message: "past niet"})
			continue
		}
		line++
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: line})
		for range max(1, e.repeat) {
			if _, err := fmt.Fprintf(out, "%s;%s;%s\n", it.DeliveryID, it.Operation, it.JSON); err != nil {
				return sdk.EncodeResult{}, err
			}
		}
	}
	return res, nil
}

var (
	_ sdk.Adapter = (*echoEncoder)(nil)
	_ sdk.Encoder = (*echoEncoder)(nil)
)

func encoderClient(t *testing.T, a sdk.Adapter) sdk.Encoder {
	t.Helper()
	enc, ok := sdk.TestClient(t, a).(sdk.Encoder)
	if !ok {
		t.Fatal("the hub's view of an adapter does not implement sdk.Encoder")
	}
	return enc
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name   string
		items  int
		size   int // bytes of JSON per item
		repeat int
	}{
		{"OK", 3, 20, 1},
		{"NoItems", 0, 0, 1},
		{"ManyItemFrames", 3000, 1000, 1},        // about 3 MB of items: several request frames
		{"LargeFile", 10, 100, 1 << 11},          // about 2 MB of file: several data frames
		{"ExactFrame", 1, sdk.FrameSize - 18, 1}, // the file is exactly one frame
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := encoderClient(t, &echoEncoder{repeat: tt.repeat})
			req := sdk.EncodeRequest{Partner: "opvang-zuid"}
			var want bytes.Buffer
			for i := range tt.items {
				it := sdk.EncodeItem{DeliveryID: fmt.Sprintf("dlv-%05d", i), Operation: sdk.OpChange, JSON: bytes.Repeat([]byte{'a' + byte(i%26)}, tt.size)}
				req.Items = append(req.Items, it)
				for range tt.repeat {
					fmt.Fprintf(&want, "%s;%s;%s\n", it.DeliveryID, it.Operation, it.JSON)
				}
			}
			var got bytes.Buffer
			res, err := enc.Encode(t.Context(), req, &got)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("file has %d bytes, want %d (or other bytes)", got.Len(), want.Len())
			}
			if res.Suffix != ".txt" || res.MediaType == "" || len(res.Written) != tt.items {
				t.Fatalf("result %+v", res)
			}
			for i, w := range res.Written {
				if w.DeliveryID != req.Items[i].DeliveryID || w.Line != i+1 {
					t.Fatalf("written[%d] = %+v", i, w)
				}
			}
		})
	}
}

func TestEncodeRejected(t *testing.T) {
	enc := encoderClient(t, &echoEncoder{})
	var out bytes.Buffer
	res, err := enc.Encode(t.Context(), sdk.EncodeRequest{Partner: "x", Items: []sdk.EncodeItem{
		{DeliveryID: "a", Operation: sdk.OpNew, JSON: []byte(`{}`)},
		{DeliveryID: "b", Operation: sdk.OpNew, JSON: []byte(`reject`)},
	}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.EncodeError{{DeliveryID: "b", Field: "client.surname", Code: sdk.CodeEncodeFormat, Message: "past niet"}}
	if !reflect.DeepEqual(res.Rejected, want) || len(res.Written) != 1 || out.String() != "a;new;{}\n" {
		t.Fatalf("result %+v, file %q", res, out.String())
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Run("ErrAdapter", func(t *testing.T) {
		_, err := encoderClient(t, &echoEncoder{}).Encode(t.Context(), sdk.EncodeRequest{Partner: "boom"}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not configured for boom") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrPanic", func(t *testing.T) {
		_, err := encoderClient(t, &echoEncoder{}).Encode(t.Context(), sdk.EncodeRequest{Partner: "panic"}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrUnsupported", func(t *testing.T) {
		_, err := encoderClient(t, &lineAdapter{}).Encode(t.Context(), sdk.EncodeRequest{Partner: "x"}, io.Discard)
		if !errors.Is(err, sdk.ErrEncodeUnsupported) {
			t.Fatalf("err = %v, want ErrEncodeUnsupported", err)
		}
	})
	t.Run("ErrWriteFails", func(t *testing.T) {
		_, err := encoderClient(t, &echoEncoder{}).Encode(t.Context(), sdk.EncodeRequest{Partner: "x",
			Items: []sdk.EncodeItem{{DeliveryID: "a", JSON: []byte(`{}`)}}}, failingWriter{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := encoderClient(t, &echoEncoder{}).Encode(ctx, sdk.EncodeRequest{Partner: "x"}, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
