package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is what Run needs to know about the adapter under test.
type Config struct {
	// Partner is the partner id the adapter is configured for, such as
	// "conformance". Every record must carry it as source.partner.
	Partner string
	// AdapterConfig is a JSON configuration that is valid for the adapter
	// and fits the samples.
	AdapterConfig []byte
	// Samples are real documents with what they should give. There must
	// be at least one; the first is the base of the robustness, cancellation
	// and streaming checks.
	Samples []Sample
	// InvalidConfigs are configurations that Configure must refuse with a
	// *sdk.ConfigError. Optional.
	InvalidConfigs [][]byte
	// NextExport is the first sample as the partner might send it the next
	// night, with some records changed. Optional; for an adapter with the
	// digest capability the suite then checks that no changed record is
	// reported unchanged.
	NextExport []byte
}

// Sample is one document with the number of records and record errors it
// should give; -1 leaves a count unchecked.
type Sample struct {
	Name        string // names the subtests and is the Document's OriginalName
	Data        []byte // the document as a partner delivers it
	WantRecords int    // records Decode must give, or -1
	WantErrors  int    // record errors Decode must give, or -1
	// WantConsents is the number of consent statements Decode must give,
	// or -1; the zero value suits adapters without consent output.
	WantConsents int
}

// receivedAt is the Document.ReceivedAt of every Decode the suite makes.
const receivedAt = "2025-03-01T09:30:00+01:00"

// Time limits. A Decode of any input must end within decodeTimeout; after
// its context is cancelled, within cancelTimeout. The suite's own tests
// shorten them.
var (
	decodeTimeout = 30 * time.Second
	cancelTimeout = 5 * time.Second
)

// Run runs the conformance suite against adapter a. It serves a through
// sdk.TestClient, so that the real gRPC path is used, and reports every
// broken property as a failed subtest named after it. It fails at once when
// cfg has no partner or no samples.
func Run(t *testing.T, a sdk.Adapter, cfg Config) {
	t.Helper()
	if cfg.Partner == "" {
		t.Fatal("sdktest: Config.Partner is empty")
	}
	if len(cfg.Samples) == 0 {
		t.Fatal("sdktest: Config.Samples is empty; give at least one real document")
	}
	for i, s := range cfg.Samples {
		if s.Name == "" || len(s.Data) == 0 {
			t.Fatalf("sdktest: Config.Samples[%d] needs a Name and Data", i)
		}
	}
	g := &guard{Adapter: a}
	s := &suite{cfg: cfg, guard: g, hub: sdk.TestClient(t, g)}
	t.Run("Describe", s.describe)
	t.Run("Configure", s.configure)
	t.Run("Decode", s.decode)
	t.Run("Deterministic", s.deterministic)
	t.Run("Robust", s.robust)
	t.Run("Cancellation", s.cancellation)
	t.Run("Streaming", s.streaming)
	t.Run("Digest", s.digest)
}

// suite holds one Run.
type suite struct {
	cfg   Config
	guard *guard      // the adapter itself, for direct calls
	hub   sdk.Adapter // the hub's view of it, over gRPC
}

// guard catches panics in the adapter's Decode and remembers them, so that
// the suite can tell a panic from an error and a direct call cannot take
// the test binary down.
type guard struct {
	sdk.Adapter
	mu     sync.Mutex
	panics []string
}

func (g *guard) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) (err error) {
	defer func() {
		if r := recover(); r != nil {
			g.mu.Lock()
			g.panics = append(g.panics, fmt.Sprintf("%v\n%s", r, debug.Stack()))
			g.mu.Unlock()
			err = fmt.Errorf("sdktest: adapter panicked: %v", r)
		}
	}()
	return g.Adapter.Decode(ctx, doc, src, out)
}

// takePanics returns the panics since the previous call.
func (g *guard) takePanics() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.panics
	g.panics = nil
	return p
}

// mustConfigure configures the adapter with cfg.AdapterConfig, so that every
// subtest starts from a known configuration.
func (s *suite) mustConfigure(t *testing.T) {
	t.Helper()
	if err := s.hub.Configure(t.Context(), s.cfg.Partner, s.cfg.AdapterConfig); err != nil {
		t.Fatalf("Configure(%q, Config.AdapterConfig) = %v", s.cfg.Partner, err)
	}
}

