package docstart

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var texts = Texts{Binary: "geen bericht maar een %s-bestand", UTF16: "utf-16", Control: "stuurtekens"}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, doc, code, msg, head string
	}{
		{"OK", "<Bericht/>", "", "", "<Bericht/>"},
		{"OKBOM", "\xef\xbb\xbf{}", "", "", "{}"},
		{"OKControlsFew", "a\x01" + strings.Repeat("b", 62), "", "", "a\x01" + strings.Repeat("b", 62)},
		{"ErrEmpty", "", sdk.CodeEmptyDocument, "het document is leeg (0 bytes)", ""},
		{"ErrBlank", " \r\n\t", sdk.CodeEmptyDocument, "het document bevat alleen witruimte", ""},
		{"ErrBOMOnly", "\xef\xbb\xbf", sdk.CodeEmptyDocument, "het document bevat alleen een byte order mark (BOM) en witruimte", ""},
		{"ErrBOMBlank", "\xef\xbb\xbf \r\n", sdk.CodeEmptyDocument, "het document bevat alleen een byte order mark (BOM) en witruimte", ""},
		{"ErrPDF", "%PDF-1.7", sdk.CodeBinary, "geen bericht maar een PDF-bestand", ""},
		{"ErrZIP", "PK\x03\x04rest", sdk.CodeBinary, "geen bericht maar een ZIP (of Excel/Word)-bestand", ""},
		{"ErrUTF16LE", "\xff\xfe<\x00", sdk.CodeEncoding, "utf-16", ""},
		{"ErrUTF16BE", "\xfe\xff\x00<", sdk.CodeEncoding, "utf-16", ""},
		{"ErrNUL", "ab\x00cd", sdk.CodeBinary, "stuurtekens", ""},
		{"ErrControls", "\x01\x02" + strings.Repeat("b", 60), sdk.CodeBinary, "stuurtekens", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, refusal, err := Check(bufio.NewReaderSize(strings.NewReader(tt.doc), 64), 64, texts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.code == "" {
				if refusal != nil || string(head) != tt.head {
					t.Errorf("Check = %q, %+v; want start %q", head, refusal, tt.head)
				}
				return
			}
			if refusal == nil || refusal.Code != tt.code || refusal.Message != tt.msg || refusal.Line != 0 {
				t.Errorf("Check refuses with %+v, want %s %q", refusal, tt.code, tt.msg)
			}
		})
	}
}

// TestCheckSkipsBOM checks that the byte order mark is read away, so that
// the adapter's reader starts after it.
func TestCheckSkipsBOM(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("\xef\xbb\xbf<x/>"), 64)
	if _, refusal, err := Check(r, 64, texts); err != nil || refusal != nil {
		t.Fatalf("Check = %+v, %v", refusal, err)
	}
	if rest, _ := r.Peek(4); string(rest) != "<x/>" {
		t.Errorf("the reader stands at %q, want after the byte order mark", rest)
	}
}

func TestCheckReadError(t *testing.T) {
	broken := errors.New("disk")
	_, refusal, err := Check(bufio.NewReaderSize(iotest.ErrReader(broken), 64), 64, texts)
	if !errors.Is(err, broken) || refusal != nil {
		t.Errorf("Check = %+v, %v; want the read error", refusal, err)
	}
}
