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

// encodeFrameBytes is how many bytes of items the hub puts in one
// EncodeRequest: well below gRPC's default 4 MiB message limit.
const encodeFrameBytes = 1 << 20

// withEncoder gives the hub's view of an adapter process the Encoder
// capability: the Adapter calls go to c, Encode to the Encoder service on
// the same connection.
func withEncoder(c *grpcClient, conn *grpc.ClientConn) *encodingClient {
	return &encodingClient{grpcClient: c, encoder: adapterpb.NewEncoderClient(conn)}
}

// encodingClient is the hub's view of an adapter process, Encoder included.
type encodingClient struct {
	*grpcClient
	encoder adapterpb.EncoderClient
}

var (
	_ Adapter = (*encodingClient)(nil)
	_ Encoder = (*encodingClient)(nil)
)

// Encode sends the items to the adapter process in frames, then copies the
// file it streams back to out. It returns an error wrapping
// ErrEncodeUnsupported when the process serves no Encoder, ErrUnavailable
// when it cannot be reached, and the adapter's own error otherwise.
func (c *encodingClient) Encode(ctx context.Context, req EncodeRequest, out io.Writer) (EncodeResult, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.encoder.Encode(ctx, grpc.MaxCallRecvMsgSize(2*FrameSize))
	if err != nil {
		return EncodeResult{}, fmt.Errorf("encode: %w", encodeStatus(parent, err))
	}
	if err := c.sendItems(stream, req); err != nil {
		// The server's status says more than the broken send.
		if _, rerr := stream.Recv(); rerr != nil && !errors.Is(rerr, io.EOF) {
			return EncodeResult{}, fmt.Errorf("encode: %w", encodeStatus(parent, rerr))
		}
		return EncodeResult{}, fmt.Errorf("encode: send items: %w", encodeStatus(parent, err))
	}
	res, err := readFrames(stream.Recv, func(m *adapterpb.EncodeResponse) ([]byte, *adapterpb.EncodeResult) {
		return m.GetData(), m.GetResult()
	}, out, 0)
	if err != nil {
		return EncodeResult{}, fmt.Errorf("encode: %w", encodeStatus(parent, err))
	}
	return encodeResultFromProto(res), nil
}

// readFrames receives the messages of a stream that sends data frames and
// then one result: it writes the data to out, at most limit bytes (0: no
// limit), and returns the result. It returns the stream's own errors as
// they are, for the caller to translate.
func readFrames[M any, R any](recv func() (M, error), split func(M) ([]byte, *R), out io.Writer, limit int) (*R, error) {
	var res *R
	size := 0
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, r := split(m)
		if r != nil {
			res = r
			continue
		}
		if res != nil {
			return nil, errors.New("adapter sent data after its result")
		}
		if size += len(data); limit > 0 && size > limit {
			return nil, fmt.Errorf("adapter sent more than %d bytes", limit)
		}
		if _, err := out.Write(data); err != nil {
			return nil, fmt.Errorf("write: %w", err)
		}
	}
	if res == nil {
		return nil, errors.New("adapter ended without a result")
	}
	return res, nil
}

// sendItems sends the header and the items in frames of about
// encodeFrameBytes, then closes the send side.
func (c *encodingClient) sendItems(stream adapterpb.Encoder_EncodeClient, req EncodeRequest) error {
	if err := stream.Send(&adapterpb.EncodeRequest{Msg: &adapterpb.EncodeRequest_Header{Header: &adapterpb.EncodeHeader{Partner: req.Partner}}}); err != nil {
		return err
	}
	start, size := 0, 0
	for i, it := range req.Items {
		size += len(it.JSON) + len(it.DeliveryID) + 16
		if size < encodeFrameBytes && i < len(req.Items)-1 {
			continue
		}
		frame := &adapterpb.EncodeItems{Items: encodeItemsToProto(req.Items[start : i+1])}
		if err := stream.Send(&adapterpb.EncodeRequest{Msg: &adapterpb.EncodeRequest_Items{Items: frame}}); err != nil {
			return err
		}
		start, size = i+1, 0
	}
	return stream.CloseSend()
}

// encodeStatus is fromStatus, with UNIMPLEMENTED (a process without the
// Encoder service) as ErrEncodeUnsupported.
func encodeStatus(ctx context.Context, err error) error {
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unimplemented && ctx.Err() == nil {
		return fmt.Errorf("%w: %s", ErrEncodeUnsupported, st.Message())
	}
	return fromStatus(ctx, err)
}

// encoderServer serves an Encoder inside the adapter process.
type encoderServer struct {
	adapterpb.UnimplementedEncoderServer
	impl Encoder
}

// Encode reads the header and every item, lets the adapter write the file
// through frames sent back on the stream, and ends with the result.
func (s *encoderServer) Encode(stream adapterpb.Encoder_EncodeServer) (err error) {
	defer recoverStatus(&err)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "encode: stream closed before the header")
	}
	if err != nil {
		return err
	}
	header := first.GetHeader()
	if header == nil {
		return status.Error(codes.InvalidArgument, "encode: first message is not a header")
	}
	req := EncodeRequest{Partner: header.GetPartner()}
	size := 0
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		items := m.GetItems()
		if items == nil {
			return status.Error(codes.InvalidArgument, "encode: second header")
		}
		for _, it := range items.GetItems() {
			size += len(it.GetJson())
		}
		if size > MaxEncodeBytes {
			return status.Errorf(codes.ResourceExhausted, "encode: more than %d bytes of items", MaxEncodeBytes)
		}
		req.Items = append(req.Items, encodeItemsFromProto(items.GetItems())...)
	}
	w := &frameWriter{send: func(data []byte) error {
		return stream.Send(&adapterpb.EncodeResponse{Msg: &adapterpb.EncodeResponse_Data{Data: data}})
	}}
	res, err := s.impl.Encode(stream.Context(), req, w)
	if err != nil {
		return toStatus(err)
	}
	if err := w.flush(); err != nil {
		return err
	}
	return stream.Send(&adapterpb.EncodeResponse{Msg: &adapterpb.EncodeResponse_Result{Result: encodeResultToProto(res)}})
}

// frameWriter sends what the adapter writes in data frames of FrameSize,
// each with send.
type frameWriter struct {
	send func(data []byte) error
	buf  []byte
}

// Write buffers p and sends every full frame; it returns 0 and the error
// when sending fails.
func (w *frameWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := FrameSize - len(w.buf)
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == FrameSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *frameWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	// gRPC may hold on to a sent message, so every frame gets its own buffer.
	data := w.buf
	w.buf = make([]byte, 0, FrameSize)
	if err := w.send(data); err != nil {
		return fmt.Errorf("send data: %w", err)
	}
	return nil
}
