package sdk

// CapabilityPush is the capability of an adapter that reads the documents
// partner systems push to the hub over HTTP (POST
// /v1/partners/{partner}/registrations). The hub takes pushes only for
// partners whose adapter declares it, and answers a push with a result per
// record, found by the record's Line. So such an adapter numbers records,
// not lines of text: Record.Line, Unchanged.Line and RecordError.Line are
// the record's number in the document, counting from 1 (0 remains the
// document as a whole), so that record n is the (n-1)th of the records the
// partner sent.
const CapabilityPush = "push"
