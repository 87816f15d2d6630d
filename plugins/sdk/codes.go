package sdk

// Stable record error codes. Partners' ICT staff and the hub's receipts rely
// on these strings: never change one, only add new ones.
const (
	CodeEmptyDocument    = "DOC_EMPTY"        // the document has no bytes, or only a header
	CodeEncoding         = "DOC_ENCODING"     // bytes are not valid in the configured encoding
	CodeBinary           = "DOC_BINARY"       // the document is not text
	CodeHeaderMissing    = "DOC_HEADER"       // expected header columns are missing
	CodeDelimiter        = "DOC_DELIMITER"    // the header does not split on the configured delimiter
	CodeRowRagged        = "ROW_COLUMNS"      // a row has more or fewer columns than the header
	CodeQuote            = "ROW_QUOTE"        // a quoted field is not closed or malformed
	CodeRowTooLong       = "ROW_TOO_LONG"     // a row exceeds the maximum length
	CodeRequired         = "FIELD_REQUIRED"   // a required field is empty
	CodeDate             = "FIELD_DATE"       // a date does not match any configured layout
	CodeValueUnknown     = "FIELD_VALUE"      // a value is not in the field's value table
	CodeFieldFormat      = "FIELD_FORMAT"     // a value has the wrong form
	CodeSchema           = "SCHEMA_INVALID"   // the mapped registration does not satisfy the shared schema
	CodeDuplicateKey     = "RECORD_DUPLICATE" // the same record key occurs twice in one document
	CodeUnknownRecord    = "RECORD_UNKNOWN"   // a change or delete for a record the hub does not have
	CodeBSNInvalid       = "BSN_INVALID"      // the BSN fails the elfproef (a warning: the record is kept)
	CodeAdapterFailed    = "ADAPTER_FAILED"   // the adapter could not finish the document
	CodeDocumentRejected = "DOC_REJECTED"     // the hub refused the document as a whole
	CodeSyntax           = "DOC_SYNTAX"       // the document (or a record of it) is not well-formed JSON

	// Codes of consent statements (Chunk.Consents), given by the hub.
	CodeConsentInvalid     = "CONSENT_INVALID"         // the statement breaks consent.v1 or a rule of the consent registry
	CodeConsentSubject     = "CONSENT_SUBJECT_UNKNOWN" // the record key names no registration of the partner
	CodeConsentForbidden   = "CONSENT_FORBIDDEN"       // the partner's role may not record this statement
	CodeConsentUnsupported = "CONSENT_UNSUPPORTED"     // the hub has no consent registry to take the statement
)
