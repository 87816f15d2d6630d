package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Encode writes "delivery_id,tag" per item, so that the tests see the
// configuration arrive. The partner "crash" makes the process exit with
// status 3 halfway through.
func (a *adapter) Encode(_ context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	a.mu.Lock()
	tag := a.cfg.Tag
	a.mu.Unlock()
	res := sdk.EncodeResult{Suffix: ".txt", MediaType: "text/plain"}
	for i, it := range req.Items {
		if req.Partner == "crash" && i == len(req.Items)/2 {
			os.Exit(3)
		}
		if _, err := fmt.Fprintf(out, "%s,%s\n", it.DeliveryID, tag); err != nil {
			return sdk.EncodeResult{}, err
		}
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: i + 1})
	}
	return res, nil
}