// document is the Document of every Decode of an input called name.
func (s *suite) document(name string, size int) sdk.Document {
	return sdk.Document{ID: "sdktest-" + name, Partner: s.cfg.Partner, OriginalName: name, ReceivedAt: receivedAt, Size: int64(size)}
}

func (s *suite) describe(t *testing.T) {
	d, err := s.hub.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Name == "" {
		t.Error("Describe gives no Name")
	}
	if d.Version == "" {
		t.Error("Describe gives no Version")
	}
	if !slices.Contains(d.Capabilities, "decode") {
		t.Errorf("Describe gives Capabilities %q, without \"decode\"", d.Capabilities)
	}
	if len(d.ConfigSchema) == 0 {
		t.Fatal("Describe gives no ConfigSchema")
	}
	cs, err := compileConfigSchema(d.Name, d.ConfigSchema)
	if err != nil {
		t.Fatalf("ConfigSchema does not compile as JSON Schema: %v", err)
	}
	v, err := decodeJSON(s.cfg.AdapterConfig)
	if err != nil {
		t.Fatalf("Config.AdapterConfig is not JSON: %v", err)
	}
	if err := cs.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("validate Config.AdapterConfig against ConfigSchema: %v", err)
		}
		for _, is := range schema.Issues(ve) {
			t.Errorf("ConfigSchema refuses Config.AdapterConfig at %q (%s): %s", is.Pointer, is.Keyword, is.Message)
		}
	}
}

// compileConfigSchema compiles an adapter's configuration schema the way the
// hub does: draft 7 unless the schema names another, no remote references.
func compileConfigSchema(name string, doc []byte) (*jsonschema.Schema, error) {
	url := "https://ketenhub.nl/schemas/adapters/" + name + "/config.schema.json"
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	c.LoadURL = func(ref string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("the schema refers to %s; only self-contained schemas are allowed", ref)
	}
	if err := c.AddResource(url, bytes.NewReader(doc)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// decodeJSON parses doc as the jsonschema package expects it.
func decodeJSON(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}

func (s *suite) configure(t *testing.T) {
	s.mustConfigure(t)
	for i, c := range s.cfg.InvalidConfigs {
		t.Run(fmt.Sprintf("Invalid%d", i), func(t *testing.T) {
			err := s.hub.Configure(t.Context(), s.cfg.Partner, c)
			var ce *sdk.ConfigError
			switch {
			case err == nil:
				t.Errorf("Configure accepts Config.InvalidConfigs[%d]: %s", i, c)
			case !errors.As(err, &ce):
				t.Errorf("Configure refuses Config.InvalidConfigs[%d] with %v, not with a *sdk.ConfigError", i, err)
			case ce.Message == "":
				t.Errorf("Configure refuses Config.InvalidConfigs[%d] with a *sdk.ConfigError without a Message (Field %q)", i, ce.Field)
			}
		})
	}
	// Leave the adapter as the other subtests expect it.
	s.mustConfigure(t)
}

func (s *suite) decode(t *testing.T) {
	s.mustConfigure(t)
	for _, smp := range s.cfg.Samples {
		t.Run(smp.Name, func(t *testing.T) {
			res := s.decodeBytes(t, smp.Name, smp.Data)
			if !res.check(t) {
				return
			}
			if res.err != nil {
				t.Fatalf("Decode: %v", res.err)
			}
			recs, errs := s.checkChunks(t, res.chunks)
			if smp.WantRecords >= 0 && recs != smp.WantRecords {
				t.Errorf("Decode gives %d records, want %d", recs, smp.WantRecords)
			}
			if smp.WantErrors >= 0 && errs != smp.WantErrors {
				t.Errorf("Decode gives %d record errors, want %d", errs, smp.WantErrors)
			}
			if n := countConsents(res.chunks); smp.WantConsents >= 0 && n != smp.WantConsents {
				t.Errorf("Decode gives %d consent statements, want %d", n, smp.WantConsents)
			}
		})
	}
}

func (s *suite) deterministic(t *testing.T) {
	s.mustConfigure(t)
	for _, smp := range s.cfg.Samples {
		t.Run(smp.Name, func(t *testing.T) {
			first := s.decodeBytes(t, smp.Name, smp.Data)
			second := s.decodeBytes(t, smp.Name, smp.Data)
			if !first.check(t) || !second.check(t) {
				return
			}
			if (first.err == nil) != (second.err == nil) {
				t.Fatalf("Decode of the same document gives %v, then %v", first.err, second.err)
			}
			if d := diffChunks(first.chunks, second.chunks); d != "" {
				t.Errorf("Decode of the same document gives other chunks the second time: %s", d)
			}
		})
	}
}

func (s *suite) robust(t *testing.T) {
	s.mustConfigure(t)
	first := s.cfg.Samples[0]
	base := s.decodeBytes(t, first.Name, first.Data)
	if !base.check(t) {
		t.FailNow()
	}
	if base.err != nil {
		t.Fatalf("Decode of the first sample: %v", base.err)
	}
	inputs := []struct {
		name string
		data []byte
	}{
		{"Empty", nil},
		{"OneByte", first.Data[:1]},
		{"RandomBytes", randomBytes(64 << 10)},
		{"Truncated", truncated(first.Data)},
		{"Large", largeInput(first.Data)},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			res := s.decodeBytes(t, in.name, in.data)
			if res.check(t) {
				if res.err != nil {
					t.Logf("Decode refuses the input: %v", res.err)
				} else {
					recs, errs := s.checkChunks(t, res.chunks)
					t.Logf("Decode gives %d records and %d record errors in %d chunks", recs, errs, len(res.chunks))
				}
			}
			after := s.decodeBytes(t, first.Name, first.Data)
			if !after.check(t) {
				return
			}
			if after.err != nil {
				t.Fatalf("after this input, Decode of the first sample fails: %v", after.err)
			}
			if d := diffChunks(base.chunks, after.chunks); d != "" {
				t.Errorf("after this input, Decode of the first sample gives other chunks than before: %s", d)
			}
		})
	}
}

