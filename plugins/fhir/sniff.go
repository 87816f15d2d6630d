package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/internal/docstart"
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

// startTexts are the messages for a document that is no text at all.
var startTexts = docstart.Texts{
	Binary:  "het document is geen FHIR-document maar een %s-bestand",
	UTF16:   "het document is in UTF-16 opgeslagen; FHIR-documenten zijn UTF-8",
	Control: "het document is geen tekstbestand (het bevat NUL-bytes of andere stuurtekens); lever FHIR aan als JSON, NDJSON of XML",
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
	head, refusal, err := docstart.Check(r, sniffSize, startTexts)
	if err != nil || refusal != nil {
		return "", refusal, err
	}
	refuse := func(code, msg string) (format, *sdk.RecordError, error) {
		return "", &sdk.RecordError{Code: code, Message: msg}, nil
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
