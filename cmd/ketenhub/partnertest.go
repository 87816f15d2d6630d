package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/consentflow"
	"github.com/ketenhub/ketenhub/hub/identity"
	"github.com/ketenhub/ketenhub/hub/pipeline"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/schema"
	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/schemas"
)

const partnerTestUsage = `Usage: ketenhub partner test <partner> <sample-file> [--config config/ketenhub.yaml] [--file draft.yaml] [--json] [--received-at TIME]

Runs a sample export through the partner's mapping as the hub would: the
partner file is checked, the adapter binary from the catalog is started and
configured, and every record it maps is checked against the shared schema.
Nothing is stored. Prints the mapped registrations and every error with its
line and field; exits 1 when the sample or the configuration has errors.

--file tests a draft of the partner file (named <partner>.yaml) before it
goes into the partners folder, where a running hub would apply it.
`

// partnerTestReport is the outcome of ketenhub partner test, also its
// --json output.
type partnerTestReport struct {
	Partner      string              `json:"partner"`
	File         string              `json:"file"`
	Revision     string              `json:"revision,omitempty"`
	Adapter      *partnerTestAdapter `json:"adapter,omitempty"`
	Sample       string              `json:"sample"`
	ConfigErrors []hub.ConfigProblem `json:"config_errors,omitempty"`
	Counts       partnerTestCounts   `json:"counts"`
	Records      []partnerTestRecord `json:"records"`
	// Consents are the consent statements the adapter found that the hub
	// would take (see consentflow.Check and MayRecord); refused ones are
	// in Errors with a CONSENT_* code.
	Consents []partnerTestConsent `json:"consents"`
	Errors   []sdk.RecordError    `json:"errors"`
	Warnings []sdk.RecordError    `json:"warnings"`
}

type partnerTestAdapter struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// partnerTestCounts counts as a receipt does: records the adapter read,
// good and bad, and what became of them.
type partnerTestCounts struct {
	Records          int `json:"records"`
	Valid            int `json:"valid"`
	Rejected         int `json:"rejected"`
	Warnings         int `json:"warnings"`
	Consents         int `json:"consents"`
	ConsentsRejected int `json:"consents_rejected"`
}

type partnerTestConsent struct {
	Line      int             `json:"line"`
	RecordKey string          `json:"record_key"`
	Statement json.RawMessage `json:"statement"`
}

type partnerTestRecord struct {
	Line         int             `json:"line"`
	RecordKey    string          `json:"record_key"`
	Registration json.RawMessage `json:"registration"`
}

// cmdPartnerTest runs `ketenhub partner test <partner> <sample-file>`.
func cmdPartnerTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("partner test", stderr)
	path := fs.String("config", DefaultConfig, "hub configuration file")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	receivedAt := fs.String("received-at", "", "time of receipt the adapter may use as registered_at (RFC 3339); default now")
	draft := fs.String("file", "", "a draft of the partner file to test instead of the one in the partners folder")
	fs.Usage = func() { fmt.Fprint(stderr, partnerTestUsage) }
	pos, err := parseWithArguments(fs, args)
	if err != nil || helpAsked(args) {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return usageError{"partner test: give the partner id and a sample file: ketenhub partner test <partner> <sample-file>"}
	}
	partner, sample := pos[0], pos[1]
	at := time.Now()
	if *receivedAt != "" {
		if at, err = time.Parse(time.RFC3339, *receivedAt); err != nil {
			return usageError{fmt.Sprintf("--received-at %q: want a time as 2025-03-01T09:30:00+01:00", *receivedAt)}
		}
	}
	hubCfg, err := config.LoadHub(*path)
	if err != nil {
		return reportConfigErrors(stdout, err)
	}
	file, shown := hubCfg.PartnerFile(partner)
	if *draft != "" {
		file, shown = *draft, *draft
		if base := filepath.Base(*draft); base != partner+".yaml" {
			return usageError{fmt.Sprintf("--file %s: a partner file is named after its partner: %s.yaml", *draft, partner)}
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{fmt.Sprintf("partner %q has no partner file %s: %v", partner, shown, readErr(err))}
	}
	f, err := os.Open(sample)
	if err != nil {
		return usageError{fmt.Sprintf("sample %s: %v", sample, readErr(err))}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sample %s: %w", sample, err)
	}

	rep := &partnerTestReport{Partner: partner, File: shown, Revision: config.RevisionOf(data), Sample: filepath.Base(sample),
		Records: []partnerTestRecord{}, Consents: []partnerTestConsent{}, Errors: []sdk.RecordError{}, Warnings: []sdk.RecordError{}}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var p *config.Partner
	if *draft != "" {
		p, err = config.LoadPartner(hubCfg, *draft)
	} else {
		p, err = config.ParsePartner(hubCfg, partner, data)
	}
	var e *adapterEntry
	if err == nil {
		e, err = startAdapter(ctx, hubCfg, p, log)
	}
	if err != nil {
		rep.ConfigErrors = problemsOf(shown, err)
		return rep.print(stdout, *asJSON)
	}
	defer e.host.Close()
	rep.Adapter = &partnerTestAdapter{Name: p.Adapter.Name, Version: e.desc.Version}
	validator, err := schema.Compile(schemas.RegistrationV1)
	if err != nil {
		return err
	}
	out := &sampleChunks{}
	doc := sdk.Document{ID: "partner-test", Partner: partner, OriginalName: filepath.Base(sample),
		ReceivedAt: at.Format(time.RFC3339), Size: info.Size()}
	if err := e.host.Decode(ctx, doc, f, out); err != nil {
		return fmt.Errorf("decode sample %s with adapter %s: %w", sample, p.Adapter.Name, err)
	}
	rep.check(validator, out)
	if err := rep.checkConsents(ctx, hubCfg, out); err != nil {
		return err
	}
	rep.sortIssues()
	return rep.print(stdout, *asJSON)
}

