// Package sdk is the contract between the Ketenhub hub and its adapter
// plugins. An adapter is a separate process, started by the hub through
// hashicorp/go-plugin and spoken to over gRPC. Adapter authors implement
// Adapter and call Serve from main; the gRPC and protobuf details stay
// inside this package.
//
// # The digest capability
//
// Partners send full exports every night in which most records are the same
// as the night before. An adapter with the digest capability lets the hub
// leave those records unmapped:
//
//  1. Its Decode sets Record.SourceDigest on every record: a digest
//     (DigestBuilder) over the record's source fields that the
//     configuration uses, seeded with BuildID, the partner and the
//     configuration. The hub stores the digest with the registration.
//  2. With the next document of the partner the hub sends the digests of
//     the registrations it holds, active (Document.Known).
//  3. Decode splits every record and computes its digest as before, but
//     does not map a record whose digest is known: it reports its line and
//     key as Unchanged instead (Batcher.AddUnchanged). The hub counts it as
//     delivered and unchanged, and for a full export as seen.
//
// Such an adapter lists CapabilityDigest in its Description; the hub sends
// Known only to adapters that do. The rest of the contract stays: a record
// is reported as Unchanged only where Decode would otherwise deliver it as a
// record without record errors (a repeated key stays an error, also when
// the hub holds the record), and the chunks are the same for the same
// document, configuration and Known. One rule is new: an Unchanged record
// takes a record's place in its chunk (as with Batcher), so that chunk n
// covers the same records whichever of them are known. The hub relies on
// it to resume a document after a crash: it sends the digests it holds at
// that moment, which include those of the records it stored from the
// chunks before. The conformance suite (plugins/sdktest) checks the
// capability for adapters that declare it.
package sdk

import (
	"context"
	"io"
	"slices"
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
	// Known are the source digests of the registrations the hub holds,
	// active, in the order of their record keys; nil for adapters without
	// CapabilityDigest. Decode reports a record whose digest is known as
	// Unchanged instead of mapping it. Look them up with a DigestSeeker
	// (Known.Seeker()), which is fastest for a document in key order.
	Known *DigestSet
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
	// Unchanged are the records whose source digest is in Document.Known,
	// not mapped.
	Unchanged []Unchanged
	// Consents are the consent statements found, each after the record it
	// concerns (see Consent); nil from adapters that deliver none.
	Consents []Consent
}

// Unchanged is a record that the hub holds unchanged: its source digest is
// in Document.Known.
type Unchanged struct {
	Line      int    // the line of the source document the record starts on
	RecordKey string // the key Decode would have given the record
}

// Record is one registration as shared-schema JSON, with the line of the
// source document it starts on.
type Record struct {
	Line      int
	RecordKey string
	JSON      []byte
	// SourceDigest is the digest of the record's source: DigestSize bytes,
	// the first DigestTagSize of them a tag of everything besides the record
	// that it depends on (see DigestBuilder). Adapters with CapabilityDigest
	// set it on every record they deliver without record errors; others
	// leave it nil.
	SourceDigest []byte
}

// Description is what Describe returns.
type Description struct {
	Name         string
	Version      string
	Capabilities []string // for example "decode", CapabilityDigest
	ConfigSchema []byte   // JSON Schema of the adapter's configuration
}

// Clone returns a copy of d that shares no slices with it, for a Describe
// that returns a description the adapter keeps.
func (d Description) Clone() Description {
	d.Capabilities = slices.Clone(d.Capabilities)
	d.ConfigSchema = slices.Clone(d.ConfigSchema)
	return d
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
