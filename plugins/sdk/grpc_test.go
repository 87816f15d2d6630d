package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// lineAdapter decodes "key,value" lines: a line starting with "bad" becomes
// a record error, "consent,key,state" a consent statement about key, "boom"
// makes Decode fail and "panic" makes it panic.
type lineAdapter struct {
	mu    sync.Mutex
	batch int
}

type lineConfig struct {
	Batch int    `json:"batch"`
	Fail  string `json:"fail"`
}

func (a *lineAdapter) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{
		Name:         "lines",
		Version:      "0.1.0",
		Capabilities: []string{"decode"},
		ConfigSchema: []byte(`{"type":"object"}`),
	}, nil
}

func (a *lineAdapter) Configure(_ context.Context, _ string, config []byte) error {
	var c lineConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return &sdk.ConfigError{Field: "", Message: "geen geldige JSON"}
	}
	switch c.Fail {
	case "config":
		return fmt.Errorf("load: %w", &sdk.ConfigError{Field: "/batch", Message: "moet positief zijn"})
	case "other":
		return errors.New("disk on fire")
	}
	a.mu.Lock()
	a.batch = c.Batch
	a.mu.Unlock()
	return nil
}

func (a *lineAdapter) Decode(ctx context.Context, _ sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	a.mu.Lock()
	b := sdk.NewBatcher(out, a.batch)
	a.mu.Unlock()
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case text == "boom":
			return fmt.Errorf("line %d: boom", line)
		case text == "panic":
			panic("kapot")
		case strings.HasPrefix(text, "bad"):
			if err := b.AddError(ctx, sdk.RecordError{Line: line, Column: 1, Field: "key", Code: sdk.CodeFieldFormat, Message: "ongeldige sleutel"}); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(text, "consent,"):
			f := strings.Split(text, ",")
			st := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: "ggz"}, Client: sdk.ConsentClient{RecordKey: f[1]},
				Recipient: "opvang", Purpose: "zorgcoordinatie", State: f[2], LegalBasis: sdk.BasisToestemming}
			if err := b.AddConsent(ctx, st.Consent(line)); err != nil {
				return err
			}
			continue
		}
		key, value, _ := strings.Cut(text, ",")
		js, err := json.Marshal(map[string]string{"key": key, "value": value})
		if err != nil {
			return err
		}
		if err := b.Add(ctx, sdk.Record{Line: line, RecordKey: key, JSON: js}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return b.Flush(ctx)
}

// collector is a ChunkWriter that keeps what it gets and can fail on a
// given chunk.
type collector struct {
	chunks []sdk.Chunk
	failAt int // fail on this Seq when > 0
	err    error
}

func (c *collector) WriteChunk(_ context.Context, ch sdk.Chunk) error {
	if c.failAt > 0 && ch.Seq == c.failAt {
		return c.err
	}
	c.chunks = append(c.chunks, ch)
	return nil
}

func (c *collector) records() int {
	n := 0
	for _, ch := range c.chunks {
		n += len(ch.Records)
	}
	return n
}

func newClient(t *testing.T, batch int) sdk.Adapter {
	t.Helper()
	a := sdk.TestClient(t, &lineAdapter{})
	if err := a.Configure(context.Background(), "ggz", fmt.Appendf(nil, `{"batch":%d}`, batch)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return a
}

func TestDescribe(t *testing.T) {
	a := sdk.TestClient(t, &lineAdapter{})
	got, err := a.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := (&lineAdapter{}).Describe(context.Background())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe = %+v, want %+v", got, want)
	}
}

func TestConfigure(t *testing.T) {
	a := sdk.TestClient(t, &lineAdapter{})
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		if err := a.Configure(ctx, "ggz", []byte(`{"batch":2}`)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ConfigError", func(t *testing.T) {
		err := a.Configure(ctx, "ggz", []byte(`{"fail":"config"}`))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v (%T), want *sdk.ConfigError", err, err)
		}
		if ce.Field != "/batch" || ce.Message != "moet positief zijn" {
			t.Errorf("ConfigError = %+v", ce)
		}
	})
	t.Run("OtherError", func(t *testing.T) {
		err := a.Configure(ctx, "ggz", []byte(`{"fail":"other"}`))
		var ce *sdk.ConfigError
		if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("err = %v, want plain error with the adapter's message", err)
		}
	})
}

