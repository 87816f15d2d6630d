package pipeline

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/ketenhub/ketenhub/hub/store"
)

// documentMessage asks the decode stage to process one landed document.
type documentMessage struct {
	DocumentID string
	Partner    string
}

// chunkMessage carries one decoded, validated chunk from the decode stage to
// the store stage. It never carries a single row: a chunk holds hundreds.
// The end of a document is a chunk with Last set and no records.
type chunkMessage struct {
	DocumentID string
	Partner    string
	Seq        int
	Last       bool
	EndMissing bool
	// MaxMissingShare goes with EndMissing on the end-of-document marker.
	MaxMissingShare float64
	Records         []chunkRecord
	Rejected        []store.QuarantinedRecord
	// Fills give unchanged registrations a current source digest (see
	// refresh).
	Fills []digestFill
	// Consents are the adapter's consent statements, taken after the
	// chunk's records are stored and linked.
	Consents []chunkConsent
	// Results is set for a pushed document, whose outcome is kept per
	// record (see results.go); Unchanged are then its records that the
	// decode stage found unchanged.
	Results   bool
	Unchanged []store.RecordRef
}

// chunkConsent is one consent statement of a chunk (sdk.Consent).
type chunkConsent struct {
	Line      int
	RecordKey string
	JSON      []byte
}

type chunkRecord struct {
	RecordKey    string
	Operation    string
	ContentHash  []byte
	Data         []byte
	Line         int
	RegisteredAt *time.Time
	SourceDigest []byte
}

// digestFill is the source digest of an unchanged record whose registration
// has none, or one of another tag.
type digestFill struct {
	RecordKey    string
	ContentHash  []byte
	SourceDigest []byte
}

// finishedMessage tells the receipt writer that a document is done or failed.
type finishedMessage struct {
	DocumentID string
	Partner    string
}

// acceptedMessage announces stored registrations of one chunk to whoever
// routes them on (outbound adapters, dashboards).
type acceptedMessage struct {
	DocumentID string
	Partner    string
	Seq        int
	RecordKeys []string
	FeedSeqs   []int64
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

func decode(b []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return permanent(fmt.Errorf("decode %T: %w", v, err))
	}
	return nil
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// Permanent marks err as an error that retrying cannot fix, such as an
// adapter that is disabled: the document fails at once, with err as its
// reason, instead of after every retry. An Adapters implementation returns
// it from Decode.
func Permanent(err error) error { return permanent(err) }
