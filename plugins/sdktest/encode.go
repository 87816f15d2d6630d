package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// encodeCodes are the codes of sdk.EncodeError.
var encodeCodes = map[string]bool{sdk.CodeEncodeInvalid: true, sdk.CodeEncodeFormat: true}

// RunEncode runs the conformance checks of the optional sdk.Encoder
// capability against adapter a, which must implement it. Like Run it serves
// a through sdk.TestClient and names its subtests after the property they
// check:
//
//   - Describe: the capability sdk.CapabilityEncode is reported.
//   - RoundTrip: per sample, every record Decode gives is encoded (in one
//     request, with operation and a delivery id each; an adapter whose
//     file is full leaves the rest, which the suite encodes into the next
//     file as the hub does, see sdk.EncodeResult.Left); every item is
//     written once, in order, on increasing lines, and none is rejected;
//     decoding the files with the same configuration gives the same
//     registrations (compared as JSON values), so the partner reads back
//     what the hub sends.
//   - Withheld: records without their sensitive data and life domains (as
//     when the receiver may not see those classes) round-trip without them:
//     withheld fields stay empty.
//   - Deterministic: encoding the same items twice gives the same bytes.
//   - Robust: items that are no registration (no JSON, no object, no record
//     key, wrong types) neither panic nor fail Encode; each is written or
//     rejected with an sdk.CodeEncode* code and a message, and the good
//     items around them are written.
//   - Empty: a batch without items gives no error and writes no item.
//   - OtherPartner: Encode for a partner the adapter is not configured for
//     returns an error.
//   - Cancellation: Encode with a cancelled context returns an error.
//
// cfg.Samples need at least one; their WantRecords and WantErrors are not
// checked here (Run does that). The suite never prints record contents.
func RunEncode(t *testing.T, a sdk.Adapter, cfg Config) {
	t.Helper()
	if cfg.Partner == "" {
		t.Fatal("sdktest: Config.Partner is empty")
	}
	if len(cfg.Samples) == 0 {
		t.Fatal("sdktest: Config.Samples is empty; give at least one real document")
	}
	if _, ok := a.(sdk.Encoder); !ok {
		t.Fatalf("sdktest: the adapter (%T) does not implement sdk.Encoder", a)
	}
	g := &encodeGuard{guard: &guard{Adapter: a}, enc: a.(sdk.Encoder)}
	hub := sdk.TestClient(t, g)
	enc, ok := hub.(sdk.Encoder)
	if !ok {
		t.Fatal("sdktest: sdk.TestClient gives no sdk.Encoder")
	}
	s := &encodeSuite{suite: suite{cfg: cfg, guard: g.guard, hub: hub}, enc: enc, direct: g}
	t.Run("Describe", s.describeEncode)
	t.Run("RoundTrip", s.roundTrip)
	t.Run("Withheld", s.withheld)
	t.Run("Deterministic", s.deterministicEncode)
	t.Run("Robust", s.robustEncode)
	t.Run("Empty", s.empty)
	t.Run("OtherPartner", s.otherPartner)
	t.Run("Cancellation", s.cancelEncode)
}

// encodeGuard is guard for an Encoder: it catches and remembers panics in
// Encode too.
type encodeGuard struct {
	*guard
	enc sdk.Encoder
}

// Encode calls the adapter's Encode and turns a panic into an error.
func (g *encodeGuard) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (res sdk.EncodeResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			g.mu.Lock()
			g.panics = append(g.panics, fmt.Sprintf("%v\n%s", r, debug.Stack()))
			g.mu.Unlock()
			err = fmt.Errorf("sdktest: adapter panicked: %v", r)
		}
	}()
	return g.enc.Encode(ctx, req, out)
}

// encodeSuite holds one RunEncode.
type encodeSuite struct {
	suite
	enc    sdk.Encoder // over gRPC
	direct sdk.Encoder // the adapter itself
}

func (s *encodeSuite) describeEncode(t *testing.T) {
	d, err := s.hub.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if !slices.Contains(d.Capabilities, sdk.CapabilityEncode) {
		t.Errorf("Describe gives Capabilities %q, without %q", d.Capabilities, sdk.CapabilityEncode)
	}
}

