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

// FrameSize is the largest number of document bytes the hub sends to an
// adapter in one gRPC message.
const FrameSize = 256 << 10

// MaxChunkBytes is the largest encoded chunk the hub accepts from an
// adapter. A chunk of a few hundred registrations is far below it; a larger
// one fails Decode.
const MaxChunkBytes = 64 << 20

// grpcClient is the hub's view of an adapter process.
type grpcClient struct {
	client adapterpb.AdapterClient
}

var _ Adapter = (*grpcClient)(nil)

func (c *grpcClient) Describe(ctx context.Context) (Description, error) {
	resp, err := c.client.Describe(ctx, &adapterpb.DescribeRequest{})
	if err != nil {
		return Description{}, fmt.Errorf("describe: %w", fromStatus(ctx, err))
	}
	return descriptionFromProto(resp), nil
}

// Configure returns the adapter's *ConfigError unwrapped, so that callers
// can report its field.
func (c *grpcClient) Configure(ctx context.Context, partner string, config []byte) error {
	resp, err := c.client.Configure(ctx, &adapterpb.ConfigureRequest{Partner: partner, Config: config})
	if err != nil {
		return fmt.Errorf("configure: %w", fromStatus(ctx, err))
	}
	if ce := configErrorFromProto(resp.GetConfigError()); ce != nil {
		return ce
	}
	return nil
}

// Decode streams doc.Known and then src to the adapter in frames while it
// hands the chunks it receives to out. It returns only after it has stopped
// reading src. When out fails, the stream is cancelled and the error of out
// is returned.
func (c *grpcClient) Decode(ctx context.Context, doc Document, src io.Reader, out ChunkWriter) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.client.Decode(ctx, grpc.MaxCallRecvMsgSize(MaxChunkBytes))
	if err != nil {
		return fmt.Errorf("decode: %w", fromStatus(parent, err))
	}
	if err := stream.Send(&adapterpb.DecodeRequest{Msg: &adapterpb.DecodeRequest_Header{Header: documentToProto(doc)}}); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decode: send header: %w", fromStatus(parent, err))
	}

	// The sender runs while this goroutine receives: the adapter reads the
	// document while it produces chunks, and gRPC flow control blocks both
	// ends when either falls behind.
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendFrames(stream, doc.Known.Bytes(), src, cancel) }()

	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			cancel()
			if rerr := <-sendErr; rerr != nil {
				return fmt.Errorf("decode: %w", rerr)
			}
			return fmt.Errorf("decode: %w", fromStatus(parent, err))
		}
		chunk, err := chunkFromProto(resp.GetChunk())
		if err == nil {
			err = out.WriteChunk(ctx, chunk)
		}
		if err != nil {
			cancel()
			<-sendErr
			return fmt.Errorf("decode: write chunk %d: %w", chunk.Seq, err)
		}
	}
	if rerr := <-sendErr; rerr != nil {
		return fmt.Errorf("decode: %w", rerr)
	}
	return nil
}

// sendFrames sends the known digests and then src in frames of at most
// FrameSize bytes and closes the send side at the end. It returns an error
// only when reading src fails, and then cancels the stream; errors of the
// stream itself surface in Recv.
func sendFrames(stream adapterpb.Adapter_DecodeClient, known []byte, src io.Reader, cancel context.CancelFunc) error {
	for len(known) > 0 {
		n := min(len(known), FrameSize/DigestSize*DigestSize)
		if err := stream.Send(&adapterpb.DecodeRequest{Msg: &adapterpb.DecodeRequest_KnownDigests{KnownDigests: known[:n]}}); err != nil {
			return nil
		}
		known = known[n:]
	}
	for {
		// gRPC may hold on to a sent message, so every frame gets its own
		// buffer.
		buf := make([]byte, FrameSize)
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			if serr := stream.Send(&adapterpb.DecodeRequest{Msg: &adapterpb.DecodeRequest_Data{Data: buf[:n]}}); serr != nil {
				return nil
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			_ = stream.CloseSend()
			return nil
		default:
			cancel()
			return fmt.Errorf("read document: %w", err)
		}
	}
}

// fromStatus turns a gRPC error into a plain error: ErrUnavailable when the
// adapter cannot be reached, the context's error when ctx ended, and
// otherwise the adapter's message.
func fromStatus(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, st.Message())
	case codes.Canceled:
		// Our context is alive, so the connection went away under us.
		return fmt.Errorf("%w: %s", ErrUnavailable, st.Message())
	}
	return errors.New(st.Message())
}
