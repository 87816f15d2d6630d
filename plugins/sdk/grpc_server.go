package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// grpcServer serves an Adapter inside the adapter process.
type grpcServer struct {
	adapterpb.UnimplementedAdapterServer
	impl Adapter
}

var errDecodeDone = errors.New("decode returned")

func (s *grpcServer) Describe(ctx context.Context, _ *adapterpb.DescribeRequest) (_ *adapterpb.DescribeResponse, err error) {
	defer recoverStatus(&err)
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return descriptionToProto(d), nil
}

func (s *grpcServer) Configure(ctx context.Context, req *adapterpb.ConfigureRequest) (_ *adapterpb.ConfigureResponse, err error) {
	defer recoverStatus(&err)
	err = s.impl.Configure(ctx, req.GetPartner(), req.GetConfig())
	var ce *ConfigError
	if errors.As(err, &ce) {
		return &adapterpb.ConfigureResponse{ConfigError: configErrorToProto(ce)}, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &adapterpb.ConfigureResponse{}, nil
}

// Decode reads the header and the known digests, then feeds the data frames
// through a pipe to the adapter while the adapter's chunks are sent back on
// the same stream.
func (s *grpcServer) Decode(stream adapterpb.Adapter_DecodeServer) (err error) {
	defer recoverStatus(&err)
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "decode: stream closed before the header")
	}
	if err != nil {
		return err
	}
	header := first.GetHeader()
	if header == nil {
		return status.Error(codes.InvalidArgument, "decode: first message is not a header")
	}
	doc := documentFromProto(header)
	// The known digests come before the first data frame; the header says
	// how many (a hint: a buffer of at most 1 GiB is made for them at once).
	var known []byte
	if n := header.GetKnownDigests(); n > 0 && n <= 1<<30/DigestSize {
		known = make([]byte, 0, n*DigestSize)
	}
	var firstData []byte
	eof := false
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			eof = true
			break
		}
		if err != nil {
			return err
		}
		if k, ok := req.GetMsg().(*adapterpb.DecodeRequest_KnownDigests); ok {
			known = append(known, k.KnownDigests...)
			continue
		}
		if req.GetHeader() != nil {
			return status.Error(codes.InvalidArgument, "decode: second header")
		}
		firstData = req.GetData()
		break
	}
	if len(known) > 0 {
		if doc.Known, err = NewDigestSet(known); err != nil {
			return status.Error(codes.InvalidArgument, "decode: "+err.Error())
		}
	}

	pr, pw := io.Pipe()
	// Closing the read side unblocks the frame reader when the adapter
	// stops before the end of the document.
	defer pr.CloseWithError(errDecodeDone)
	go func() {
		if len(firstData) > 0 {
			if _, err := pw.Write(firstData); err != nil {
				return
			}
		}
		if eof {
			_ = pw.Close()
			return
		}
		receiveFrames(stream, pw)
	}()

	if err := s.impl.Decode(stream.Context(), doc, pr, &streamWriter{stream: stream}); err != nil {
		return toStatus(err)
	}
	return nil
}

// receiveFrames copies the data frames of stream into pw until the client
// closes its send side, the stream breaks or the reader is closed.
func receiveFrames(stream adapterpb.Adapter_DecodeServer, pw *io.PipeWriter) {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			_ = pw.Close()
			return
		}
		if err != nil {
			_ = pw.CloseWithError(fmt.Errorf("receive document: %w", err))
			return
		}
		if _, ok := req.GetMsg().(*adapterpb.DecodeRequest_Data); !ok {
			_ = pw.CloseWithError(errors.New("receive document: a header or known digests after the data"))
			return
		}
		if _, err := pw.Write(req.GetData()); err != nil {
			return
		}
	}
}

// streamWriter is the ChunkWriter the adapter writes to inside the adapter
// process. It may be called from several goroutines.
type streamWriter struct {
	mu     sync.Mutex
	stream adapterpb.Adapter_DecodeServer
}

func (w *streamWriter) WriteChunk(ctx context.Context, c Chunk) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send chunk %d: %w", c.Seq, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.stream.Send(&adapterpb.DecodeResponse{Chunk: chunkToProto(c)}); err != nil {
		return fmt.Errorf("send chunk %d: %w", c.Seq, err)
	}
	return nil
}

// toStatus turns an adapter's error into a gRPC status error.
func toStatus(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// recoverStatus turns a panic in the adapter into an Internal status, so that
// one bad document does not take the process down.
func recoverStatus(err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "adapter panicked: %v", r)
	}
}
