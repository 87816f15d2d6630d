package sdk

import (
	"bytes"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

func TestChunkRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Chunk
	}{
		{"Empty", Chunk{}},
		{"SeqOnly", Chunk{Seq: 7}},
		{"Records", Chunk{Seq: 1, Records: []Record{
			{Line: 2, RecordKey: "D-1", JSON: []byte(`{"a":1}`)},
			{Line: 3, RecordKey: "D-2", JSON: []byte(`{"a":2}`), SourceDigest: bytes.Repeat([]byte{7}, DigestSize)},
		}}},
		{"Errors", Chunk{Seq: 2, Errors: []RecordError{
			{Line: 4, Column: 3, Field: "geboortedatum", RecordKey: "D-3", Code: CodeDate, Message: "datum onleesbaar"},
			{Code: CodeEmptyDocument, Message: "leeg document"},
		}}},
		{"Unchanged", Chunk{Seq: 4, Unchanged: []Unchanged{{Line: 5, RecordKey: "D-5"}, {Line: 9, RecordKey: "D-9"}}}},
		{"Consents", Chunk{Seq: 5, Consents: []Consent{
			{Line: 6, RecordKey: "D-6", JSON: []byte(`{"state":"given"}`)},
			{Line: 7, RecordKey: "D-7"},
		}}},
		{"Both", Chunk{
			Seq:     3,
			Records: []Record{{Line: 10, RecordKey: "K", JSON: []byte(`{}`)}},
			Errors:  []RecordError{{Line: 11, Code: CodeRowRagged, Message: "te veel kolommen"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chunkToProto(tt.in)
			// Through the wire format, as gRPC would.
			b, err := proto.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			back := new(adapterpb.Chunk)
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			got, err := chunkFromProto(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestChunkToProto(t *testing.T) {
	c := Chunk{
		Seq:     5,
		Records: []Record{{Line: 2, RecordKey: "D-1", JSON: []byte(`{"x":true}`)}},
		Errors:  []RecordError{{Line: 3, Column: 4, Field: "bsn", RecordKey: "D-2", Code: CodeBSNInvalid, Message: "elfproef"}},
	}
	p := chunkToProto(c)
	if p.GetSeq() != 5 || len(p.GetRecords()) != 1 || len(p.GetErrors()) != 1 {
		t.Fatalf("chunkToProto = %v", p)
	}
	r := p.GetRecords()[0]
	if r.GetLine() != 2 || r.GetRecordKey() != "D-1" || string(r.GetJson()) != `{"x":true}` {
		t.Errorf("record = %v", r)
	}
	e := p.GetErrors()[0]
	if e.GetLine() != 3 || e.GetColumn() != 4 || e.GetField() != "bsn" || e.GetRecordKey() != "D-2" ||
		e.GetCode() != CodeBSNInvalid || e.GetMessage() != "elfproef" {
		t.Errorf("error = %v", e)
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Document
	}{
		{"Empty", Document{}},
		{"Full", Document{ID: "01J", Partner: "ggz", OriginalName: "export.csv", ReceivedAt: "2025-01-02T03:04:05Z", Size: 1 << 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := documentFromProto(documentToProto(tt.in)); got != tt.in {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestChunkUnchangedMismatch(t *testing.T) {
	_, err := chunkFromProto(&adapterpb.Chunk{Seq: 4, UnchangedLines: []int64{1, 2}, UnchangedKeys: []string{"a"}})
	if err == nil {
		t.Error("chunkFromProto accepts 2 unchanged lines with 1 key")
	}
}

func TestDescriptionRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Description
	}{
		{"Empty", Description{}},
		{"Full", Description{Name: "csv", Version: "1.2.3", Capabilities: []string{"decode"}, ConfigSchema: []byte(`{"type":"object"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := descriptionFromProto(descriptionToProto(tt.in)); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestConfigErrorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *ConfigError
	}{
		{"Nil", nil},
		{"Full", &ConfigError{Field: "/delimiter", Message: "één teken verwacht"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := configErrorFromProto(configErrorToProto(tt.in)); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}
