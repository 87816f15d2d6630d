package sdktest

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunConformingAdapter(t *testing.T) {
	Run(t, &fake{}, fakeConfig())
}

func TestRunConformingDigestAdapter(t *testing.T) {
	cfg := fakeConfig()
	cfg.NextExport = fakeNextExport
	Run(t, &fake{digest: true}, cfg)
}

// fakeEnv names the broken fake that TestFake runs the suite against, in the
// child processes of TestBrokenAdapters.
const fakeEnv = "SDKTEST_FAKE"

// TestFake runs the suite against the fake named by $SDKTEST_FAKE; without
// it, it does nothing. The broken fakes fail it on purpose.
func TestFake(t *testing.T) {
	name, ok := os.LookupEnv(fakeEnv)
	if !ok {
		t.Skip("run by TestBrokenAdapters")
	}
	// Enough for the race detector on a busy machine, short enough for the
	// fakes that hang; 2 MiB is enough for the streaming check.
	decodeTimeout, cancelTimeout, largeSize = 20*time.Second, 10*time.Second, 2<<20
	cfg := fakeConfig()
	switch name {
	case "WrongCounts":
		cfg.Samples[0].WantRecords++
		cfg.Samples[0].WantErrors--
	case "FewRecords":
		cfg.Samples = cfg.Samples[2:]
	}
	if strings.HasPrefix(name, "Digest") {
		cfg.NextExport = fakeNextExport
		Run(t, &fake{broken: name, digest: true}, cfg)
		return
	}
	Run(t, &fake{broken: name}, cfg)
}

// failed matches the report of a failed top-level subtest of Run.
var failed = regexp.MustCompile(`--- FAIL: TestFake/(\w+) \(`)

// TestBrokenAdapters runs the suite against fakes that each break one rule,
// in a child process each, and checks that exactly the subtests of the rule
// fail, and for FewRecords (a first sample too small for the streaming
// check) that nothing fails and Streaming is skipped.
func TestBrokenAdapters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite some 30 times in child processes")
	}
	// Many broken fakes fail Robust too: its inputs must follow the same
	// rules as the samples.
	tests := []struct {
		fake string
		want []string // the subtests of Run that must fail
	}{
		{"NoName", []string{"Describe"}},
		{"NoVersion", []string{"Describe"}},
		{"NoDecodeCapability", []string{"Describe"}},
		{"SchemaDoesNotCompile", []string{"Describe"}},
		{"SchemaRefusesConfig", []string{"Describe"}},
		{"RefusesValidConfig", []string{"Configure", "Decode", "Deterministic", "Robust", "Cancellation", "Streaming"}},
		{"AcceptsInvalidConfig", []string{"Configure"}},
		{"PlainConfigError", []string{"Configure"}},
		{"ConfigErrorWithoutMessage", []string{"Configure"}},
		{"SeqFromOne", []string{"Decode", "Robust"}},
		{"SeqStuck", []string{"Decode", "Robust"}},
		{"EmptyChunk", []string{"Decode", "Robust"}},
		{"RecordAgainstSchema", []string{"Decode", "Robust"}},
		{"WrongPartner", []string{"Decode", "Robust"}},
		{"KeyMismatch", []string{"Decode", "Robust"}},
		{"RecordLineZero", []string{"Decode", "Robust"}},
		{"DuplicateKeys", []string{"Decode", "Robust"}},
		{"UnknownCode", []string{"Decode", "Robust"}},
		{"ErrorWithoutMessage", []string{"Decode", "Robust"}},
		{"NegativeErrorLine", []string{"Decode", "Robust"}},
		{"WrongCounts", []string{"Decode"}},
		{"NonDeterministic", []string{"Deterministic", "Robust"}},
		{"PanicsOnEmpty", []string{"Robust"}},
		{"HangsOnOneByte", []string{"Robust"}},
		{"LosesStateOnEmpty", []string{"Robust"}},
		{"IgnoresCancel", []string{"Cancellation"}},
		{"ReadsAllFirst", []string{"Streaming"}},
		{"FewRecords", nil},
		{"DigestMissing", []string{"Digest"}},
		{"DigestIgnoresKnown", []string{"Digest"}},
		{"DigestUnchangedDuplicate", []string{"Digest"}},
		{"DigestUnsound", []string{"Digest"}},
		{"DigestChunksByKnown", []string{"Digest"}},
		{"DigestMixedTags", []string{"Digest"}},
		{"DigestWithoutConsent", []string{"Digest"}},
		{"ConsentAgainstSchema", []string{"Decode", "Robust"}},
		{"ConsentWrongPartner", []string{"Decode", "Robust"}},
		{"ConsentBeforeRecord", []string{"Decode", "Robust"}},
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.fake, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestFake$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), fakeEnv+"="+tt.fake)
			out, err := cmd.CombinedOutput()
			var got []string
			for _, m := range failed.FindAllStringSubmatch(string(out), -1) {
				got = append(got, m[1])
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) || (err == nil) != (len(want) == 0) {
				t.Errorf("suite against fake %s: failed subtests %q (exit: %v), want %q\n%s", tt.fake, got, err, want, out)
			}
			if tt.fake == "FewRecords" && !strings.Contains(string(out), "--- SKIP: TestFake/Streaming") {
				t.Errorf("suite against fake %s: Streaming not skipped\n%s", tt.fake, out)
			}
		})
	}
}
