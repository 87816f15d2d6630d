package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
)

// TestPushedOutcomes checks that the store stage keeps, for a pushed
// document, what became of every record (new, changed, unchanged,
// rejected), also across chunks, and keeps nothing for a dropped file.
func TestPushedOutcomes(t *testing.T) {
	st, p := run(t, oneAdapter{a: &lineAdapter{}})
	ctx := context.Background()
	outcomes := func(doc hub.Document) string {
		t.Helper()
		results, issues, err := st.RecordResults(ctx, "p", doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range results {
			fmt.Fprintf(&b, "%d:%s:%s ", r.Line, r.RecordKey, r.Outcome)
		}
		for _, e := range issues {
			fmt.Fprintf(&b, "!%d:%s ", e.Line, e.Code)
		}
		return strings.TrimSpace(b.String())
	}

	first := landFromAndWait(t, st, p, hub.SourceAPI, "registraties.json", "a;Jansen\nb;\nc;Bakker\n")
	if got, want := outcomes(first), "1:a:inserted 2:b:rejected 3:c:inserted !2:FIELD_REQUIRED"; got != want {
		t.Errorf("first push: %s, want %s", got, want)
	}
	second := landFromAndWait(t, st, p, hub.SourceAPI, "registraties.json", "a;Jansen\nc;Bakkers\nd;de Vries\n")
	if got, want := outcomes(second), "1:a:unchanged 2:c:updated 3:d:inserted"; got != want {
		t.Errorf("second push: %s, want %s", got, want)
	}
	if got, want := outcomes(first), "1:a:inserted 2:b:rejected 3:c:inserted !2:FIELD_REQUIRED"; got != want {
		t.Errorf("first push read again after the second: %s, want %s", got, want)
	}

	// 25 records in chunks of 10, published together or not: every record
	// has its outcome.
	many := landFromAndWait(t, st, p, hub.SourceAPI, "registraties.json", lines(25, map[int]string{7: ""}))
	results, _, err := st.RecordResults(ctx, "p", many.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 25 || results[6].Outcome != store.OutcomeRejected || results[24].Line != 25 || results[24].Outcome != store.OutcomeInserted {
		t.Errorf("25 records: %d results %v", len(results), results)
	}

	dropped := landFromAndWait(t, st, p, hub.SourceDrop, "export.csv", "x;Jansen\n")
	if got := outcomes(dropped); got != "" {
		t.Errorf("a dropped file kept outcomes: %s", got)
	}
}