func (s *suite) cancellation(t *testing.T) {
	s.mustConfigure(t)
	first := s.cfg.Samples[0].Data
	t.Run("AlreadyCancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		src := newRepeating(first)
		defer src.stop()
		done := s.decodeDirect(ctx, src, &recorder{})
		select {
		case err := <-done:
			if err == nil {
				t.Error("Decode with a cancelled context returns nil; want an error")
			}
		case <-time.After(cancelTimeout):
			t.Errorf("Decode with a cancelled context has not returned after %s; it must stop when its context ends", cancelTimeout)
		}
		s.checkPanics(t)
	})
	t.Run("MidStream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		src := newRepeating(first)
		defer src.stop()
		cancelled := make(chan struct{})
		rec := &recorder{onChunk: func(n int) {
			if n == 1 {
				cancel()
				close(cancelled)
			}
		}}
		done := s.decodeDirect(ctx, src, rec)
		select {
		case <-cancelled:
		case err := <-done:
			t.Fatalf("Decode of a 64 MiB input returns %v without writing a chunk", err)
		case <-time.After(decodeTimeout):
			t.Fatalf("Decode of a 64 MiB input writes no chunk within %s, so it cannot be cancelled after one", decodeTimeout)
		}
		readAtCancel := src.read()
		select {
		case err := <-done:
			switch {
			case err != nil:
			case src.read() > readAtCancel:
				t.Errorf("Decode cancelled after its first chunk reads on and returns nil; want an error")
			default:
				t.Logf("Decode had read all it needed of the document before the cancel (%d bytes) and returns nil", readAtCancel)
			}
		case <-time.After(cancelTimeout):
			t.Errorf("Decode has not returned %s after its context was cancelled; it must stop when its context ends", cancelTimeout)
		}
		s.checkPanics(t)
	})
}