// sampleItems decodes a sample and makes an item of every record.
func (s *encodeSuite) sampleItems(t *testing.T, smp Sample) ([]sdk.EncodeItem, map[string]any) {
	t.Helper()
	res := s.decodeBytes(t, smp.Name, smp.Data)
	if !res.check(t) {
		t.FailNow()
	}
	if res.err != nil {
		t.Fatalf("Decode of the sample: %v", res.err)
	}
	var items []sdk.EncodeItem
	want := map[string]any{}
	for _, c := range res.chunks {
		for _, r := range c.Records {
			var reg struct {
				Operation sdk.Operation `json:"operation"`
			}
			if err := json.Unmarshal(r.JSON, &reg); err != nil {
				t.Fatalf("record %q of the sample is no JSON: %v", r.RecordKey, err)
			}
			items = append(items, sdk.EncodeItem{DeliveryID: fmt.Sprintf("sdktest-%06d", len(items)), Operation: reg.Operation, JSON: r.JSON})
			want[r.RecordKey] = jsonValue(t, r.JSON)
		}
	}
	if len(items) == 0 {
		t.Skipf("the sample %s gives no records to encode", smp.Name)
	}
	return items, want
}

// encodedFile is one file of an encoded batch.
type encodedFile struct {
	data []byte
	res  sdk.EncodeResult
}

// encodeAll encodes items as the hub does: the items a call leaves go into
// the next file, with at most sdk.EncodeWindow items per call after the
// first. It checks every call's result and returns the files and the
// delivery ids rejected in any of them.
func (s *encodeSuite) encodeAll(t *testing.T, items []sdk.EncodeItem) ([]encodedFile, map[string]bool) {
	t.Helper()
	var files []encodedFile
	rejected := map[string]bool{}
	window := len(items)
	for len(items) > 0 {
		call := items[:min(window, len(items))]
		data, res := s.encodeItems(t, call)
		rej, left := checkResult(t, call, res)
		for id := range rej {
			rejected[id] = true
		}
		files = append(files, encodedFile{data: data, res: res})
		window = sdk.EncodeWindow(len(call) - len(left))
		items = append(left, items[len(call):]...)
	}
	return files, rejected
}

// encodeItems encodes over gRPC within decodeTimeout.
func (s *encodeSuite) encodeItems(t *testing.T, items []sdk.EncodeItem) ([]byte, sdk.EncodeResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), decodeTimeout)
	defer cancel()
	var out bytes.Buffer
	res, err := s.enc.Encode(ctx, sdk.EncodeRequest{Partner: s.cfg.Partner, Items: items}, &out)
	for _, p := range s.guard.takePanics() {
		t.Errorf("Encode panics: %s", p)
	}
	if err != nil {
		t.Fatalf("Encode of %d items: %v", len(items), err)
	}
	return out.Bytes(), res
}

// checkResult checks that every item is written, rejected or left exactly
// once, the left ones (if any) after every handled one and at least one
// handled, the written ones in order on increasing lines, and the
// rejections carry a known code and a message. It returns the rejected
// delivery ids and the items left for the next file.
func checkResult(t *testing.T, items []sdk.EncodeItem, res sdk.EncodeResult) (map[string]bool, []sdk.EncodeItem) {
	t.Helper()
	if res.Suffix == "" || !strings.HasPrefix(res.Suffix, ".") {
		t.Errorf("EncodeResult.Suffix %q does not start with a dot", res.Suffix)
	}
	if res.MediaType == "" {
		t.Error("EncodeResult.MediaType is empty")
	}
	rejected := map[string]bool{}
	for _, e := range res.Rejected {
		if !encodeCodes[e.Code] {
			t.Errorf("item %s rejected with code %q, which is no sdk.CodeEncode* code", e.DeliveryID, e.Code)
		}
		if e.Message == "" {
			t.Errorf("item %s rejected without a message", e.DeliveryID)
		}
		if rejected[e.DeliveryID] {
			t.Errorf("item %s rejected twice", e.DeliveryID)
		}
		rejected[e.DeliveryID] = true
	}
	left := res.Left(sdk.EncodeRequest{Items: items})
	switch {
	case len(items) > 0 && len(left) == len(items):
		t.Fatalf("none of %d items written or rejected: an encoder handles at least the first item", len(items))
	case len(left) > 0 && left[0].DeliveryID != items[len(items)-len(left)].DeliveryID:
		t.Fatalf("%d items left for the next file, not all after the handled ones", len(left))
	}
	var expect []string
	for _, it := range items[:len(items)-len(left)] {
		if !rejected[it.DeliveryID] {
			expect = append(expect, it.DeliveryID)
		}
	}
	if len(res.Written) != len(expect) {
		t.Fatalf("%d items written, %d rejected and %d left of %d", len(res.Written), len(res.Rejected), len(left), len(items))
	}
	last := 0
	for i, w := range res.Written {
		if w.DeliveryID != expect[i] {
			t.Fatalf("written[%d] is %s, want %s: items are written in order", i, w.DeliveryID, expect[i])
		}
		if w.Line <= last {
			t.Fatalf("written[%d] (%s) is on line %d, after line %d: lines must increase", i, w.DeliveryID, w.Line, last)
		}
		last = w.Line
	}
	return rejected, left
}

