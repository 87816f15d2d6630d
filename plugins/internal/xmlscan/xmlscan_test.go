package xmlscan

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads doc to its end or first error and returns what Diagnose
// says of that error; ok when the document reads to its end.
func readAll(t *testing.T, s *Scanner) (p Problem, line int, err error, ok bool) {
	t.Helper()
	if _, err = s.Root(); err != nil {
		p, line = s.Diagnose(err)
		return p, line, err, false
	}
	for {
		if _, err = s.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, 0, err, true
			}
			p, line = s.Diagnose(err)
			return p, line, err, false
		}
	}
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name, doc string
		want      Problem
		line      int
	}{
		{"Charset", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a/>", Charset, 1},
		{"LongRun", "<a>\n" + strings.Repeat("x", 100) + "</a>", LongRun, 1},
		{"Truncated", "<a>\n<b>\n", Truncated, 3},
		{"TruncatedInTag", "<a>\n<b x=", Truncated, 2},
		{"Malformed", "<a>\n\n<b></c></a>", Malformed, 3},
		{"TextBeforeRoot", "\ntekst <a/>", Malformed, 2},
		{"Unreadable", "<?xml version=\"1.1\"?><a/>", Unreadable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, line, err, ok := readAll(t, New(strings.NewReader(tt.doc), 64))
			if ok || p != tt.want || line != tt.line {
				t.Errorf("Diagnose(%v) = %d on line %d, want %d on line %d", err, p, line, tt.want, tt.line)
			}
		})
	}
}

func TestScannerReads(t *testing.T) {
	s := New(strings.NewReader("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<a>"+strings.Repeat("x", 64)+"<b/></a>\n"), 64)
	root, err := s.Root()
	if err != nil || root.Name.Local != "a" || s.Line() != 3 {
		t.Fatalf("Root = %v, %v on line %d; want a on line 3", root.Name.Local, err, s.Line())
	}
	for {
		_, err := s.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("a run of exactly the bound fails: %v", err)
		}
	}
}

func TestDiagnoseReadFailed(t *testing.T) {
	broken := errors.New("disk")
	s := New(io.MultiReader(strings.NewReader("<a><b>"), iotest.ErrReader(broken)), 64)
	p, _, err, ok := readAll(t, s)
	if ok || p != ReadFailed || !errors.Is(err, broken) {
		t.Errorf("Diagnose(%v) = %d, want ReadFailed", err, p)
	}
}

func TestAfterRoot(t *testing.T) {
	tests := []struct {
		name, doc string
		want      Trailer
		line      int
		err       bool
	}{
		{"Nothing", "<a/>\n<!-- c -->\n<?pi x?>\n \n", Nothing, 0, false},
		{"Element", "<a/>\n\n<b/>", Element, 3, false},
		{"Text", "<a/>\n tekst", Text, 2, false},
		{"Err", "<a/>\n<!-- c", Nothing, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(strings.NewReader(tt.doc), 64)
			if _, err := s.Root(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Token(); err != nil { // the end of <a/>
				t.Fatal(err)
			}
			got, err := s.AfterRoot()
			if got != tt.want || (err != nil) != tt.err || tt.line > 0 && s.Line() != tt.line {
				t.Errorf("AfterRoot = %d, %v on line %d; want %d on line %d (error: %v)", got, err, s.Line(), tt.want, tt.line, tt.err)
			}
		})
	}
}

func TestNextStart(t *testing.T) {
	doc := "<a>tekst<!-- c --><b/>meer</a>"
	for _, strict := range []bool{false, true} {
		d := New(strings.NewReader(doc), 64).Decoder
		if _, err := NextStart(d, strict); err != nil {
			t.Fatal(err)
		}
		el, err := NextStart(d, strict)
		switch {
		case !strict && (err != nil || el.Name.Local != "b"):
			t.Errorf("NextStart = %v, %v; want b, past the text", el.Name.Local, err)
		case strict && err == nil:
			t.Errorf("strict NextStart = %v past text, want an *xml.SyntaxError", el.Name.Local)
		}
	}
}
