package adaptertest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// registration satisfies the shared schema, for record key k.
func registration(k string) []byte {
	return []byte(`{"schema_version": "1", "source": {"partner": "p", "record_key": "` + k + `"}, "operation": "new",
 "registered_at": "2025-03-01T09:30:00+01:00", "client": {"bsn": "999993653", "surname": "Moulin"}}`)
}

// scripted is an adapter whose Decode writes the chunks its calls-th call
// gives, whatever the document.
type scripted struct {
	chunks func(calls int) []sdk.Chunk
	calls  int
	plan   sdk.Current[string]
}

func (s *scripted) Describe(context.Context) (sdk.Description, error) { return sdk.Description{}, nil }

func (s *scripted) Configure(_ context.Context, partner string, config []byte) error {
	if string(config) != "{}" {
		return &sdk.ConfigError{Field: "/x", Message: "fout"}
	}
	return s.plan.Set(&partner, nil)
}

func (s *scripted) Decode(ctx context.Context, _ sdk.Document, _ io.Reader, out sdk.ChunkWriter) error {
	s.calls++
	for _, c := range s.chunks(s.calls) {
		if err := out.WriteChunk(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// failures is a testing.TB that keeps what the test would report.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}

func (f *failures) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *failures) Error(args ...any) { f.msgs = append(f.msgs, fmt.Sprint(args...)) }

func (f *failures) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

func TestCheckDecode(t *testing.T) {
	rec := func(line int, key string) sdk.Record {
		return sdk.Record{Line: line, RecordKey: key, JSON: registration(key)}
	}
	codes := map[string]bool{sdk.CodeDate: true}
	tests := []struct {
		name   string
		shared bool
		chunks func(calls int) []sdk.Chunk
		fails  int
	}{
		{"OK", false, func(int) []sdk.Chunk {
			return []sdk.Chunk{{Records: []sdk.Record{rec(1, "a"), rec(2, "b")}, Errors: []sdk.RecordError{{Line: 3, Code: sdk.CodeDate, Message: "m"}}}}
		}, 0},
		{"OKSharedLines", true, func(int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{rec(1, "a"), rec(1, "b")}}} }, 0},
		{"ErrSharedLines", false, func(int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{rec(1, "a"), rec(1, "b")}}} }, 1},
		{"ErrLineBack", true, func(int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{rec(2, "a"), rec(1, "b")}}} }, 1},
		{"ErrLineZero", true, func(int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{rec(0, "a")}}} }, 1},
		{"ErrNoKey", false, func(int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{{Line: 1, JSON: registration("a")}}}} }, 1},
		{"ErrSchema", false, func(int) []sdk.Chunk {
			return []sdk.Chunk{{Records: []sdk.Record{{Line: 1, RecordKey: "a", JSON: []byte(`{}`)}}}}
		}, 1},
		{"ErrCode", false, func(int) []sdk.Chunk {
			return []sdk.Chunk{{Errors: []sdk.RecordError{{Line: 1, Code: sdk.CodeBinary, Message: "m"}}}}
		}, 1},
		{"ErrMessage", false, func(int) []sdk.Chunk {
			return []sdk.Chunk{{Errors: []sdk.RecordError{{Line: 1, Code: sdk.CodeDate, Field: "\xff", Message: "m"}}}}
		}, 1},
		{"ErrNondeterministic", false, func(calls int) []sdk.Chunk { return []sdk.Chunk{{Records: []sdk.Record{rec(calls, "a")}}} }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failures{}
			CheckDecode(f, &scripted{chunks: tt.chunks}, sdk.Document{}, nil, Rules{Codes: codes, SharedLines: tt.shared})
			if len(f.msgs) != tt.fails {
				t.Errorf("CheckDecode reports %q, want %d failure(s)", f.msgs, tt.fails)
			}
		})
	}
}

func TestKeepsPrevious(t *testing.T) {
	a := Configure(t, &scripted{}, "p", []byte(`{}`))
	KeepsPrevious(t, a, &a.plan, "p", []byte(`{"x": 1}`))
	f := &failures{}
	KeepsPrevious(f, a, &a.plan, "p", []byte(`{}`))
	if len(f.msgs) == 0 || !strings.Contains(f.msgs[0], "succeeded") {
		t.Errorf("KeepsPrevious of a configuration that is accepted reports %q, want that it succeeded", f.msgs)
	}
}

func TestWantConfigError(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		fails int
	}{
		{"OK", &sdk.ConfigError{Field: "/x", Message: "fout"}, 0},
		{"ErrField", &sdk.ConfigError{Field: "/y", Message: "fout"}, 1},
		{"ErrNoMessage", &sdk.ConfigError{Field: "/x"}, 1},
		{"ErrNil", nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &failures{}
			WantConfigError(f, tt.err, "/x")
			if len(f.msgs) != tt.fails {
				t.Errorf("WantConfigError reports %q, want %d failure(s)", f.msgs, tt.fails)
			}
		})
	}
}

func TestSchemaAccepts(t *testing.T) {
	schema := []byte(`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": false}`)
	for config, want := range map[string]bool{`{"n": 1}`: true, `{"n": "1"}`: false, `{"m": 1}`: false, `{`: false} {
		if got := SchemaAccepts(t, schema, config); got != want {
			t.Errorf("SchemaAccepts(%s) = %v, want %v", config, got, want)
		}
	}
}