func TestDecode(t *testing.T) {
	a := newClient(t, 2)
	src := "a,1\nb,2\nbad\nc,3\nd,4\n"
	var out collector
	doc := sdk.Document{ID: "doc1", Partner: "ggz", OriginalName: "x.csv", Size: int64(len(src))}
	if err := a.Decode(context.Background(), doc, strings.NewReader(src), &out); err != nil {
		t.Fatal(err)
	}
	rec := func(line int, key, value string) sdk.Record {
		return sdk.Record{Line: line, RecordKey: key, JSON: fmt.Appendf(nil, `{"key":%q,"value":%q}`, key, value)}
	}
	want := []sdk.Chunk{
		{Seq: 0, Records: []sdk.Record{rec(1, "a", "1"), rec(2, "b", "2")}},
		{Seq: 1, Records: []sdk.Record{rec(4, "c", "3")}, Errors: []sdk.RecordError{
			{Line: 3, Column: 1, Field: "key", Code: sdk.CodeFieldFormat, Message: "ongeldige sleutel"},
		}},
		{Seq: 2, Records: []sdk.Record{rec(5, "d", "4")}},
	}
	if !reflect.DeepEqual(out.chunks, want) {
		t.Errorf("chunks =\n%+v\nwant\n%+v", out.chunks, want)
	}
}

// TestDecodeConsents: consent statements travel with the chunks, after
// their records, without counting towards a chunk's size.
func TestDecodeConsents(t *testing.T) {
	a := newClient(t, 2)
	src := "a,1\nconsent,a,given\nb,2\nconsent,b,withdrawn\n"
	var out collector
	if err := a.Decode(context.Background(), sdk.Document{ID: "doc1", Partner: "ggz"}, strings.NewReader(src), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.chunks) != 2 || len(out.chunks[0].Records) != 2 || len(out.chunks[0].Consents) != 1 || len(out.chunks[1].Consents) != 1 {
		t.Fatalf("chunks %+v, want two records and a statement, then a statement", out.chunks)
	}
	c := out.chunks[1].Consents[0]
	want := `{"schema_version":"1","source":{"partner":"ggz"},"client":{"record_key":"b"},"recipient":"opvang","purpose":"zorgcoordinatie","state":"withdrawn","legal_basis":"toestemming"}`
	if c.Line != 4 || c.RecordKey != "b" || string(c.JSON) != want {
		t.Errorf("statement %+v (%s), want line 4, key b, %s", c, c.JSON, want)
	}
}

func TestDecodeEmpty(t *testing.T) {
	a := newClient(t, 2)
	var out collector
	if err := a.Decode(context.Background(), sdk.Document{}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.chunks) != 0 {
		t.Errorf("chunks = %+v, want none", out.chunks)
	}
}

// lines is a reader of n generated lines of about width bytes each, without
// holding them all in memory.
type lines struct {
	n, width, i int
	buf         bytes.Buffer
}

func (l *lines) Read(p []byte) (int, error) {
	for l.buf.Len() < len(p) && l.i < l.n {
		fmt.Fprintf(&l.buf, "k%d,%s\n", l.i, strings.Repeat("x", l.width))
		l.i++
	}
	if l.buf.Len() == 0 {
		return 0, io.EOF
	}
	return l.buf.Read(p)
}

func TestDecodeLarge(t *testing.T) {
	a := newClient(t, 200)
	const n = 20_000 // 20k lines of 1 KiB: about 20 MB
	var out collector
	src := &lines{n: n, width: 1000}
	if err := a.Decode(context.Background(), sdk.Document{ID: "big"}, src, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.records(); got != n {
		t.Errorf("records = %d, want %d", got, n)
	}
	for i, ch := range out.chunks {
		if ch.Seq != i {
			t.Fatalf("chunk %d has Seq %d", i, ch.Seq)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	errOut := errors.New("store full")
	errRead := errors.New("disk gone")
	tests := []struct {
		name   string
		src    io.Reader
		out    *collector
		want   error  // matched with errors.Is
		substr string // or contained in the message
	}{
		{name: "ErrAdapter", src: strings.NewReader("a,1\nboom\n"), out: &collector{}, substr: "line 2: boom"},
		{name: "ErrPanic", src: strings.NewReader("panic\n"), out: &collector{}, substr: "adapter panicked: kapot"},
		{name: "ErrWriteChunk", src: &lines{n: 20_000, width: 1000}, out: &collector{failAt: 3, err: errOut}, want: errOut},
		{name: "ErrRead", src: io.MultiReader(&lines{n: 2000, width: 100}, iotestErrReader{errRead}), out: &collector{}, want: errRead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newClient(t, 10)
			err := a.Decode(context.Background(), sdk.Document{}, tt.src, tt.out)
			if err == nil {
				t.Fatal("Decode succeeded, want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.substr != "" && !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.substr)
			}
		})
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecodeCanceled(t *testing.T) {
	a := newClient(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	out := cancelAfter{cancel: cancel}
	err := a.Decode(ctx, sdk.Document{}, &lines{n: 20_000, width: 100}, &out)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// cancelAfter cancels the Decode context on the first chunk.
type cancelAfter struct{ cancel context.CancelFunc }

func (c *cancelAfter) WriteChunk(context.Context, sdk.Chunk) error {
	c.cancel()
	return nil
}