// decodeFiles decodes encoded files, each under a name that ends in its
// suffix, and returns their records by key.
func (s *encodeSuite) decodeFiles(t *testing.T, files []encodedFile) map[string]any {
	t.Helper()
	got := map[string]any{}
	for i, f := range files {
		res := s.decodeBytes(t, fmt.Sprintf("encoded-%s-%d%s", s.cfg.Partner, i, f.res.Suffix), f.data)
		if !res.check(t) {
			t.FailNow()
		}
		if res.err != nil {
			t.Fatalf("Decode of encoded file %d: %v", i, res.err)
		}
		for _, c := range res.chunks {
			for _, e := range c.Errors {
				t.Errorf("Decode of encoded file %d gives record error %s on line %d (%s): %s", i, e.Code, e.Line, e.Field, e.Message)
			}
			for _, r := range c.Records {
				got[r.RecordKey] = jsonValue(t, r.JSON)
			}
		}
	}
	return got
}

// compareRecords reports the records that did not survive the round trip,
// by key and field, never by value.
func compareRecords(t *testing.T, want, got map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("the encoded file decodes into %d records, want %d", len(got), len(want))
	}
	reported := 0
	for _, key := range sortedKeys(want) {
		g, ok := got[key]
		switch {
		case !ok:
			t.Errorf("record %q is missing after the round trip", key)
		case !reflect.DeepEqual(g, want[key]):
			t.Errorf("record %q differs after the round trip in %s", key, strings.Join(diffFields("", want[key], g), ", "))
		default:
			continue
		}
		if reported++; reported == maxReports {
			t.Fatalf("stopped after %d records", maxReports)
		}
	}
}

func (s *encodeSuite) roundTrip(t *testing.T) {
	s.mustConfigure(t)
	for _, smp := range s.cfg.Samples {
		t.Run(smp.Name, func(t *testing.T) {
			items, want := s.sampleItems(t, smp)
			files, _ := s.encodeAll(t, items)
			for _, f := range files {
				for _, e := range f.res.Rejected {
					t.Errorf("item %s (a record the adapter decoded itself) rejected: %s %s", e.DeliveryID, e.Code, e.Message)
				}
			}
			compareRecords(t, want, s.decodeFiles(t, files))
		})
	}
}

// withheldFields are removed from every registration, as policy.Filter
// does for a receiver that may not see them.
var withheldFields = []string{"sensitive", "life_domains"}

