package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Poll writes "cursor,tag" as the page and gives the cursor with "+"
// appended as the next one, so that the tests see the cursor and the
// configuration arrive. The cursor "crash" makes the process exit with
// status 4, "fail" gives a coded error.
func (a *adapter) Poll(_ context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	a.mu.Lock()
	tag := a.cfg.Tag
	a.mu.Unlock()
	switch req.Cursor {
	case "crash":
		os.Exit(4)
	case "fail":
		return sdk.PollResult{}, &sdk.PollError{Code: sdk.CodePollHTTP, Message: "HTTP 503"}
	}
	if _, err := fmt.Fprintf(out, "%s,%s\n", req.Cursor, tag); err != nil {
		return sdk.PollResult{}, err
	}
	return sdk.PollResult{Name: "page.txt", NextCursor: req.Cursor + "+", Items: 1}, nil
}