func (s *suite) streaming(t *testing.T) {
	s.mustConfigure(t)
	big := largeInput(s.cfg.Samples[0].Data)
	half := len(big) / 2
	// The hub sends the document in frames of sdk.FrameSize bytes and holds
	// back a partial one, and the adapter may buffer: count what the part
	// surely delivered gives.
	part := big[:max(0, half-2*sdk.FrameSize)]
	res := s.decodeBytes(t, "streaming-part", part)
	if !res.check(t) {
		return
	}
	if res.err != nil {
		t.Skipf("Decode of the first %d bytes of the large input fails, so what they give cannot be counted: %v", len(part), res.err)
	}
	items := 0
	for _, c := range res.chunks {
		items += len(c.Records) + len(c.Errors)
	}
	if items <= sdk.DefaultChunkRecords {
		t.Skipf("the first %d bytes of the large input give %d records and record errors, not more than sdk.DefaultChunkRecords (%d): a chunk need not be full before the whole input is read",
			len(part), items, sdk.DefaultChunkRecords)
	}
	t.Logf("the first %d of %d bytes give %d records and record errors", len(part), len(big), items)

	ctx, cancel := context.WithTimeout(t.Context(), 2*decodeTimeout)
	defer cancel()
	src := newHalting(big, half)
	defer src.release()
	firstChunk := make(chan struct{})
	rec := &recorder{onChunk: func(n int) {
		if n == 1 {
			close(firstChunk)
		}
	}}
	doc := s.document("streaming", len(big))
	done := make(chan error, 1)
	go func() { done <- s.hub.Decode(ctx, doc, src, rec) }()
	select {
	case <-firstChunk:
	case err := <-done:
		src.release()
		t.Fatalf("Decode returns %v without writing a chunk while the second half of the input is held back", err)
	case <-time.After(decodeTimeout):
		t.Errorf("Decode writes no chunk within %s while the second half of the input is held back, though the first %d bytes give %d records and record errors; it must write chunks as it reads", decodeTimeout, len(part), items)
	}
	src.release()
	select {
	case <-done:
	case <-time.After(decodeTimeout):
		t.Errorf("Decode has not returned %s after the rest of the input was released", decodeTimeout)
	}
	s.checkPanics(t)
}

// result is what one Decode over gRPC gave.
type result struct {
	chunks   []sdk.Chunk
	err      error
	timedOut bool
	panics   []string
}

// check reports a panic or a Decode that did not end in time, and returns
// whether there was neither.
func (r result) check(t *testing.T) bool {
	t.Helper()
	for _, p := range r.panics {
		t.Errorf("Decode panics: %s", p)
	}
	if r.timedOut {
		t.Errorf("Decode has not returned after %s", decodeTimeout)
	}
	return len(r.panics) == 0 && !r.timedOut
}

// decodeBytes decodes data over gRPC within decodeTimeout.
func (s *suite) decodeBytes(t *testing.T, name string, data []byte) result {
	t.Helper()
	return s.decodeDocument(t, s.document(name, len(data)), data)
}

// decodeDocument decodes data as doc over gRPC within decodeTimeout.
func (s *suite) decodeDocument(t *testing.T, doc sdk.Document, data []byte) result {
	t.Helper()
	// A timer rather than a deadline: gRPC hands a deadline to the adapter
	// side, where it may end the call just before it ends here.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { done <- s.hub.Decode(ctx, doc, bytes.NewReader(data), rec) }()
	timer := time.NewTimer(decodeTimeout)
	defer timer.Stop()
	var res result
	select {
	case res.err = <-done:
	case <-timer.C:
		res.timedOut = true
		cancel()
		select {
		case res.err = <-done:
		case <-time.After(cancelTimeout):
		}
	}
	res.chunks = rec.taken()
	res.panics = s.guard.takePanics()
	return res
}

// decodeDirect starts a Decode of the adapter itself, without gRPC, and
// returns the channel its result arrives on.
func (s *suite) decodeDirect(ctx context.Context, src io.Reader, out sdk.ChunkWriter) <-chan error {
	done := make(chan error, 1)
	doc := s.document("repeated", repeatLimit)
	go func() { done <- s.guard.Decode(ctx, doc, src, out) }()
	return done
}

// checkPanics reports the panics of the adapter since the previous check.
func (s *suite) checkPanics(t *testing.T) {
	t.Helper()
	for _, p := range s.guard.takePanics() {
		t.Errorf("Decode panics: %s", p)
	}
}

// recorder is a ChunkWriter that keeps the chunks and, like the real
// transport, refuses them once the context has ended.
type recorder struct {
	mu      sync.Mutex
	chunks  []sdk.Chunk
	onChunk func(n int) // called with the number of chunks written so far
}

func (r *recorder) WriteChunk(ctx context.Context, c sdk.Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	r.chunks = append(r.chunks, c)
	n := len(r.chunks)
	r.mu.Unlock()
	if r.onChunk != nil {
		r.onChunk(n)
	}
	return nil
}

func (r *recorder) taken() []sdk.Chunk {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chunks
}
