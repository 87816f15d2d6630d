package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// format is the syntax of a document.
type format int

const (
	formatUnknown format = iota
	formatXML
	formatEI
)

// sniffSize is how much of the document sniff looks at.
const sniffSize = 4096

// magics name the binary formats that partners drop by mistake.
var magics = []struct {
	prefix, name string
}{
	{"PK\x03\x04", "ZIP (of Excel/Word)"},
	{"%PDF", "PDF"},
	{"\x1f\x8b", "gzip"},
	{"\xd0\xcf\x11\xe0", "Office 97-2003"},
}

// sniff looks at the start of the document and tells its format, or returns
// the record error that refuses it as a whole (Line 0). It skips a UTF-8
// byte order mark. It fails only when reading fails.
func sniff(r *bufio.Reader) (format, *sdk.RecordError, error) {
	head, err := r.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, nil, fmt.Errorf("read document start: %w", err)
	}
	refuse := func(code, msg string) (format, *sdk.RecordError, error) {
		return formatUnknown, &sdk.RecordError{Code: code, Message: withRC(msg, rcTechnical)}, nil
	}
	if len(bytes.TrimSpace(head)) == 0 {
		if len(head) == 0 {
			return refuse(sdk.CodeEmptyDocument, "het document is leeg (0 bytes)")
		}
		return refuse(sdk.CodeEmptyDocument, "het document bevat alleen witruimte")
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return refuse(sdk.CodeBinary, "het document is geen iWmo-bericht maar een "+m.name+"-bestand")
		}
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return refuse(sdk.CodeEncoding, "het document is in UTF-16 opgeslagen; lever iWmo-berichten aan in UTF-8")
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		if _, err := r.Discard(3); err != nil {
			return 0, nil, fmt.Errorf("skip byte order mark: %w", err)
		}
		head = head[3:]
	}
	if binary(head) {
		return refuse(sdk.CodeBinary, "het document is geen tekstbestand (het bevat NUL-bytes of andere stuurtekens); lever een iWmo-bericht aan in XML of in het vaste-lengteformaat")
	}
	start := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case start[0] == '<':
		return formatXML, nil, nil
	case len(head) >= 2 && isDigit(head[0]) && isDigit(head[1]):
		return formatEI, nil, nil // the reader checks that the first record is a voorlooprecord
	case start[0] == '{' || start[0] == '[':
		return refuse(sdk.CodeHeaderMissing, "het document is JSON en geen iWmo-bericht (verwacht XML of het vaste-lengteformaat met een voorlooprecord 01)")
	}
	return refuse(sdk.CodeHeaderMissing, "het document is geen iWmo-bericht: het begint niet met XML en niet met een voorlooprecord (recordtype 01)")
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

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
