// Package sdk is the contract between the Ketenhub hub and its adapter
// plugins. An adapter is a separate process, started by the hub through
// hashicorp/go-plugin and spoken to over gRPC. Adapter authors implement
// Adapter (and optionally Encoder) and call Serve from main; the gRPC and
// protobuf details stay inside this package.
package sdk

import (
	"context"
	"io"
)

// Adapter maps one partner's documents onto the shared schema.
type Adapter interface {
	// Describe tells the hub the adapter's name, version, capabilities and
	// the JSON Schema of its own configuration.
	Describe(ctx context.Context) (Description, error)
	// Configure hands the adapter the partner's adapter configuration as
	// JSON, already checked against the schema from Describe. It returns a
	// *ConfigError when the configuration is unusable.
	Configure(ctx context.Context, partner string, config []byte) error
	// Decode reads one raw document from src and writes its registrations
	// and record errors to out, in chunks. Decode must be deterministic: the
	// same document and configuration give the same chunks in the same
	// order, so that the hub can resume a document after a crash by
	// skipping chunks it already stored. Problems with single records are
	// reported as RecordErrors in the chunks and never end Decode; Decode
	// returns an error only when it cannot go on (I/O, cancelled context).
	Decode(ctx context.Context, doc Document, src io.Reader, out ChunkWriter) error
}

// Document describes the raw document that the hub streams to Decode.
type Document struct {
	ID           string // the hub's id of the stored document
	Partner      string // the partner that delivered it
	OriginalName string // file name as dropped, without directories
	ReceivedAt   string // RFC 3339 time the hub stored the bytes
	Size         int64
}

// ChunkWriter receives the chunks of a decoded document.
type ChunkWriter interface {
	// WriteChunk hands one chunk to the hub. It returns an error when the
	// hub cannot take it; Decode then stops and returns that error.
	WriteChunk(ctx context.Context, c Chunk) error
}

// Chunk is a batch of decoded records: hundreds of them, never one per call.
// Seq counts from 0 within one Decode call.
type Chunk struct {
	Seq     int
	Records []Record
	Errors  []RecordError
}

// Record is one registration as shared-schema JSON, with the line of the
// source document it starts on.
type Record struct {
	Line      int
	RecordKey string
	JSON      []byte
}

// Description is what Describe returns.
type Description struct {
	Name         string
	Version      string
	Capabilities []string // for example "decode", "encode"
	ConfigSchema []byte   // JSON Schema of the adapter's configuration
}

// RecordError is a problem with one record (or, with Line 0, with the whole
// document). Code is stable and machine readable; Message is Dutch, for the
// partner's ICT staff, and never contains personal data.
type RecordError struct {
	Line      int    `json:"line"`
	Column    int    `json:"column,omitempty"`
	Field     string `json:"field,omitempty"`
	RecordKey string `json:"record_key,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// ConfigError is returned by Configure for an unusable configuration.
// Field is a JSON pointer into the adapter configuration.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string { return "config " + e.Field + ": " + e.Message }
