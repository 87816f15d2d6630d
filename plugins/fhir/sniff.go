package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// format is the syntax of a document.
type format string

// The formats of config.schema.json; auto is only a setting.
const (
	formatAuto   format = "auto"
	formatXML    format = "xml"
	formatJSON   format = "json"
	formatNDJSON format = "ndjson"
)

// sniffSize is how much of the document sniff looks at.
const sniffSize = 64 << 10

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
// the record error that refuses it as a whole (Line 0). want is the
// configured format. It skips a UTF-8 byte order mark and fails only when
// reading fails.
//
// JSON whose first line is a complete JSON object, or that is dropped with a
// name ending in .ndjson or .jsonl, is NDJSON (one resource per line, as a
// FHIR bulk export writes it); other JSON is one resource or one Bundle,
// read as a stream.
func sniff(r *bufio.Reader, want format, fileName string) (format, *sdk.RecordError, error) {
	head, err := r.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", nil, fmt.Errorf("read document start: %w", err)
	}
	refuse := func(code, msg string) (format, *sdk.RecordError, error) {
		return "", &sdk.RecordError{Code: code, Message: msg}, nil
	}
	if len(bytes.TrimSpace(head)) == 0 {
		if len(head) == 0 {
			return refuse(sdk.CodeEmptyDocument, "het document is leeg (0 bytes)")
		}
		return refuse(sdk.CodeEmptyDocument, "het document bevat alleen witruimte")
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return refuse(sdk.CodeBinary, "het document is geen FHIR-document maar een "+m.name+"-bestand")
		}
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return refuse(sdk.CodeEncoding, "het document is in UTF-16 opgeslagen; FHIR-documenten zijn UTF-8")
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		if _, err := r.Discard(3); err != nil {
			return "", nil, fmt.Errorf("skip byte order mark: %w", err)
		}
		head = head[3:]
	}
	if binary(head) {
		return refuse(sdk.CodeBinary, "het document is geen tekstbestand (het bevat NUL-bytes of andere stuurtekens); lever FHIR aan als JSON, NDJSON of XML")
	}
	start := bytes.TrimLeft(head, " \t\r\n")
	var got format
	switch start[0] {
	case '<':
		got = formatXML
	case '{':
		got = formatJSON
		lower := strings.ToLower(fileName)
		if strings.HasSuffix(lower, ".ndjson") || strings.HasSuffix(lower, ".jsonl") {
			got = formatNDJSON
		} else if line, _, ok := bytes.Cut(start, []byte("\n")); ok || len(head) < sniffSize {
			if json.Valid(bytes.TrimSpace(line)) {
				got = formatNDJSON
			}
		}
	default:
		return refuse(sdk.CodeHeaderMissing, "het document is geen FHIR-document: het begint niet met XML of een JSON-object")
	}
	switch {
	case want == formatAuto || want == got:
		return got, nil, nil
	case got == formatXML || want == formatXML:
		return refuse(sdk.CodeHeaderMissing, fmt.Sprintf("het document is %s, terwijl format %s is ingesteld", name(got), name(want)))
	}
	return want, nil, nil // JSON and NDJSON as configured
}

// name names a format in a message.
func name(f format) string {
	if f == formatXML {
		return "XML"
	}
	return "JSON"
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
