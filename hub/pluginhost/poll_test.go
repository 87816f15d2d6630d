package pluginhost_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestHostPoll(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag": "one"}`)
	var out bytes.Buffer
	res, err := h.Poll(context.Background(), sdk.PollRequest{Partner: "brp", Cursor: "c1"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "c1,one\n" || res.NextCursor != "c1+" || res.Items != 1 {
		t.Fatalf("page %q, result %+v", out.String(), res)
	}
}

// TestHostPollError: a coded poll error is the partner's webservice
// failing, not the adapter: it is returned as is and counts as no crash.
func TestHostPollError(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{}`)
	_, err := h.Poll(context.Background(), sdk.PollRequest{Cursor: "fail"}, &bytes.Buffer{})
	var pe *sdk.PollError
	if !errors.As(err, &pe) || pe.Code != sdk.CodePollHTTP {
		t.Fatalf("err = %v, want the adapter's *sdk.PollError", err)
	}
	if st := h.Status(); st.State != pluginhost.StateRunning || st.Crashes != 0 {
		t.Fatalf("status %+v", st)
	}
}

// TestHostCrashInPoll: a process that dies while polling gives
// ErrUnavailable; the next call restarts it with its configuration.
func TestHostCrashInPoll(t *testing.T) {
	h := newHost(t, pluginhost.Spec{}, pluginhost.Config{})
	configure(t, h, `{"tag": "two"}`)
	_, err := h.Poll(context.Background(), sdk.PollRequest{Cursor: "crash"}, &bytes.Buffer{})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	var out bytes.Buffer
	if _, err := h.Poll(context.Background(), sdk.PollRequest{Cursor: "c"}, &out); err != nil || out.String() != "c,two\n" {
		t.Fatalf("after restart: %q, %v", out.String(), err)
	}
	if st := h.Status(); st.Restarts != 1 {
		t.Fatalf("status %+v", st)
	}
}
