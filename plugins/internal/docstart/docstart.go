// Package docstart looks at the start of a document before an adapter reads
// it, and refuses what is no text document at all: an empty one, a known
// binary format that a partner dropped by mistake, UTF-16, or bytes full of
// control characters. It serves the adapters whose documents are text in
// UTF-8 (plugins/fhir, plugins/iwmo); each says in its own words what it
// expected instead.
package docstart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Texts are an adapter's Dutch messages for a document it refuses; the
// messages for an empty document are the same for every adapter.
type Texts struct {
	// Binary is the message for a known binary format; its %s is the
	// format's name, such as "PDF".
	Binary string
	// UTF16 is the message for a document with a UTF-16 byte order mark.
	UTF16 string
	// Control is the message for a document with NUL bytes or many other
	// control characters.
	Control string
}

// magics name the binary formats that partners drop by mistake.
var magics = []struct {
	prefix, name string
}{
	{"PK\x03\x04", "ZIP (of Excel/Word)"},
	{"%PDF", "PDF"},
	{"\x1f\x8b", "gzip"},
	{"\xd0\xcf\x11\xe0", "Office 97-2003"},
}

// Check looks at the first size bytes of r, which must buffer at least
// that many. It skips a UTF-8 byte order mark and returns the start of the
// document after it, of which at least one byte is not white space; or the
// record error (Line 0) that refuses the document as a whole, with
// sdk.CodeEmptyDocument, sdk.CodeBinary or sdk.CodeEncoding and a message of
// t. It returns an error only when reading fails.
func Check(r *bufio.Reader, size int, t Texts) (head []byte, refusal *sdk.RecordError, err error) {
	head, err = r.Peek(size)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("read document start: %w", err)
	}
	refuse := func(code, msg string) ([]byte, *sdk.RecordError, error) {
		return nil, &sdk.RecordError{Code: code, Message: msg}, nil
	}
	if len(bytes.TrimSpace(head)) == 0 {
		if len(head) == 0 {
			return refuse(sdk.CodeEmptyDocument, "het document is leeg (0 bytes)")
		}
		return refuse(sdk.CodeEmptyDocument, "het document bevat alleen witruimte")
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return refuse(sdk.CodeBinary, fmt.Sprintf(t.Binary, m.name))
		}
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return refuse(sdk.CodeEncoding, t.UTF16)
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		if _, err := r.Discard(3); err != nil {
			return nil, nil, fmt.Errorf("skip byte order mark: %w", err)
		}
		head = head[3:]
		if len(bytes.TrimSpace(head)) == 0 {
			return refuse(sdk.CodeEmptyDocument, "het document bevat alleen een byte order mark (BOM) en witruimte")
		}
	}
	if binary(head) {
		return refuse(sdk.CodeBinary, t.Control)
	}
	return head, nil, nil
}

// binary reports whether b looks like binary data: a NUL byte, or more than
// one in 64 bytes a control character other than tab, line feed, carriage
// return and form feed.
func binary(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f', c == 0x7f:
			ctl++
		}
	}
	return ctl*64 > len(b)
}
