package dsv

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// readAll reads every record of input.
func readAll(t *testing.T, input string, opt Options) (*DocProblem, []Record) {
	t.Helper()
	r := NewReader(strings.NewReader(input), opt)
	prob, err := r.Sniff()
	if err != nil {
		t.Fatalf("Sniff: %v", err)
	}
	if prob != nil {
		return prob, nil
	}
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil, out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rec.Fields = slices.Clone(rec.Fields)
		rec.Raw = nil
		out = append(out, rec)
	}
}

var csvOpts = Options{Delimiter: ',', Quote: '"'}

func TestReader(t *testing.T) {
	type rec struct {
		line   int
		fields []string
		kind   ProblemKind
		column int
	}
	tests := []struct {
		name  string
		opt   Options
		input string
		want  []rec
	}{
		{"OK/Simple", csvOpts, "a,b\nc,d\n", []rec{{1, []string{"a", "b"}, NoProblem, 0}, {2, []string{"c", "d"}, NoProblem, 0}}},
		{"OK/EmptyFields", csvOpts, ",,\n", []rec{{1, []string{"", "", ""}, NoProblem, 0}}},
		{"OK/Quoted", csvOpts, `"a,b","say ""hi""",c` + "\n", []rec{{1, []string{"a,b", `say "hi"`, "c"}, NoProblem, 0}}},
		{"OK/BlanksAroundQuotes", csvOpts, `a, "b" ,c`, []rec{{1, []string{"a", "b", "c"}, NoProblem, 0}}},
		{"OK/BareQuoteInsideField", csvOpts, `a,5'11" tall,c`, []rec{{1, []string{"a", `5'11" tall`, "c"}, NoProblem, 0}}},
		{"OK/EmptyQuoted", csvOpts, `"",b`, []rec{{1, []string{"", "b"}, NoProblem, 0}}},
		{"OK/LineNumbersCountBlankLines", csvOpts, "a\n\n  \nb\n", []rec{{1, []string{"a"}, NoProblem, 0}, {4, []string{"b"}, NoProblem, 0}}},
		{"OK/CRLF", csvOpts, "a\r\nb\r\n", []rec{{1, []string{"a"}, NoProblem, 0}, {2, []string{"b"}, NoProblem, 0}}},
		{"OK/LoneCR", csvOpts, "a\rb\r", []rec{{1, []string{"a"}, NoProblem, 0}, {2, []string{"b"}, NoProblem, 0}}},
		{"OK/MixedEndings", csvOpts, "a\r\nb\rc\nd", []rec{{1, []string{"a"}, NoProblem, 0}, {2, []string{"b"}, NoProblem, 0}, {3, []string{"c"}, NoProblem, 0}, {4, []string{"d"}, NoProblem, 0}}},
		{"OK/Semicolon", Options{Delimiter: ';', Quote: '"'}, "a;b,c\n", []rec{{1, []string{"a", "b,c"}, NoProblem, 0}}},
		{"OK/Tab", Options{Delimiter: '\t', Quote: '"'}, "a\tb c\n", []rec{{1, []string{"a", "b c"}, NoProblem, 0}}},
		{"OK/MultiByteDelimiter", Options{Delimiter: '§', Quote: '"'}, "a§b\n", []rec{{1, []string{"a", "b"}, NoProblem, 0}}},
		{"OK/QuotingOff", Options{Delimiter: ','}, `"a,b"` + "\n", []rec{{1, []string{`"a`, `b"`}, NoProblem, 0}}},
		{"OK/Windows1252", Options{Delimiter: ',', Encoding: Windows1252}, "M\xfcller,\x80\n", []rec{{1, []string{"Müller", "€"}, NoProblem, 0}}},
		{"OK/Multiline", Options{Delimiter: ',', Quote: '"', Multiline: true}, "a,\"b\nc\",d\ne\n", []rec{{1, []string{"a", "b\nc", "d"}, NoProblem, 0}, {3, []string{"e"}, NoProblem, 0}}},
		{"OK/MultilineBlankLineInside", Options{Delimiter: ',', Quote: '"', Multiline: true}, "\"b\n\nc\"\n", []rec{{1, []string{"b\n\nc"}, NoProblem, 0}}},
		{"QuoteOpen/EndsAtEndOfLine", csvOpts, "a,\"b\nc,d\n", []rec{{1, []string{"a"}, QuoteOpen, 2}, {2, []string{"c", "d"}, NoProblem, 0}}},
		{"QuoteOpen/MultilineAtEOFReadsRestAgain", Options{Delimiter: ',', Quote: '"', Multiline: true}, "a,\"b\nc,d\ne\n", []rec{{1, []string{"a"}, QuoteOpen, 2}, {2, []string{"c", "d"}, NoProblem, 0}, {3, []string{"e"}, NoProblem, 0}}},
		{"QuoteOpen/MultilineBounded", Options{Delimiter: ',', Quote: '"', Multiline: true, MaxRecordBytes: 8}, "\"ab\ncd\nef\ngh\"\n", []rec{{1, nil, QuoteOpen, 1}, {2, []string{"cd"}, NoProblem, 0}, {3, []string{"ef"}, NoProblem, 0}, {4, []string{`gh"`}, NoProblem, 0}}},
		{"TextAfterQuote", csvOpts, "\"a\"b,c\nd\n", []rec{{1, nil, TextAfterQuote, 1}, {2, []string{"d"}, NoProblem, 0}}},
		{"TooLong", Options{Delimiter: ',', MaxRecordBytes: 4}, "abcd\nabcde\nab\n", []rec{{1, []string{"abcd"}, NoProblem, 0}, {2, nil, TooLong, 0}, {3, []string{"ab"}, NoProblem, 0}}},
		{"TooLong/MultilineContinuationReadAgain", Options{Delimiter: ',', Quote: '"', Multiline: true, MaxRecordBytes: 4}, "\"ab\nabcdef\ncd\n", []rec{{1, nil, QuoteOpen, 1}, {2, nil, TooLong, 0}, {3, []string{"cd"}, NoProblem, 0}}},
		{"Binary/NUL", csvOpts, "a,b\x00c\nd\n", []rec{{1, []string{"a", "b\x00c"}, Binary, 2}, {2, []string{"d"}, NoProblem, 0}}},
		{"Binary/WinsOverQuote", csvOpts, "a,\"b\x00\n", []rec{{1, []string{"a"}, Binary, 0}}},
		{"InvalidUTF8", csvOpts, "a,M\xfcller\nb\n", []rec{{1, []string{"a", "M\xfcller"}, InvalidUTF8, 2}, {2, []string{"b"}, NoProblem, 0}}},
		{"UTF8In1252", Options{Delimiter: ',', Encoding: Windows1252}, "a,Müller\n", []rec{{1, []string{"a", "MÃ¼ller"}, UTF8In1252, 2}}},
		{"Undefined1252", Options{Delimiter: ',', Encoding: Windows1252}, "a,\x81\n", []rec{{1, []string{"a", "\uFFFD"}, Undefined1252, 2}}},
		{"OK/CtrlZSkipped", csvOpts, "a\n\x1a", []rec{{1, []string{"a"}, NoProblem, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prob, recs := readAll(t, tt.input, tt.opt)
			if prob != nil {
				t.Fatalf("Sniff: %+v", prob)
			}
			var got []rec
			for _, r := range recs {
				got = append(got, rec{r.Line, r.Fields, r.Problem.Kind, r.Problem.Column})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  *DocProblem
		first string // the first field of the first record, when no problem
	}{
		{"OK", "a,b\n", nil, "a"},
		{"OK/BOMStripped", "\xEF\xBB\xBFa,b\n", nil, "a"},
		{"OK/BlankLines", "\n\n\n", nil, ""},
		{"Empty", "", &DocProblem{Kind: DocEmpty}, ""},
		{"UTF16LE", "\xFF\xFEa\x00", &DocProblem{Kind: DocUTF16}, ""},
		{"UTF16BE", "\xFE\xFF\x00a", &DocProblem{Kind: DocUTF16}, ""},
		{"Xlsx", "PK\x03\x04rest", &DocProblem{Kind: DocBinary, Format: "zip/xlsx"}, ""},
		{"Xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", &DocProblem{Kind: DocBinary, Format: "xls"}, ""},
		{"Pdf", "%PDF-1.7", &DocProblem{Kind: DocBinary, Format: "pdf"}, ""},
		{"ControlBytes", strings.Repeat("\x00\x01ab", 50), &DocProblem{Kind: DocBinary}, ""},
		{"OK/FewControlBytes", "a,b\x00c\n" + strings.Repeat("abcdefghij\n", 10), nil, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prob, recs := readAll(t, tt.input, csvOpts)
			if fmt.Sprint(prob) != fmt.Sprint(tt.want) {
				t.Fatalf("problem = %+v, want %+v", prob, tt.want)
			}
			if tt.first != "" && (len(recs) == 0 || recs[0].Fields[0] != tt.first) {
				t.Errorf("first record = %+v, want first field %q", recs, tt.first)
			}
		})
	}
}

// TestReaderSmallReads reads through a reader that hands out one byte at a
// time, so that every line ending falls on a buffer boundary.
func TestReaderSmallReads(t *testing.T) {
	input := "a,\"b\r\nc\",d\r\ne\rf\n"
	want := []string{"[a b\nc d]", "[e]", "[f]"}
	r := NewReader(iotest.OneByteReader(strings.NewReader(input)), Options{Delimiter: ',', Quote: '"', Multiline: true})
	if _, err := r.Sniff(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(rec.Fields))
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReaderLongLineBoundedMemory(t *testing.T) {
	const size = 32 << 20
	src := io.MultiReader(strings.NewReader("a\n"), io.LimitReader(repeatReader('x'), size), strings.NewReader("\nb\n"))
	r := NewReader(src, Options{Delimiter: ','})
	if _, err := r.Sniff(); err != nil {
		t.Fatal(err)
	}
	var kinds []ProblemKind
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, rec.Problem.Kind)
	}
	if want := []ProblemKind{NoProblem, TooLong, NoProblem}; !slices.Equal(kinds, want) {
		t.Errorf("problems = %v, want %v", kinds, want)
	}
	if c := cap(r.lines.buf); c > 2*DefaultMaxRecordBytes {
		t.Errorf("line buffer grew to %d bytes for a %d-byte line", c, size)
	}
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestSplit(t *testing.T) {
	got := Split([]byte(`a;"b;c";d`), ';', '"')
	if want := []string{"a", "b;c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
}

// TestReaderGolden reads the documents in testdata with every option set and
// compares the records with testdata/golden.
func TestReaderGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".csv")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]any{}
			for _, multiline := range []bool{false, true} {
				_, recs := readAll(t, string(data), Options{Delimiter: ',', Quote: '"', Multiline: multiline, MaxRecordBytes: 64})
				var rows []map[string]any
				for _, r := range recs {
					rows = append(rows, map[string]any{"line": r.Line, "fields": r.Fields, "problem": r.Problem.Kind.String(), "column": r.Problem.Column})
				}
				out[fmt.Sprintf("multiline=%v", multiline)] = rows
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			sdktest.Golden(t, filepath.Join("testdata", "golden", name+".json"), got, *update)
		})
	}
}
