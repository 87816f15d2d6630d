package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	m := New()
	m.Document("ggz-oost", "done")
	m.Records("ggz-oost", "inserted", 136)
	m.Records("ggz-oost", "rejected", 0)
	m.DecodeSeconds("ggz-oost", 0.2)
	if err := m.Register(NewAdapterCollector(func() []AdapterState {
		return []AdapterState{{Partner: "ggz-oost", Up: true, Restarts: 2}}
	})); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`ketenhub_documents_total{outcome="done",partner="ggz-oost"} 1`,
		`ketenhub_records_total{outcome="inserted",partner="ggz-oost"} 136`,
		`ketenhub_adapter_up{partner="ggz-oost"} 1`,
		`ketenhub_adapter_restarts{partner="ggz-oost"} 2`,
		`ketenhub_document_decode_seconds_count{partner="ggz-oost"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(string(body), `outcome="rejected"`) {
		t.Error("a zero count created a series")
	}
	var nilMetrics *Metrics
	nilMetrics.Document("p", "done") // must not panic
}
