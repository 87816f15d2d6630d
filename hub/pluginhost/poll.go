package pluginhost

import (
	"context"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var _ sdk.Poller = (*Host)(nil)

// Poll fetches one page from the partner's webservice through the running
// adapter; see sdk.Poller. The adapter's *sdk.PollError is found by
// errors.As. An adapter without the capability gives an error wrapping
// sdk.ErrPollUnsupported. When the process dies during the call, the error
// wraps sdk.ErrUnavailable, what was written to out is worthless, and the
// next call restarts the process. It also returns the errors of Start.
func (h *Host) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	p, err := h.acquire(ctx)
	if err != nil {
		return sdk.PollResult{}, err
	}
	pl, ok := p.adapter.(sdk.Poller)
	if !ok {
		return sdk.PollResult{}, fmt.Errorf("adapter %q: %w", h.spec.Name, sdk.ErrPollUnsupported)
	}
	res, err := pl.Poll(ctx, req, out)
	if err = h.after(p, err, false); err != nil {
		return sdk.PollResult{}, err
	}
	return res, nil
}
