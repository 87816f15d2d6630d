package sdktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// fake is a small adapter for lines of "key,surname"; it rejects a document
// whose first line starts with '%' as a whole. As it is, it keeps
// every rule of the suite; broken names one rule it breaks instead, to show
// that the suite notices.
type fake struct {
	broken string
	digest bool // declare the digest capability, set SourceDigest, honour Skip

	mu       sync.Mutex
	partner  string
	delim    string
	calls    int
	poisoned bool
}

var _ sdk.Adapter = (*fake)(nil)

const fakeSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {"delimiter": {"type": "string", "minLength": 1}}
}`

func (f *fake) Describe(context.Context) (sdk.Description, error) {
	d := sdk.Description{Name: "fake", Version: "0.1.0", Capabilities: []string{"decode"}, ConfigSchema: []byte(fakeSchema)}
	switch f.broken {
	case "NoName":
		d.Name = ""
	case "NoVersion":
		d.Version = ""
	case "NoDecodeCapability":
		d.Capabilities = []string{"encode"}
	case "SchemaDoesNotCompile":
		d.ConfigSchema = []byte(`{"type": 5}`)
	case "SchemaRefusesConfig":
		d.ConfigSchema = []byte(`{"type": "object", "required": ["separator"]}`)
	}
	if f.digest {
		d.Capabilities = append(d.Capabilities, sdk.CapabilityDigest)
	}
	return d, nil
}

func (f *fake) Configure(_ context.Context, partner string, config []byte) error {
	var c struct {
		Delimiter string `json:"delimiter"`
	}
	var ce *sdk.ConfigError
	if err := json.Unmarshal(config, &c); err != nil {
		ce = &sdk.ConfigError{Message: "geen geldige JSON"}
	} else if utf8.RuneCountInString(c.Delimiter) != 1 {
		ce = &sdk.ConfigError{Field: "/delimiter", Message: "één teken verwacht"}
	}
	switch {
	case f.broken == "RefusesValidConfig":
		return &sdk.ConfigError{Message: "nee"}
	case ce != nil && f.broken == "AcceptsInvalidConfig":
		return nil
	case ce != nil && f.broken == "PlainConfigError":
		return errors.New(ce.Message)
	case ce != nil && f.broken == "ConfigErrorWithoutMessage":
		ce.Message = ""
		return ce
	case ce != nil:
		return ce
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.partner, f.delim, f.poisoned = partner, c.Delimiter, false
	return nil
}

// writerFunc is a ChunkWriter made of a function.
type writerFunc func(ctx context.Context, c sdk.Chunk) error

func (w writerFunc) WriteChunk(ctx context.Context, c sdk.Chunk) error { return w(ctx, c) }

func (f *fake) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	f.mu.Lock()
	partner, delim, poisoned := f.partner, f.delim, f.poisoned
	f.calls++
	calls := f.calls
	f.mu.Unlock()
	if partner == "" {
		return errors.New("not configured")
	}
	if poisoned {
		return errors.New("lost my state")
	}

	written := 0
	w := writerFunc(func(ctx context.Context, c sdk.Chunk) error {
		written++
		switch f.broken {
		case "SeqFromOne":
			c.Seq++
		case "SeqStuck":
			c.Seq = 0
		case "IgnoresCancel":
			_ = out.WriteChunk(ctx, c)
			return nil
		}
		return out.WriteChunk(ctx, c)
	})
	if f.broken == "ReadsAllFirst" {
		// Broken only in that it reads everything before writing a chunk;
		// it still stops when its context ends.
		var data bytes.Buffer
		buf := make([]byte, 64<<10)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := src.Read(buf)
			data.Write(buf[:n])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		src = bytes.NewReader(data.Bytes())
	}

	b := sdk.NewBatcher(w, 0)
	var held []sdk.Unchanged
	br := bufio.NewReader(src)
	seen := map[string]int{}
	line := 0
	for {
		if err := ctx.Err(); err != nil && f.broken != "IgnoresCancel" {
			return err
		}
		raw, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return rerr
		}
		if len(raw) > 0 {
			line++
			if line == 1 && len(raw) == 1 && rerr != nil && f.broken == "HangsOnOneByte" {
				<-ctx.Done()
				return ctx.Err()
			}
			if line == 1 && raw[0] == '%' {
				if err := b.AddError(ctx, sdk.RecordError{Line: 1, Code: sdk.CodeDocumentRejected, Message: "geen tekstbestand"}); err != nil {
					return err
				}
				return b.Flush(ctx)
			}
			text := strings.TrimRight(string(raw), "\r\n")
			if key, ok := f.unchanged(doc.Known, text, delim, partner, seen); ok {
				seen[key] = line
				u := sdk.Unchanged{Line: line, RecordKey: key}
				if f.broken == "DigestChunksByKnown" {
					held = append(held, u) // reported at the end, out of their chunks
					continue
				}
				if err := b.AddUnchanged(ctx, u); err != nil {
					return err
				}
				continue
			}
			rec, e := f.row(line, text, delim, partner, calls, seen)
			var err error
			switch {
			case e != nil:
				err = b.AddError(ctx, *e)
			case f.broken == "ConsentBeforeRecord" && strings.HasSuffix(text, "+"):
				// The statement in one chunk, its record in the next.
				if err = f.addConsent(ctx, b, rec, text, partner); err == nil {
					err = b.Flush(ctx)
				}
				if err == nil {
					err = b.Add(ctx, *rec)
				}
			default:
				if err = b.Add(ctx, *rec); err == nil {
					err = f.addConsent(ctx, b, rec, text, partner)
				}
			}
			if err != nil {
				return err
			}
		}
		if rerr != nil {
			break
		}
	}
	if line == 0 {
		switch f.broken {
		case "PanicsOnEmpty":
			panic("empty document")
		case "LosesStateOnEmpty":
			f.mu.Lock()
			f.poisoned = true
			f.mu.Unlock()
		}
		if err := b.AddError(ctx, sdk.RecordError{Code: sdk.CodeEmptyDocument, Message: "leeg document"}); err != nil {
			return err
		}
	}
	for _, u := range held {
		if err := b.AddUnchanged(ctx, u); err != nil {
			return err
		}
	}
	if err := b.Flush(ctx); err != nil {
		return err
	}
	if f.broken == "EmptyChunk" {
		return out.WriteChunk(ctx, sdk.Chunk{Seq: written})
	}
	return nil
}

// row maps one line.
func (f *fake) row(line int, text, delim, partner string, calls int, seen map[string]int) (*sdk.Record, *sdk.RecordError) {
	fail := func(code, msg string) (*sdk.Record, *sdk.RecordError) {
		e := &sdk.RecordError{Line: line, Code: code, Message: msg}
		switch f.broken {
		case "UnknownCode":
			e.Code = "ROW_WRONG"
		case "ErrorWithoutMessage":
			e.Message = ""
		case "NegativeErrorLine":
			e.Line = -1
		}
		return nil, e
	}
	fields := strings.Split(text, delim)
	if len(fields) != 2 {
		return fail(sdk.CodeRowRagged, fmt.Sprintf("regel heeft %d kolommen, verwacht 2", len(fields)))
	}
	key, surname := fields[0], strings.TrimRight(fields[1], "+-")
	if n := utf8.RuneCountInString(key); n == 0 || n > 200 || !utf8.ValidString(key) {
		return fail(sdk.CodeFieldFormat, "sleutel ontbreekt, is te lang of geen UTF-8")
	}
	if utf8.RuneCountInString(surname) > 200 {
		return fail(sdk.CodeFieldFormat, "achternaam is te lang")
	}
	if first, ok := seen[key]; ok && f.broken != "DuplicateKeys" {
		return fail(sdk.CodeDuplicateKey, fmt.Sprintf("sleutel kwam al voor op regel %d", first))
	}
	seen[key] = line
	reg := sdk.Registration{
		SchemaVersion: sdk.SchemaVersion,
		Source:        sdk.Source{Partner: partner, RecordKey: key},
		Operation:     sdk.OpNew,
		Client:        sdk.Client{Surname: surname},
	}
	rec := &sdk.Record{Line: line, RecordKey: key}
	switch f.broken {
	case "RecordAgainstSchema":
		reg.Client.Gender = "m"
	case "WrongPartner":
		reg.Source.Partner = "elders"
	case "KeyMismatch":
		rec.RecordKey = key + "-x"
	case "RecordLineZero":
		rec.Line = 0
	case "NonDeterministic":
		reg.Municipality = fmt.Sprintf("gemeente %d", calls)
	}
	rec.JSON = reg.AppendJSON(nil)
	if f.digest && f.broken != "DigestMissing" {
		rec.SourceDigest = f.sum(partner, key, fields[1])
	}
	return rec, nil
}

// addConsent adds the consent statement of a line whose surname ends in
// "+" (given) or "-" (withdrawn).
func (f *fake) addConsent(ctx context.Context, b *sdk.Batcher, rec *sdk.Record, text, partner string) error {
	state := ""
	switch {
	case strings.HasSuffix(text, "+"):
		state = sdk.ConsentGiven
	case strings.HasSuffix(text, "-"):
		state = sdk.ConsentWithdrawn
	default:
		return nil
	}
	st := sdk.ConsentStatement{Source: sdk.ConsentSource{Partner: partner}, Client: sdk.ConsentClient{RecordKey: rec.RecordKey},
		Recipient: "kernpartners", Purpose: "zorgcoordinatie", State: state, LegalBasis: sdk.BasisToestemming}
	if state == sdk.ConsentGiven {
		st.EvidenceRef = "formulier " + rec.RecordKey
	}
	switch f.broken {
	case "ConsentAgainstSchema":
		st.State = "ja"
	case "ConsentWrongPartner":
		st.Source.Partner = "elders"
	}
	return b.AddConsent(ctx, st.Consent(rec.Line))
}

// unchanged reports whether a line is a record whose digest is known, with
// its key.
func (f *fake) unchanged(known *sdk.DigestSet, text, delim, partner string, seen map[string]int) (string, bool) {
	if !f.digest || known.Len() == 0 || f.broken == "DigestIgnoresKnown" {
		return "", false
	}
	fields := strings.Split(text, delim)
	if len(fields) != 2 {
		return "", false
	}
	key := fields[0]
	if _, dup := seen[key]; dup && f.broken != "DigestUnchangedDuplicate" {
		return "", false
	}
	return key, known.Has(f.sum(partner, key, fields[1]))
}

// sum is the source digest of a line.
func (f *fake) sum(partner, key, surname string) []byte {
	seed := partner
	if f.broken == "DigestMixedTags" {
		seed += key
	}
	b := sdk.NewDigestBuilder([]byte(seed))
	b.Field(key)
	if f.broken == "DigestWithoutConsent" {
		surname = strings.TrimRight(surname, "+-")
	}
	if f.broken != "DigestUnsound" {
		b.Field(surname)
	}
	return b.Sum(nil)
}

// fakeSample is a document for the fake of 4,500 lines, so that it fills
// more than one chunk: all records but line 3, which has one column, and
// line 4, which repeats the key of line 1; every 7th record with the
// client's consent (a surname ending in "+").
var fakeSample = func() []byte {
	var b bytes.Buffer
	for i := 1; i <= 4500; i++ {
		switch {
		case i == 3:
			b.WriteString("k3\n")
		case i == 4:
			b.WriteString("k1,Bakker\n")
		case i%7 == 0:
			fmt.Fprintf(&b, "k%d,Naam%d+\n", i, i)
		default:
			fmt.Fprintf(&b, "k%d,Naam%d\n", i, i)
		}
	}
	return b.Bytes()
}()

// fakeSampleConsents is the number of consent statements of fakeSample.
const fakeSampleConsents = 4500 / 7

// fakeNextExport is fakeSample with the surnames of every 100th line
// changed, and the consent of every 70th line (the 7th ones ending in 1)
// withdrawn.
var fakeNextExport = bytes.ReplaceAll(bytes.ReplaceAll(fakeSample, []byte("00\n"), []byte("00-nieuw\n")), []byte("1+\n"), []byte("1-\n"))

// fakeConfig is the suite's configuration for the fake.
func fakeConfig() Config {
	return Config{
		Partner:       "conformance",
		AdapterConfig: []byte(`{"delimiter": ","}`),
		Samples: []Sample{
			{Name: "lines.txt", Data: fakeSample, WantRecords: 4498, WantErrors: 2, WantConsents: fakeSampleConsents},
			{Name: "small.txt", Data: []byte("a,Jansen\nb,de Vries\r\nc\n"), WantRecords: 2, WantErrors: -1},
			{Name: "rejected.txt", Data: []byte("%PDF-1.4\na,Jansen\n"), WantRecords: 0, WantErrors: 1},
		},
		InvalidConfigs: [][]byte{[]byte(`{`), []byte(`{"delimiter": ";;"}`)},
	}
}
