package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// fakeEncoder is fake with an Encoder that writes "key,surname" lines,
// which fake decodes again. As it is, it keeps every rule of RunEncode;
// broken names one rule it breaks instead. With onePerFile it writes at
// most one item per file and leaves the rest (sdk.EncodeResult.Left).
type fakeEncoder struct {
	*fake
	calls      int
	onePerFile bool
}

var _ sdk.Encoder = (*fakeEncoder)(nil)

func (f *fakeEncoder) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := f.fake.Describe(ctx)
	if f.broken != "EncNoCapability" {
		d.Capabilities = append(d.Capabilities, sdk.CapabilityEncode)
	}
	return d, err
}

func (f *fakeEncoder) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	f.mu.Lock()
	partner, delim := f.partner, f.delim
	f.calls++
	calls := f.calls
	f.mu.Unlock()
	if partner == "" {
		return sdk.EncodeResult{}, errors.New("not configured")
	}
	if req.Partner != partner && f.broken != "EncAnyPartner" {
		return sdk.EncodeResult{}, fmt.Errorf("configured for %s", partner)
	}
	eol := "\n"
	if f.broken == "EncNonDeterministic" && calls%2 == 0 {
		eol = "\r\n"
	}
	res := sdk.EncodeResult{Suffix: ".txt", MediaType: "text/plain"}
	line := 0
	for _, it := range req.Items {
		if f.broken != "EncIgnoresCancel" {
			if err := ctx.Err(); err != nil {
				return sdk.EncodeResult{}, err
			}
		}
		if f.onePerFile && line == 1 || f.broken == "EncHandlesNothing" && len(req.Items) > 1 {
			break
		}
		reject := func(code, msg string) {
			if f.broken == "EncUnknownCode" {
				code = "ENCODE_NOPE"
			}
			res.Rejected = append(res.Rejected, sdk.EncodeError{DeliveryID: it.DeliveryID, Code: code, Message: msg})
		}
		var reg sdk.Registration
		if err := json.Unmarshal(it.JSON, &reg); err != nil {
			if f.broken == "EncPanicsOnBadJSON" {
				panic("bad json")
			}
			reject(sdk.CodeEncodeInvalid, "geen registratie")
			continue
		}
		if reg.Source.RecordKey == "" {
			reject(sdk.CodeEncodeInvalid, "geen sleutel")
			continue
		}
		surname := reg.Client.Surname
		if f.broken == "EncDropsSurname" {
			surname = ""
		}
		if strings.ContainsAny(reg.Source.RecordKey+surname, delim+"\r\n") {
			reject(sdk.CodeEncodeFormat, "bevat het scheidingsteken of een regeleinde")
			continue
		}
		if _, err := fmt.Fprintf(out, "%s%s%s%s", reg.Source.RecordKey, delim, surname, eol); err != nil {
			return sdk.EncodeResult{}, err
		}
		line++
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: line})
	}
	if f.broken == "EncWrongOrder" {
		slices.Reverse(res.Written)
	}
	if f.broken == "EncIgnoresCancel" {
		time.Sleep(2 * cancelTimeout)
	}
	return res, nil
}

func TestRunEncodeConformingAdapter(t *testing.T) {
	RunEncode(t, &fakeEncoder{fake: &fake{}}, fakeConfig())
}

// TestRunEncodeOnePerFile: an encoder that writes one item per file and
// leaves the rest for the next conforms too.
func TestRunEncodeOnePerFile(t *testing.T) {
	cfg := fakeConfig()
	// A file per record: the first 40 lines of the large sample are enough.
	lines := bytes.SplitAfter(cfg.Samples[0].Data, []byte("\n"))
	cfg.Samples[0].Data = bytes.Join(lines[:40], nil)
	RunEncode(t, &fakeEncoder{fake: &fake{}, onePerFile: true}, cfg)
}

// fakeEncodeEnv names the broken encoder that TestFakeEncoder runs the
// suite against, in the child processes of TestBrokenEncoders.
const fakeEncodeEnv = "SDKTEST_FAKE_ENCODER"

// TestFakeEncoder runs RunEncode against the encoder named by
// $SDKTEST_FAKE_ENCODER; without it, it does nothing.
func TestFakeEncoder(t *testing.T) {
	name, ok := os.LookupEnv(fakeEncodeEnv)
	if !ok {
		t.Skip("run by TestBrokenEncoders")
	}
	decodeTimeout, cancelTimeout = 20*time.Second, 2*time.Second
	RunEncode(t, &fakeEncoder{fake: &fake{broken: name}}, fakeConfig())
}

// TestBrokenEncoders runs RunEncode against encoders that each break one
// rule, in a child process each, and checks that exactly the subtests of
// the rule fail.
func TestBrokenEncoders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in child processes")
	}
	runBroken(t, "TestFakeEncoder", fakeEncodeEnv, []brokenCase{
		{"EncNoCapability", []string{"Describe"}},
		{"EncDropsSurname", []string{"RoundTrip", "Withheld"}},
		{"EncNonDeterministic", []string{"Deterministic"}},
		{"EncWrongOrder", []string{"RoundTrip", "Withheld", "Deterministic", "Robust"}},
		{"EncPanicsOnBadJSON", []string{"Robust"}},
		{"EncUnknownCode", []string{"Robust"}},
		{"EncAnyPartner", []string{"OtherPartner"}},
		{"EncIgnoresCancel", []string{"Cancellation"}},
		{"EncHandlesNothing", []string{"RoundTrip", "Withheld", "Deterministic", "Robust"}},
	})
}
