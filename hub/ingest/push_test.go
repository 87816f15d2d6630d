package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *ingest.SyntaxError // nil: well-formed
	}{
		{"OK/List", `[{"a": 1}, {"a": 2}]`, nil},
		{"OK/Object", "\xef\xbb\xbf {\"a\": [1, 2, {}]}\n", nil},
		{"OK/NDJSON", "{\"a\": 1}\n{\"a\": 2}\r\n\n{\"a\": 3}", nil},
		{"ErrMissingComma", "[{\"a\": 1}\n {\"a\": 2}]", &ingest.SyntaxError{Offset: 11, Line: 2, Column: 2}},
		{"ErrBareName", "{a: 1}", &ingest.SyntaxError{Offset: 1, Line: 1, Column: 2}},
		{"ErrCut", `[{"a": 1}, {"a"`, &ingest.SyntaxError{Offset: 15, Line: 1, Column: 16}},
		{"ErrSecondLine", "{\"a\": 1}\n{\"a\": 2,}\n", &ingest.SyntaxError{Offset: 17, Line: 2, Column: 9}},
		{"ErrNotJSON", "nr;naam\n1;Jansen\n", &ingest.SyntaxError{Offset: 1, Line: 1, Column: 2}}, // n starts null
		{"ErrAfterBOM", "\xef\xbb\xbfx", &ingest.SyntaxError{Offset: 3, Line: 1, Column: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ingest.CheckJSON([]byte(tt.body))
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("CheckJSON = %+v, want nil", *got)
			case tt.want != nil && (got == nil || *got != *tt.want):
				t.Errorf("CheckJSON = %+v, want %+v", got, *tt.want)
			}
		})
	}
}

// TestPush lands pushes in a real PostgreSQL: a new body is stored and
// submitted, the same body again is recognised, an Idempotency-Key names
// its first content, and a body that is no JSON is stored and refused at
// once, without reaching the pipeline.
func TestPush(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	subs := &submissions{}
	p := ingest.NewPusher(ingest.PushConfig{Store: st, Submitter: subs})
	push := func(body, key string) (ingest.Pushed, error) {
		return p.Push(ctx, ingest.Push{Partner: "schuldhulp", Name: "registraties.json", Body: []byte(body), IdempotencyKey: key})
	}

	first, err := push(`[{"nr": 1}]`, "")
	if err != nil || first.Duplicate || first.Syntax != nil || subs.count() != 1 {
		t.Fatalf("first push = %+v, %v; submitted %d", first, err, subs.count())
	}
	sum := sha256.Sum256([]byte(`[{"nr": 1}]`))
	if d := first.Document; d.Source != hub.SourceAPI || d.Partner != "schuldhulp" || d.SHA256 != hex.EncodeToString(sum[:]) || d.Status != hub.DocLanded {
		t.Errorf("landed %+v", d)
	}

	t.Run("SameContent", func(t *testing.T) {
		again, err := push(`[{"nr": 1}]`, "")
		if err != nil || !again.Duplicate || again.Document.ID != first.Document.ID || subs.count() != 1 {
			t.Errorf("again = %+v, %v; submitted %d", again, err, subs.count())
		}
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		k1, err := push(`[{"nr": 2}]`, "sleutel-1")
		if err != nil || k1.Duplicate {
			t.Fatalf("push with key = %+v, %v", k1, err)
		}
		again, err := push(`[{"nr": 2}]`, "sleutel-1")
		if err != nil || !again.Duplicate || again.Document.ID != k1.Document.ID {
			t.Errorf("same key, same content = %+v, %v", again, err)
		}
		if _, err := push(`[{"nr": 3}]`, "sleutel-1"); hub.ErrorCode(err) != hub.ECONFLICT {
			t.Errorf("same key, other content: %v, want %s", err, hub.ECONFLICT)
		}
		other, err := push(`[{"nr": 2}]`, "sleutel-2")
		if err != nil || !other.Duplicate || other.Document.ID != k1.Document.ID {
			t.Errorf("other key, same content = %+v, %v; want the earlier document", other, err)
		}
	})
	t.Run("NoJSON", func(t *testing.T) {
		before := subs.count()
		bad, err := push("[{\"nr\": 4}\n{\"nr\": 5}]", "")
		if err != nil || bad.Syntax == nil || bad.Syntax.Line != 2 || bad.Syntax.Column != 1 {
			t.Fatalf("push of no JSON = %+v, %v", bad, err)
		}
		if subs.count() != before {
			t.Error("a body that is no JSON was handed to the pipeline")
		}
		doc, err := st.Document(ctx, bad.Document.ID)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Status != hub.DocFailed || doc.Receipt == nil || len(doc.Receipt.Errors) != 1 || doc.Receipt.Errors[0].Code != sdk.CodeSyntax {
			t.Errorf("refused document %+v, receipt %+v", doc, doc.Receipt)
		}
		again, err := push("[{\"nr\": 4}\n{\"nr\": 5}]", "")
		if err != nil || !again.Duplicate || again.Syntax == nil || again.Document.ID != bad.Document.ID {
			t.Errorf("the same no-JSON again = %+v, %v", again, err)
		}
	})
}
