package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/clients"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/stats"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var update = flag.Bool("update", false, "copy openapi.yaml to docs/openapi.yaml")

// docsCopy is the copy of openapi.yaml kept in the repository's docs.
const docsCopy = "../../docs/openapi.yaml"

// spec is the parts of the OpenAPI document the tests look at.
type spec struct {
	OpenAPI string `yaml:"openapi"`
	Info    struct {
		Version string `yaml:"version"`
	} `yaml:"info"`
	Paths      map[string]map[string]operation `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required   []string       `yaml:"required"`
			Properties map[string]any `yaml:"properties"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

type operation struct {
	Security *[]map[string][]string `yaml:"security"`
}

func parseSpec(t *testing.T, doc []byte) spec {
	t.Helper()
	var s spec
	if err := yaml.Unmarshal(doc, &s); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	return s
}

func TestDocsCopy(t *testing.T) {
	if *update {
		if err := os.WriteFile(docsCopy, openapiYAML, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := os.ReadFile(docsCopy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, openapiYAML) {
		t.Fatal("docs/openapi.yaml differs from hub/api/openapi.yaml, the canonical copy; run go test ./hub/api -run TestDocsCopy -update")
	}
}

func TestOpenAPIServed(t *testing.T) {
	h, err := New(minimalConfig())
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s = %d %s", path, rec.Code, rec.Body)
		}
		return rec
	}
	y := serve("/v1/openapi.yaml")
	if ct := y.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q", ct)
	}
	s := parseSpec(t, y.Body.Bytes())
	if !strings.HasPrefix(s.OpenAPI, "3.0.") || s.Info.Version != Version {
		t.Errorf("openapi %q version %q, want 3.0.x and %s", s.OpenAPI, s.Info.Version, Version)
	}
	j := serve("/v1/openapi.json")
	var fromJSON, fromYAML any
	if err := json.Unmarshal(j.Body.Bytes(), &fromJSON); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := yaml.Unmarshal(y.Body.Bytes(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	roundTrip, _ := json.Marshal(fromYAML)
	var want any
	_ = json.Unmarshal(roundTrip, &want)
	if !reflect.DeepEqual(fromJSON, want) {
		t.Error("openapi.json does not hold the same document as openapi.yaml")
	}
}

// TestOpenAPIRoutes checks that the document lists exactly the routes served,
// and that exactly the operations it marks public are served without a token.
func TestOpenAPIRoutes(t *testing.T) {
	s := parseSpec(t, openapiYAML)
	var documented []string
	for path, ops := range s.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	srv := &server{}
	var served []string
	for _, rt := range srv.routes() {
		served = append(served, rt.pattern)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("openapi.yaml documents\n%s\nbut the API serves\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}

	h, err := New(minimalConfig())
	if err != nil {
		t.Fatal(err)
	}
	for path, ops := range s.Paths {
		for method, op := range ops {
			public := op.Security != nil && len(*op.Security) == 0
			t.Run(method+path, func(t *testing.T) {
				target := strings.NewReplacer("{id}", "01DOC", "{partner}", "ggz").Replace(path)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(strings.ToUpper(method), target, nil))
				if got := rec.Code != http.StatusUnauthorized; got != public {
					t.Errorf("served without a token: %v (status %d), documented as public: %v", got, rec.Code, public)
				}
			})
		}
	}
}

// TestOpenAPISchemas checks the documented properties against the JSON the
// API writes: every field the Go type can write is documented, nothing else
// is, and exactly the fields that are always written are required.
func TestOpenAPISchemas(t *testing.T) {
	s := parseSpec(t, openapiYAML)
	types := map[string]any{
		"Health":              Health{},
		"Problem":             Problem{},
		"FeedPage":            Page[store.FeedItem]{},
		"FeedItem":            store.FeedItem{},
		"Document":            hub.Document{},
		"DocumentList":        List[hub.Document]{},
		"Receipt":             hub.Receipt{},
		"ReceiptCounts":       hub.ReceiptCounts{},
		"ReceiptIssue":        hub.ReceiptIssue{},
		"RecordErrorPage":     Page[store.RecordError]{},
		"RecordError":         store.RecordError{},
		"LookupRequest":       LookupRequest{},
		"LookupResponse":      LookupResponse{},
		"LookupCandidate":     clients.LookupCandidate{},
		"Evidence":            clients.EvidenceJSON{},
		"EvidenceField":       clients.FieldJSON{},
		"RegistrationRef":     clients.RefJSON{},
		"ClientOverview":      clients.Overview{},
		"PartnerRegistration": clients.PartnerRegistration{},
		"Link":                clients.LinkJSON{},
		"Client":              sdk.Client{},
		"LifeDomain":          sdk.LifeDomain{},
		"ResponsibleWorker":   sdk.ResponsibleWorker{},
		"HistoryList":         List[clients.HistoryEntry]{},
		"HistoryEntry":        clients.HistoryEntry{},
		"ReviewPage":          Page[clients.ReviewItem]{},
		"ReviewItem":          clients.ReviewItem{},
		"ReviewSide":          clients.ReviewSide{},
		"SplitRequest":        SplitRequest{},
		"SplitResponse":       SplitResponse{},
		"MergeRequest":        MergeRequest{},
		"DecisionRequest":     DecisionRequest{},
		"Sensitive":           sdk.Sensitive{},
		"ConsentRequest":      ConsentRequest{},
		"ConsentStatement":    consent.Document{},
		"ConsentRecord":       ConsentRecord{},
		"ConsentRecorder":     ConsentRecorder{},
		"ConsentList":         List[ConsentRecord]{},
		"AccessExplanation":   AccessExplanation{},
		"RegistrationAccess":  RegistrationAccess{},
		"PolicyBasis":         policy.Basis{},
		"PolicyReason":        policy.Reason{},
		"StatsReport":         stats.Report{},
		"StatsTable":          stats.Table{},
		"AuditReport":         audit.ClientReport{},
		"AuditEntry":          audit.Entry{},
		"AuditBasis":          audit.Basis{},
		"PartnerList":         List[hub.PartnerStatus]{},
		"PartnerStatus":       hub.PartnerStatus{},
		"PartnerReason":       hub.PartnerReason{},
		"PartnerAdapter":      hub.PartnerAdapter{},
		"PartnerPoll":         hub.PartnerPoll{},
		"AppliedRevision":     hub.AppliedRevision{},
		"RefusedRevision":     hub.RefusedRevision{},
		"ConfigProblem":       hub.ConfigProblem{},
		"PartnerRevisionList": List[hub.PartnerRevision]{},
		"PartnerRevision":     hub.PartnerRevision{},
		"DeliveryPage":        Page[store.Delivery]{},
		"Delivery":            store.Delivery{},
		"PushResult":          PushResult{},
		"PushRecord":          PushRecord{},
		"PushIssue":           PushIssue{},
		"PushProblem":         PushProblem{},
	}
	var documented []string
	for name := range s.Components.Schemas {
		documented = append(documented, name)
	}
	sort.Strings(documented)
	var checked []string
	for name := range types {
		checked = append(checked, name)
	}
	sort.Strings(checked)
	if !slices.Equal(documented, checked) {
		t.Errorf("schemas %v, test checks %v", documented, checked)
	}
	for name, zero := range types {
		t.Run(name, func(t *testing.T) {
			sch, ok := s.Components.Schemas[name]
			if !ok {
				t.Fatalf("schema %s missing", name)
			}
			full := reflect.New(reflect.TypeOf(zero)).Elem()
			fill(full)
			var props []string
			for p := range sch.Properties {
				props = append(props, p)
			}
			if got, want := sortedKeys(t, full.Interface()), sorted(props); !slices.Equal(got, want) {
				t.Errorf("JSON fields %v, documented properties %v", got, want)
			}
			if got, want := sortedKeys(t, zero), sorted(sch.Required); !slices.Equal(got, want) {
				t.Errorf("always-written fields %v, documented required %v", got, want)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// sortedKeys returns the top-level keys of v's JSON encoding.
func sortedKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fill sets every field of v to a non-zero value, so that no field is omitted
// from its JSON encoding.
func fill(v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeOf(json.RawMessage(nil)):
		v.SetBytes([]byte(`{}`))
		return
	case v.Type() == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Unix(1, 0)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// nopStore answers every read with nothing.
type nopStore struct{}

func (nopStore) Feed(context.Context, int64, int) ([]store.FeedItem, error) { return nil, nil }
func (nopStore) Document(_ context.Context, id string) (hub.Document, error) {
	return hub.Document{ID: id}, nil
}
func (nopStore) Documents(context.Context, string, int) ([]hub.Document, error) { return nil, nil }
func (nopStore) RecordErrors(context.Context, string, int64, int) ([]store.RecordError, error) {
	return nil, nil
}
func (nopStore) InTx(context.Context, func(pgx.Tx) error) error { return nil }

// nobody refuses every credential.
type nobody struct{}

func (nobody) Authenticate(*http.Request) (auth.Subject, error) {
	return auth.Subject{}, &auth.Error{Code: auth.CodeMissing, Message: "Meld u aan."}
}

// nopAudit writes nothing.
type nopAudit struct{}

func (nopAudit) Append(context.Context, audit.DB, ...audit.Event) error { return nil }
func (nopAudit) Record(context.Context, ...audit.Event) error           { return nil }
func (nopAudit) ForClient(context.Context, string, time.Time, time.Time) (audit.ClientReport, error) {
	return audit.ClientReport{}, nil
}

// minimalConfig is a configuration that serves the routes and refuses
// every credential.
func minimalConfig() Config {
	return Config{Store: nopStore{}, Auth: nobody{}, Policy: policy.NewEngine(nil, nil, policy.EngineOptions{}), Audit: nopAudit{},
		Logger: slog.New(slog.DiscardHandler)}
}