func (s *encodeSuite) withheld(t *testing.T) {
	s.mustConfigure(t)
	items, want := s.sampleItems(t, s.cfg.Samples[0])
	for i := range items {
		var m map[string]any
		if err := json.Unmarshal(items[i].JSON, &m); err != nil {
			t.Fatal(err)
		}
		for _, f := range withheldFields {
			delete(m, f)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		items[i].JSON = b
	}
	for _, w := range want {
		for _, f := range withheldFields {
			delete(w.(map[string]any), f)
		}
	}
	files, _ := s.encodeAll(t, items)
	compareRecords(t, want, s.decodeFiles(t, files))
}

func (s *encodeSuite) deterministicEncode(t *testing.T) {
	s.mustConfigure(t)
	items, _ := s.sampleItems(t, s.cfg.Samples[0])
	first, _ := s.encodeAll(t, items)
	second, _ := s.encodeAll(t, items)
	if len(first) != len(second) {
		t.Fatalf("Encode of the same items gives %d files the first time and %d the second", len(first), len(second))
	}
	for i := range first {
		if !bytes.Equal(first[i].data, second[i].data) {
			t.Errorf("Encode of the same items gives other bytes the second time in file %d (%d and %d bytes)", i, len(first[i].data), len(second[i].data))
		}
		if !reflect.DeepEqual(first[i].res, second[i].res) {
			t.Errorf("Encode of the same items gives another result the second time in file %d", i)
		}
	}
}

func (s *encodeSuite) robustEncode(t *testing.T) {
	s.mustConfigure(t)
	good, _ := s.sampleItems(t, s.cfg.Samples[0])
	bad := [][]byte{
		nil,
		[]byte(`not json`),
		[]byte(`[1, 2]`),
		[]byte(`{}`),
		[]byte(`{"source": {"record_key": ""}}`),
		[]byte(`{"source": {"partner": 7, "record_key": ["x"]}, "client": "nobody"}`),
		[]byte(`{"schema_version": "1", "source": {"partner": "p", "record_key": "sdktest-lang"}, "operation": "new", "client": {"surname": "` + strings.Repeat("x", 1<<20) + `"}}`),
		[]byte(`{"schema_version": "1", "source": {"partner": "p", "record_key": "sdktest-odd"}, "operation": "explode", "client": {"surname": "Jansen;\"\n\r\t,|", "birth_date": "1970-02-31", "gender": "?"}, "life_domains": {"nergens": {"status": "?"}}}`),
	}
	var items []sdk.EncodeItem
	for i, b := range bad {
		g := good[i%len(good)]
		g.DeliveryID = fmt.Sprintf("%s-%d", g.DeliveryID, i) // delivery ids are unique in a batch
		items = append(items, g, sdk.EncodeItem{DeliveryID: fmt.Sprintf("sdktest-bad-%d", i), Operation: sdk.OpNew, JSON: b})
	}
	_, rejected := s.encodeAll(t, items)
	for i := range bad {
		if rejected[items[2*i].DeliveryID] {
			t.Errorf("good item %s rejected next to a bad one", items[2*i].DeliveryID)
		}
	}
}

func (s *encodeSuite) empty(t *testing.T) {
	s.mustConfigure(t)
	_, res := s.encodeItems(t, nil)
	checkResult(t, nil, res)
	if len(res.Written) != 0 || len(res.Rejected) != 0 {
		t.Errorf("Encode without items gives %d written and %d rejected", len(res.Written), len(res.Rejected))
	}
}

func (s *encodeSuite) otherPartner(t *testing.T) {
	s.mustConfigure(t)
	items, _ := s.sampleItems(t, s.cfg.Samples[0])
	_, err := s.enc.Encode(t.Context(), sdk.EncodeRequest{Partner: s.cfg.Partner + "-ander", Items: items[:1]}, io.Discard)
	if err == nil {
		t.Error("Encode for another partner than the configured one returns no error")
	}
}

func (s *encodeSuite) cancelEncode(t *testing.T) {
	s.mustConfigure(t)
	items, _ := s.sampleItems(t, s.cfg.Samples[0])
	for len(items) < 10000 {
		items = append(items, items...)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.direct.Encode(ctx, sdk.EncodeRequest{Partner: s.cfg.Partner, Items: items}, io.Discard)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Encode with a cancelled context returns nil; want an error")
		}
	case <-time.After(cancelTimeout):
		t.Errorf("Encode with a cancelled context has not returned after %s", cancelTimeout)
	}
}

// jsonValue decodes a JSON document for comparison.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("record is no JSON: %v", err)
	}
	return v
}

// diffFields names the fields where two decoded JSON values differ.
func diffFields(prefix string, want, got any) []string {
	wm, ok1 := want.(map[string]any)
	gm, ok2 := got.(map[string]any)
	if !ok1 || !ok2 {
		if reflect.DeepEqual(want, got) {
			return nil
		}
		if prefix == "" {
			return []string{"(het hele record)"}
		}
		return []string{prefix}
	}
	var out []string
	keys := map[string]bool{}
	for k := range wm {
		keys[k] = true
	}
	for k := range gm {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, diffFields(p, wm[k], gm[k])...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
