package pluginhost

import (
	"context"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var _ sdk.Encoder = (*Host)(nil)

// Encode writes a batch of registrations in the partner's format through
// the running adapter; see sdk.Encoder. An adapter without the capability
// gives an error wrapping sdk.ErrEncodeUnsupported. When the process dies
// during the call, the error wraps sdk.ErrUnavailable, what was written to
// out is worthless, and the next call restarts the process. It also returns
// the errors of Start.
func (h *Host) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	p, err := h.acquire(ctx)
	if err != nil {
		return sdk.EncodeResult{}, err
	}
	enc, ok := p.adapter.(sdk.Encoder)
	if !ok {
		return sdk.EncodeResult{}, fmt.Errorf("adapter %q: %w", h.spec.Name, sdk.ErrEncodeUnsupported)
	}
	res, err := enc.Encode(ctx, req, out)
	if err = h.after(p, err, false); err != nil {
		return sdk.EncodeResult{}, err
	}
	return res, nil
}
