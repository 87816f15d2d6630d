package sdktest

import (
	"context"
	"fmt"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// validRegistration satisfies the shared schema.
const validRegistration = `{"schema_version": "1", "source": {"partner": "p", "record_key": "K1"}, "operation": "new",
 "registered_at": "2025-03-01T09:30:00+01:00", "client": {"bsn": "999993653", "surname": "Moulin", "birth_date": "1985-12-01", "gender": "vrouw"}}`

var recorded = []sdk.Chunk{
	{Seq: 0, Records: []sdk.Record{{Line: 2, RecordKey: "K1", JSON: []byte(`{"a":1}`)}}, Errors: []sdk.RecordError{{Line: 3, Code: sdk.CodeDate, Message: "m"}}},
	{Seq: 1, Unchanged: []sdk.Unchanged{{Line: 4, RecordKey: "K2"}}, Consents: []sdk.Consent{{Line: 5, RecordKey: "K1", JSON: []byte(`{"b":2}`)}}},
	{Seq: 2, Records: []sdk.Record{{Line: 6, RecordKey: "K3", JSON: []byte(`{"c":3}`)}}},
}

func TestRecorder(t *testing.T) {
	r := &Recorder{}
	for _, c := range recorded {
		if err := r.WriteChunk(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	got := fmt.Sprint(len(r.Chunks()), r.Records(), r.Errors(), r.Unchanged(), r.Consents())
	want := fmt.Sprint(3, []sdk.Record{recorded[0].Records[0], recorded[2].Records[0]}, recorded[0].Errors, recorded[1].Unchanged, recorded[1].Consents)
	if got != want {
		t.Errorf("Recorder gives %s, want %s", got, want)
	}
	if (&Recorder{}).Records() != nil {
		t.Error("an empty Recorder gives records")
	}
}

func TestGoldenChunks(t *testing.T) {
	want := `{
  "records": [
    {
      "line": 2,
      "record_key": "K1",
      "registration": {
        "a": 1
      }
    },
    {
      "line": 6,
      "record_key": "K3",
      "registration": {
        "c": 3
      }
    }
  ],
  "errors": [
    {
      "line": 3,
      "code": "` + sdk.CodeDate + `",
      "message": "m"
    }
  ],
  "consents": [
    {
      "line": 5,
      "record_key": "K1",
      "statement": {
        "b": 2
      }
    }
  ]
}
`
	if got := string(GoldenChunks(recorded)); got != want {
		t.Errorf("GoldenChunks =\n%s\nwant\n%s", got, want)
	}
	// Without consent statements it is GoldenJSON.
	plain := []sdk.Chunk{recorded[0], recorded[2]}
	if got, want := string(GoldenChunks(plain)), string(GoldenJSON(append(plain[0].Records, plain[1].Records...), plain[0].Errors)); got != want {
		t.Errorf("GoldenChunks without consents =\n%s\nwant GoldenJSON's\n%s", got, want)
	}
	if got := string(GoldenChunks(nil)); got != "{\n  \"records\": [],\n  \"errors\": []\n}\n" {
		t.Errorf("GoldenChunks(nil) = %s", got)
	}
}

func TestCheckRecords(t *testing.T) {
	tests := []struct {
		name  string
		recs  []sdk.Record
		fails int
	}{
		{"OK", []sdk.Record{{Line: 1, RecordKey: "K1", JSON: []byte(validRegistration)}}, 0},
		{"ErrNoJSON", []sdk.Record{{Line: 1, RecordKey: "K1", JSON: []byte(`{`)}}, 1},
		{"ErrSchema", []sdk.Record{{Line: 1, RecordKey: "K1", JSON: []byte(validRegistration)}, {Line: 2, RecordKey: "K2", JSON: []byte(`{"operation": "new"}`)}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := recordProblems(tt.recs)
			if err != nil || len(problems) != tt.fails {
				t.Errorf("CheckRecords would report %q (%v), want %d failure(s)", problems, err, tt.fails)
			}
		})
	}
}
