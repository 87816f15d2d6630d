package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// withPoller gives the hub's view of an adapter process the Poller
// capability as well: Poll goes to the Poller service on the same
// connection.
func withPoller(c *encodingClient, conn *grpc.ClientConn) Adapter {
	return &remoteAdapter{encodingClient: c, poller: adapterpb.NewPollerClient(conn)}
}

// remoteAdapter is the hub's view of an adapter process, with every
// optional capability.
type remoteAdapter struct {
	*encodingClient
	poller adapterpb.PollerClient
}

var (
	_ Adapter = (*remoteAdapter)(nil)
	_ Encoder = (*remoteAdapter)(nil)
	_ Poller  = (*remoteAdapter)(nil)
)

// Poll asks the adapter process for one page and copies the bytes it
// streams to out, at most MaxPollBytes. It returns the adapter's
// *PollError as is (errors.As finds it), an error wrapping
// ErrPollUnsupported when the process serves no Poller, ErrUnavailable
// when it cannot be reached, and the adapter's own error otherwise.
func (c *remoteAdapter) Poll(ctx context.Context, req PollRequest, out io.Writer) (PollResult, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.poller.Poll(ctx, &adapterpb.PollRequest{Partner: req.Partner, Cursor: req.Cursor},
		grpc.MaxCallRecvMsgSize(2*FrameSize))
	if err != nil {
		return PollResult{}, fmt.Errorf("poll: %w", pollStatus(parent, err))
	}
	res, err := readFrames(stream.Recv, func(m *adapterpb.PollResponse) ([]byte, *adapterpb.PollResult) {
		return m.GetData(), m.GetResult()
	}, out, MaxPollBytes)
	if err != nil {
		return PollResult{}, fmt.Errorf("poll: %w", pollStatus(parent, err))
	}
	if e := pollErrorFromProto(res.GetError()); e != nil {
		return PollResult{}, e
	}
	return pollResultFromProto(res), nil
}

// pollStatus is fromStatus, with UNIMPLEMENTED (a process without the
// Poller service) as ErrPollUnsupported.
func pollStatus(ctx context.Context, err error) error {
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unimplemented && ctx.Err() == nil {
		return fmt.Errorf("%w: %s", ErrPollUnsupported, st.Message())
	}
	return fromStatus(ctx, err)
}

// pollerServer serves a Poller inside the adapter process.
type pollerServer struct {
	adapterpb.UnimplementedPollerServer
	impl Poller
}

// Poll lets the adapter fetch the page, sends what it writes in frames and
// ends with the result; a *PollError becomes a result with its error set.
func (s *pollerServer) Poll(req *adapterpb.PollRequest, stream adapterpb.Poller_PollServer) (err error) {
	defer recoverStatus(&err)
	w := &frameWriter{send: func(data []byte) error {
		return stream.Send(&adapterpb.PollResponse{Msg: &adapterpb.PollResponse_Data{Data: data}})
	}}
	res, err := s.impl.Poll(stream.Context(), PollRequest{Partner: req.GetPartner(), Cursor: req.GetCursor()}, w)
	var pe *PollError
	if errors.As(err, &pe) {
		return stream.Send(&adapterpb.PollResponse{Msg: &adapterpb.PollResponse_Result{
			Result: &adapterpb.PollResult{Error: pollErrorToProto(pe)}}})
	}
	if err != nil {
		return toStatus(err)
	}
	if err := w.flush(); err != nil {
		return err
	}
	return stream.Send(&adapterpb.PollResponse{Msg: &adapterpb.PollResponse_Result{Result: pollResultToProto(res)}})
}
