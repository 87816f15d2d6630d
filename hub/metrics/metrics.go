// Package metrics holds the hub's Prometheus metrics: counts per partner of
// documents and records, and the state of each partner's adapter. Labels
// carry partner ids and outcomes only, never client data.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the hub's metric set. The zero value is not usable; use New.
// A nil *Metrics is valid and records nothing, for tests and tools.
type Metrics struct {
	reg       *prometheus.Registry
	documents *prometheus.CounterVec
	records   *prometheus.CounterVec
	decode    *prometheus.HistogramVec
}

// New returns a metric set with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		documents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ketenhub_documents_total",
			Help: "Documents per partner and outcome: landed, duplicate, rejected (refused before landing), done, failed.",
		}, []string{"partner", "outcome"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ketenhub_records_total",
			Help: "Records of finished documents per partner and outcome: inserted, updated, unchanged, deleted, ended, rejected.",
		}, []string{"partner", "outcome"}),
		decode: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ketenhub_document_decode_seconds",
			Help:    "Time the decode stage spent on a document (adapter, hashing, validation, publishing).",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"partner"}),
	}
	m.reg.MustRegister(m.documents, m.records, m.decode,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Document counts one document of partner with outcome.
func (m *Metrics) Document(partner, outcome string) {
	if m != nil {
		m.documents.WithLabelValues(partner, outcome).Inc()
	}
}

// Records adds n records of partner with outcome.
func (m *Metrics) Records(partner, outcome string, n int64) {
	if m != nil && n > 0 {
		m.records.WithLabelValues(partner, outcome).Add(float64(n))
	}
}

// DecodeSeconds observes the decode time of one document.
func (m *Metrics) DecodeSeconds(partner string, s float64) {
	if m != nil {
		m.decode.WithLabelValues(partner).Observe(s)
	}
}

// Register adds a further collector, such as the adapters' state.
func (m *Metrics) Register(c prometheus.Collector) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(c)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// AdapterState is one partner adapter's state for the adapter collector.
type AdapterState struct {
	Partner  string
	Up       bool // a process is running, or will be started on next use
	Disabled bool
	Restarts int
}

// AdapterCollector reports each partner adapter's state at scrape time.
type AdapterCollector struct {
	States func() []AdapterState

	up, disabled, restarts *prometheus.Desc
}

// NewAdapterCollector returns a collector reading states at every scrape.
func NewAdapterCollector(states func() []AdapterState) *AdapterCollector {
	return &AdapterCollector{
		States:   states,
		up:       prometheus.NewDesc("ketenhub_adapter_up", "1 when the partner's adapter is usable (running or startable).", []string{"partner"}, nil),
		disabled: prometheus.NewDesc("ketenhub_adapter_disabled", "1 when the partner's adapter is disabled after repeated crashes or a refused binary.", []string{"partner"}, nil),
		restarts: prometheus.NewDesc("ketenhub_adapter_restarts", "Adapter processes started after the first one.", []string{"partner"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *AdapterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.disabled
	ch <- c.restarts
}

// Collect implements prometheus.Collector.
func (c *AdapterCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.States() {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, boolValue(s.Up), s.Partner)
		ch <- prometheus.MustNewConstMetric(c.disabled, prometheus.GaugeValue, boolValue(s.Disabled), s.Partner)
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(s.Restarts), s.Partner)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
