package sdktest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// fakePoller serves eight persons as "key,bsn,surname" lines, three a page,
// with the cursor "p=<offset>". As it is, it keeps every rule of RunPoll;
// broken names one rule it breaks instead.
type fakePoller struct {
	broken string

	mu      sync.Mutex
	partner string
	calls   int
}

var _ sdk.Poller = (*fakePoller)(nil)

// fakePersons are the persons of fakePoller; the BSNs are made up.
var fakePersons = []string{"k1,999990007,Jansen", "k2,999990019,Berg", "k3,999990020,Yilmaz", "k4,999990032,Bruin",
	"k5,999990044,Visser", "k6,999990056,Haan", "k7,999990068,Bakker", "k8,999990081,Hoek"}

func (f *fakePoller) Describe(context.Context) (sdk.Description, error) {
	caps := []string{"decode", sdk.CapabilityPoll}
	if f.broken == "NoPollCapability" {
		caps = caps[:1]
	}
	return sdk.Description{Name: "fakepoller", Version: "0.1.0", Capabilities: caps, ConfigSchema: []byte(`{"type": "object"}`)}, nil
}

func (f *fakePoller) Configure(_ context.Context, partner string, _ []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.partner = partner
	return nil
}

func (f *fakePoller) Decode(ctx context.Context, _ sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	f.mu.Lock()
	partner := f.partner
	f.mu.Unlock()
	b := sdk.NewBatcher(out, sdk.DefaultChunkRecords)
	sc := bufio.NewScanner(src)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 3 {
			if err := b.AddError(ctx, sdk.RecordError{Line: line, Code: sdk.CodeRowRagged, Message: "verwacht 3 kolommen"}); err != nil {
				return err
			}
			continue
		}
		reg := sdk.Registration{SchemaVersion: sdk.SchemaVersion, Source: sdk.Source{Partner: partner, RecordKey: fields[0]},
			Operation: sdk.OpNew, Client: sdk.Client{BSN: fields[1], Surname: fields[2]}}
		if err := b.Add(ctx, sdk.Record{Line: line, RecordKey: fields[0], JSON: reg.AppendJSON(nil)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return b.Flush(ctx)
}

func (f *fakePoller) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	f.mu.Lock()
	partner := f.partner
	f.calls++
	calls := f.calls
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		if f.broken == "IgnoresCancel" {
			time.Sleep(time.Minute)
		}
		return sdk.PollResult{}, err
	}
	if req.Partner != partner && f.broken != "AnyPartner" {
		return sdk.PollResult{}, fmt.Errorf("configured for %q", partner)
	}
	from := 0
	if offset, ok := strings.CutPrefix(req.Cursor, "p="); ok {
		from, _ = strconv.Atoi(offset)
	} else if req.Cursor != "" {
		// The BSN cursor of BSNInCursor: just past that person.
		from = slices.IndexFunc(fakePersons, func(p string) bool { return strings.Contains(p, req.Cursor) }) + 1
	}
	from = min(max(from, 0), len(fakePersons))
	if f.broken == "NotCaughtUp" && from == len(fakePersons) {
		from = len(fakePersons) - 1
	}
	end := min(from+3, len(fakePersons))
	res := sdk.PollResult{Name: "page.txt", NextCursor: "p=" + strconv.Itoa(end), More: end < len(fakePersons), Items: end - from}
	switch f.broken {
	case "BSNInCursor":
		res.NextCursor = req.Cursor
		if end > from {
			res.NextCursor = strings.Split(fakePersons[end-1], ",")[1]
		}
	case "WrittenWithoutItems":
		if end == len(fakePersons) {
			res.Items = 0
		}
	}
	for i, p := range fakePersons[from:end] {
		if f.broken == "NonDeterministic" && i == 0 {
			p += strconv.Itoa(calls)
		}
		if _, err := io.WriteString(out, p+"\n"); err != nil {
			return sdk.PollResult{}, err
		}
	}
	return res, nil
}

func TestRunPollConformingAdapter(t *testing.T) {
	RunPoll(t, &fakePoller{}, PollConfig{Partner: "conformance", AdapterConfig: []byte(`{}`), WantRecords: len(fakePersons)})
}

// pollFakeEnv names the broken fake that TestPollFake runs RunPoll
// against, in the child processes of TestBrokenPollers.
const pollFakeEnv = "SDKTEST_POLL_FAKE"

// TestPollFake runs RunPoll against the fake named by $SDKTEST_POLL_FAKE;
// without it, it does nothing. The broken fakes fail it on purpose.
func TestPollFake(t *testing.T) {
	name, ok := os.LookupEnv(pollFakeEnv)
	if !ok {
		t.Skip("run by TestBrokenPollers")
	}
	cancelTimeout = 2 * time.Second
	RunPoll(t, &fakePoller{broken: name}, PollConfig{Partner: "conformance", AdapterConfig: []byte(`{}`), WantRecords: len(fakePersons)})
}

// TestBrokenPollers runs RunPoll against fakes that each break one rule, in
// a child process each, and checks that exactly the subtests of the rule
// fail.
func TestBrokenPollers(t *testing.T) {
	runBroken(t, "TestPollFake", pollFakeEnv, []brokenCase{
		{"NoPollCapability", []string{"Describe"}},
		{"BSNInCursor", []string{"NoPersonalDataInCursor"}},
		{"NotCaughtUp", []string{"CaughtUp"}},
		{"WrittenWithoutItems", []string{"Pages"}},
		{"NonDeterministic", []string{"Deterministic"}},
		{"AnyPartner", []string{"OtherPartner"}},
		{"IgnoresCancel", []string{"Cancellation"}},
	})
}
