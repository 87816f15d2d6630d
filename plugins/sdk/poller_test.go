package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// pagePoller serves pages of `size` bytes: cursor "" gives page "1", and so
// on up to `pages`. Cursor "fail" gives a coded error, "bad" a page with a
// problem, "boom" a plain error and "panic" a panic.
type pagePoller struct {
	lineAdapter
	pages, size int
}

func (p *pagePoller) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	switch req.Cursor {
	case "fail":
		return sdk.PollResult{}, &sdk.PollError{Code: sdk.CodePollHTTP, Message: "de webservice antwoordt met HTTP 500"}
	case "bad":
		if _, err := out.Write([]byte("<html>")); err != nil {
			return sdk.PollResult{}, err
		}
		return sdk.PollResult{Name: "bad.json", NextCursor: "after-bad", Items: 0,
			Problem: &sdk.PollError{Code: sdk.CodePollResponse, Message: "geen JSON"}}, nil
	case "boom":
		return sdk.PollResult{}, errors.New("not configured")
	case "panic":
		panic("kapot")
	}
	if err := ctx.Err(); err != nil {
		return sdk.PollResult{}, err
	}
	n := 1
	if req.Cursor != "" {
		n, _ = strconv.Atoi(req.Cursor)
	}
	if _, err := out.Write(page(n, p.size)); err != nil {
		return sdk.PollResult{}, err
	}
	return sdk.PollResult{Name: "page-" + strconv.Itoa(n) + ".txt", MediaType: "text/plain", NextCursor: strconv.Itoa(n + 1),
		More: n < p.pages, Items: n}, nil
}

func page(n, size int) []byte { return bytes.Repeat([]byte{'a' + byte(n%26)}, size) }

var _ sdk.Poller = (*pagePoller)(nil)

func pollerClient(t *testing.T, a sdk.Adapter) sdk.Poller {
	t.Helper()
	p, ok := sdk.TestClient(t, a).(sdk.Poller)
	if !ok {
		t.Fatal("the hub's view of an adapter does not implement sdk.Poller")
	}
	return p
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"OK", 100},
		{"Empty", 0},
		{"ExactFrame", sdk.FrameSize},
		{"ManyFrames", 3*sdk.FrameSize + 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := pollerClient(t, &pagePoller{pages: 3, size: tt.size})
			cursor := ""
			for n := 1; ; n++ {
				var got bytes.Buffer
				res, err := pl.Poll(t.Context(), sdk.PollRequest{Partner: "brp", Cursor: cursor}, &got)
				if err != nil {
					t.Fatalf("Poll(%q): %v", cursor, err)
				}
				if !bytes.Equal(got.Bytes(), page(n, tt.size)) {
					t.Fatalf("page %d has %d bytes, want %d (or other bytes)", n, got.Len(), tt.size)
				}
				want := sdk.PollResult{Name: "page-" + strconv.Itoa(n) + ".txt", MediaType: "text/plain",
					NextCursor: strconv.Itoa(n + 1), More: n < 3, Items: n}
				if !reflect.DeepEqual(res, want) {
					t.Fatalf("result %+v, want %+v", res, want)
				}
				if !res.More {
					break
				}
				cursor = res.NextCursor
			}
		})
	}
}

func TestPollProblem(t *testing.T) {
	var got bytes.Buffer
	res, err := pollerClient(t, &pagePoller{}).Poll(t.Context(), sdk.PollRequest{Cursor: "bad"}, &got)
	if err != nil {
		t.Fatal(err)
	}
	want := &sdk.PollError{Code: sdk.CodePollResponse, Message: "geen JSON"}
	if got.String() != "<html>" || res.NextCursor != "after-bad" || !reflect.DeepEqual(res.Problem, want) {
		t.Fatalf("page %q, result %+v", got.String(), res)
	}
}

func TestPollErrors(t *testing.T) {
	t.Run("ErrCoded", func(t *testing.T) {
		_, err := pollerClient(t, &pagePoller{}).Poll(t.Context(), sdk.PollRequest{Cursor: "fail"}, io.Discard)
		var pe *sdk.PollError
		if !errors.As(err, &pe) || pe.Code != sdk.CodePollHTTP || pe.Message != "de webservice antwoordt met HTTP 500" {
			t.Fatalf("err = %v, want the adapter's *sdk.PollError", err)
		}
	})
	t.Run("ErrAdapter", func(t *testing.T) {
		_, err := pollerClient(t, &pagePoller{}).Poll(t.Context(), sdk.PollRequest{Cursor: "boom"}, io.Discard)
		var pe *sdk.PollError
		if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "not configured") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrPanic", func(t *testing.T) {
		_, err := pollerClient(t, &pagePoller{}).Poll(t.Context(), sdk.PollRequest{Cursor: "panic"}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrUnsupported", func(t *testing.T) {
		_, err := pollerClient(t, &lineAdapter{}).Poll(t.Context(), sdk.PollRequest{}, io.Discard)
		if !errors.Is(err, sdk.ErrPollUnsupported) {
			t.Fatalf("err = %v, want ErrPollUnsupported", err)
		}
	})
	t.Run("ErrWriteFails", func(t *testing.T) {
		_, err := pollerClient(t, &pagePoller{size: 10}).Poll(t.Context(), sdk.PollRequest{}, failingWriter{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := pollerClient(t, &pagePoller{size: 10}).Poll(ctx, sdk.PollRequest{}, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}