// checkConsents checks the adapter's consent statements as the hub's
// consent flow would, short of the database: consent.v1, the partner's
// own, and the partner's role in roles.yaml may record them. A statement
// about a record that is not among the sample's good records gets a
// warning: the hub takes it only when it holds a registration with that
// key from an earlier document.
func (rep *partnerTestReport) checkConsents(ctx context.Context, cfg *config.Config, out *sampleChunks) error {
	var stmts []sdk.Consent
	for _, ch := range out.chunks {
		stmts = append(stmts, ch.Consents...)
	}
	if len(stmts) == 0 {
		return nil
	}
	docs, err := consent.NewValidator()
	if err != nil {
		return err
	}
	var ids []string
	for _, p := range cfg.Partners {
		ids = append(ids, p.ID)
	}
	roles, err := policy.Load(cfg.RolesFile, policy.LoadOptions{Partners: ids})
	if err != nil {
		rep.ConfigErrors = append(rep.ConfigErrors, problemsOf(cfg.RolesFile, err)...)
		return nil
	}
	engine := policy.NewEngine(roles, nil, policy.EngineOptions{})
	good := map[string]bool{}
	for _, r := range rep.Records {
		good[r.RecordKey] = true
	}
	for _, st := range stmts {
		rep.Counts.Consents++
		doc, problem := consentflow.Check(docs, rep.Partner, st)
		if problem == nil {
			if _, problem, err = consentflow.MayRecord(ctx, engine, rep.Partner, st, doc); err != nil {
				return err
			}
		}
		if problem != nil {
			rep.Errors = append(rep.Errors, *problem)
			rep.Counts.ConsentsRejected++
			continue
		}
		rep.Consents = append(rep.Consents, partnerTestConsent{Line: st.Line, RecordKey: st.RecordKey, Statement: st.JSON})
		if !good[st.RecordKey] {
			rep.Warnings = append(rep.Warnings, sdk.RecordError{Line: st.Line, RecordKey: st.RecordKey, Field: "client.record_key",
				Code: sdk.CodeConsentSubject, Message: "toestemming: het record van deze verklaring is in dit monster niet goed gelezen; " +
					"de hub legt de verklaring alleen vast als hij een registratie met dit dossiernummer heeft"})
		}
	}
	return nil
}

// sampleChunks collects the chunks of the sample.
type sampleChunks struct {
	mu     sync.Mutex
	chunks []sdk.Chunk
}

func (c *sampleChunks) WriteChunk(_ context.Context, ch sdk.Chunk) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chunks = append(c.chunks, ch)
	return nil
}

// check sorts the adapter's records into the good ones and errors, as the
// pipeline does: the adapter's own errors, the shared schema and the
// partner, and the BSN warnings of the store stage.
func (rep *partnerTestReport) check(v *schema.Validator, out *sampleChunks) {
	lines := map[int]bool{}
	for _, ch := range out.chunks {
		for _, e := range ch.Errors {
			rep.Errors = append(rep.Errors, e)
			if e.Line > 0 {
				lines[e.Line] = true
			}
		}
		for _, r := range ch.Records {
			key, problem := pipeline.CheckRecord(v, rep.Partner, r)
			if problem != nil {
				rep.Errors = append(rep.Errors, *problem)
				lines[r.Line] = true
				continue
			}
			rep.Records = append(rep.Records, partnerTestRecord{Line: r.Line, RecordKey: key, Registration: r.JSON})
			rep.Counts.Valid++
			var reg sdk.Registration
			if err := json.Unmarshal(r.JSON, &reg); err == nil && reg.Client.BSN != "" && reg.Operation != sdk.OpDelete {
				if _, ok := identity.CheckBSN(reg.Client.BSN); !ok {
					rep.Warnings = append(rep.Warnings, sdk.RecordError{Line: r.Line, Field: "client.bsn", RecordKey: key, Code: sdk.CodeBSNInvalid,
						Message: "het BSN voldoet niet aan de elfproef; het record wordt opgenomen en herkend op naam, geboortedatum en geslacht"})
				}
			}
		}
	}
	rep.Counts.Rejected = len(lines)
	rep.Counts.Records = rep.Counts.Valid + rep.Counts.Rejected
}

