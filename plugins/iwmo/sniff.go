package main

import (
	"bufio"
	"bytes"

	"github.com/ketenhub/ketenhub/plugins/internal/docstart"
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

// startTexts are the messages for a document that is no text at all.
var startTexts = docstart.Texts{
	Binary:  "het document is geen iWmo-bericht maar een %s-bestand",
	UTF16:   "het document is in UTF-16 opgeslagen; lever iWmo-berichten aan in UTF-8",
	Control: "het document is geen tekstbestand (het bevat NUL-bytes of andere stuurtekens); lever een iWmo-bericht aan in XML of in het vaste-lengteformaat",
}

// sniff looks at the start of the document and tells its format, or returns
// the record error that refuses it as a whole (Line 0). It skips a UTF-8
// byte order mark. It fails only when reading fails.
func sniff(r *bufio.Reader) (format, *sdk.RecordError, error) {
	head, refusal, err := docstart.Check(r, sniffSize, startTexts)
	if refusal != nil {
		refusal.Message = withRC(refusal.Message, rcTechnical)
	}
	if err != nil || refusal != nil {
		return formatUnknown, refusal, err
	}
	refuse := func(code, msg string) (format, *sdk.RecordError, error) {
		return formatUnknown, &sdk.RecordError{Code: code, Message: withRC(msg, rcTechnical)}, nil
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

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
