package hub

import (
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Document statuses.
const (
	DocLanded   = "landed"   // bytes stored, waiting for the pipeline
	DocDecoding = "decoding" // the adapter is decoding it
	DocDone     = "done"     // every chunk stored, receipt made
	DocFailed   = "failed"   // the document could not be processed; see Failure
)

// Document sources (Document.Source): how a document reached the hub.
const (
	SourceDrop   = "drop"   // a file in the partner's drop folder
	SourceAPI    = "api"    // pushed by the partner's system (POST /v1/partners/{partner}/registrations)
	SourceReplay = "replay" // the bytes of an earlier document, landed again by ICT staff
)

// Document is a raw document as landed in the hub: a dropped file, a pushed
// payload or a polled answer. Its bytes are stored before processing.
type Document struct {
	ID            string     `json:"id"`
	Partner       string     `json:"partner"`
	OriginalName  string     `json:"original_name"`
	Source        string     `json:"source"`
	Size          int64      `json:"size"`
	SHA256        string     `json:"sha256"`
	ReceivedAt    time.Time  `json:"received_at"`
	Status        string     `json:"status"`
	ReplayOf      string     `json:"replay_of,omitempty"`
	DecodedChunks int        `json:"decoded_chunks"`
	TotalChunks   *int       `json:"total_chunks,omitempty"`
	Failure       string     `json:"failure,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	Receipt       *Receipt   `json:"receipt,omitempty"`
}

// Receipt tells a partner what happened to every record of one document.
type Receipt struct {
	DocumentID   string         `json:"document_id"`
	Partner      string         `json:"partner"`
	OriginalName string         `json:"original_name"`
	SHA256       string         `json:"sha256"`
	ReceivedAt   time.Time      `json:"received_at"`
	FinishedAt   time.Time      `json:"finished_at"`
	Status       string         `json:"status"`
	Counts       ReceiptCounts  `json:"counts"`
	Errors       []ReceiptIssue `json:"errors"`
	Warnings     []ReceiptIssue `json:"warnings"`
	// ErrorsTruncated is set when there were more errors than a receipt lists;
	// all of them remain in the quarantine.
	ErrorsTruncated bool   `json:"errors_truncated,omitempty"`
	Failure         string `json:"failure,omitempty"`
}

// ReceiptCounts are the record counts of a receipt.
type ReceiptCounts struct {
	Records   int64 `json:"records"`   // records the adapter read, good and bad
	Inserted  int64 `json:"inserted"`  // new partner records
	Updated   int64 `json:"updated"`   // changed partner records
	Unchanged int64 `json:"unchanged"` // identical to what the hub already had
	Deleted   int64 `json:"deleted"`   // delete operations applied
	Ended     int64 `json:"ended"`     // records missing from a full export, ended
	Rejected  int64 `json:"rejected"`  // records refused; see Errors
	// Consent statements the adapter delivered (sdk.Chunk.Consents):
	// recorded in the consent registry, the same as the partner's last
	// statement (not recorded again), or refused (see Errors, CONSENT_*).
	ConsentsRecorded  int64 `json:"consents_recorded,omitempty"`
	ConsentsUnchanged int64 `json:"consents_unchanged,omitempty"`
	ConsentsRejected  int64 `json:"consents_rejected,omitempty"`
}

// ReceiptIssue is one rejected record (or a warning) in a receipt: the same
// shape as the record errors adapters report.
type ReceiptIssue = sdk.RecordError