// sortIssues puts errors and warnings in line order and counts the
// warnings, once every check has added its own.
func (rep *partnerTestReport) sortIssues() {
	byLine := func(a, b sdk.RecordError) int { return a.Line - b.Line }
	slices.SortStableFunc(rep.Errors, byLine)
	slices.SortStableFunc(rep.Warnings, byLine)
	rep.Counts.Warnings = len(rep.Warnings)
}

// print writes the report and returns an error when it holds errors.
func (rep *partnerTestReport) print(w io.Writer, asJSON bool) error {
	if asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		fmt.Fprintf(w, "%s\n", b)
	} else {
		rep.printText(w)
	}
	switch {
	case len(rep.ConfigErrors) > 0:
		return fmt.Errorf("de configuratie van partner %s bevat %d fout(en); het monster is niet gelezen", rep.Partner, len(rep.ConfigErrors))
	case len(rep.Errors) > 0:
		return fmt.Errorf("het monster bevat %d fout(en)", len(rep.Errors))
	}
	return nil
}

func (rep *partnerTestReport) printText(w io.Writer) {
	fmt.Fprintf(w, "Partner %s, partnerbestand %s (revisie %s)\n", rep.Partner, rep.File, short(rep.Revision))
	if len(rep.ConfigErrors) > 0 {
		fmt.Fprintln(w, "\nFouten in de configuratie:")
		for _, p := range rep.ConfigErrors {
			fmt.Fprintln(w, "  "+problemText(p))
		}
		return
	}
	fmt.Fprintf(w, "Adapter %s %s, monster %s; er is niets opgeslagen\n", rep.Adapter.Name, rep.Adapter.Version, rep.Sample)
	if len(rep.Records) > 0 {
		fmt.Fprintln(w, "\nRegistraties:")
		for _, r := range rep.Records {
			fmt.Fprintf(w, "  regel %d %s %s\n", r.Line, r.RecordKey, r.Registration)
		}
	}
	if len(rep.Consents) > 0 {
		fmt.Fprintln(w, "\nToestemmingsverklaringen:")
		for _, c := range rep.Consents {
			fmt.Fprintf(w, "  regel %d %s %s\n", c.Line, c.RecordKey, c.Statement)
		}
	}
	for _, list := range []struct {
		title  string
		issues []sdk.RecordError
	}{{"Fouten", rep.Errors}, {"Waarschuwingen", rep.Warnings}} {
		if len(list.issues) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", list.title)
		for _, e := range list.issues {
			fmt.Fprintln(w, "  "+issueText(e))
		}
	}
	fmt.Fprintf(w, "\nResultaat: %d records gelezen, %d goed, %d afgewezen, %d waarschuwing(en)\n",
		rep.Counts.Records, rep.Counts.Valid, rep.Counts.Rejected, rep.Counts.Warnings)
	if rep.Counts.Consents > 0 {
		fmt.Fprintf(w, "Toestemming: %d verklaring(en), %d afgewezen\n", rep.Counts.Consents, rep.Counts.ConsentsRejected)
	}
}

// issueText writes a record error as "regel 5, kolom 7, veld f (record k): message [CODE]".
func issueText(e sdk.RecordError) string {
	var parts []string
	if e.Line > 0 {
		parts = append(parts, fmt.Sprintf("regel %d", e.Line))
	} else {
		parts = append(parts, "document")
	}
	if e.Column > 0 {
		parts = append(parts, fmt.Sprintf("kolom %d", e.Column))
	}
	if e.Field != "" {
		parts = append(parts, "veld "+e.Field)
	}
	s := strings.Join(parts, ", ")
	if e.RecordKey != "" {
		s += " (record " + e.RecordKey + ")"
	}
	return s + ": " + e.Message + " [" + e.Code + "]"
}

// parseWithArguments parses flags that may come before, between and after
// the positional arguments, and returns the positional ones.
func parseWithArguments(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlagsOnly(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readErr shortens a file error to its cause.
func readErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
