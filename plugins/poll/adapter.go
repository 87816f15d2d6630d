package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	_ "time/tzdata" // the timezone setting must work on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Name and version reported by Describe.
const (
	adapterName    = "poll"
	adapterVersion = "1.0.0"
)

// configSchemaJSON is the JSON Schema of Config, reported by Describe.
//
//go:embed config.schema.json
var configSchemaJSON []byte

// description is what Describe returns.
var description = sdk.Description{Name: adapterName, Version: adapterVersion,
	Capabilities: []string{"decode", sdk.CapabilityPoll}, ConfigSchema: configSchemaJSON}

// adapter fetches a partner's pages from its webservice (Poll) and maps
// them onto the shared schema (Decode). Describe, Configure, Decode and Poll
// may be called concurrently; a call uses the configuration that was current
// when it started.
type adapter struct {
	plan sdk.Current[plan]
}

var (
	_ sdk.Adapter = (*adapter)(nil)
	_ sdk.Poller  = (*adapter)(nil)
)

func newAdapter() *adapter { return &adapter{} }

// plan is a checked configuration, ready to poll and decode.
type plan struct {
	mode    string
	cfg     *Config
	mapping *mapping.Plan
	client  *client
	// stufKey is the key of the pseudonymous record keys (stuf-bg).
	stufKey []byte
}

// Describe returns the adapter's name, version, capabilities and the JSON
// Schema of its configuration. It never fails.
func (a *adapter) Describe(context.Context) (sdk.Description, error) { return description.Clone(), nil }

// Configure checks the partner's configuration, its credentials and TLS
// files, and makes it the current one. It returns a *sdk.ConfigError for an
// unusable configuration; the previous configuration then stays in force.
func (a *adapter) Configure(_ context.Context, partner string, config []byte) error {
	c, err := parseConfig(config)
	if err != nil {
		return err
	}
	c.setDefaults()
	if err := c.check(); err != nil {
		return err
	}
	mp, err := newMappingPlan(partner, c.Mapping)
	if err != nil {
		return err
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	p := &plan{mode: c.Mode, cfg: c, mapping: mp, client: cl}
	if c.Mode == modeStUF {
		p.stufKey = stufKeySecret(partner, c.StUF.KeySecretEnv)
	}
	if old := a.plan.Swap(p); old != nil {
		old.client.close()
	}
	return nil
}

// newMappingPlan checks the mapping of a configuration: its sources are
// JSON pointers (or element paths, written the same way) into an item. It
// returns a *sdk.ConfigError at a pointer under /mapping.
func newMappingPlan(partner string, m *Mapping) (*mapping.Plan, error) {
	keys := slices.Sorted(maps.Keys(m.Fields))
	specs := make([]mapping.InputSpec, 0, len(keys))
	for _, k := range keys {
		ptr := mapping.Pointer("mapping", "fields", k)
		if k != keySource && !validPointer(k, false) {
			return nil, mapping.ConfigErr(ptr, "geen JSON-pointer: schrijf /naam, of /naam/achternaam voor een veld binnen een object (~1 voor een / in een naam)")
		}
		specs = append(specs, mapping.InputSpec{Key: k, Ref: k, Pointer: ptr, Source: m.Fields[k]})
	}
	p, err := mapping.NewPlan(partner, &m.Settings, specs, mapping.Options{Word: "veld", The: "het veld", Each: "elk item",
		Pointer: "/mapping/fields", FieldIsSource: true})
	var ce *sdk.ConfigError
	if errors.As(err, &ce) && !strings.HasPrefix(ce.Field, "/mapping/") {
		ce.Field = "/mapping" + ce.Field // a setting of the mapping, such as /values/...
	}
	return p, err
}

// Decode reads one page, as Poll fetched it or as dropped, and writes its
// registrations and record errors to out in chunks of
// sdk.DefaultChunkRecords. The line of a record is the item's number in the
// page (1 for the first). Problems with the page or single items become
// RecordErrors; Decode returns an error only when the adapter is not
// configured (sdk.ErrNotConfigured), reading src fails, out refuses a chunk or ctx ends.
func (a *adapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	p, err := a.plan.Get("decode document " + doc.ID)
	if err != nil {
		return err
	}
	e := newEmitter(p, doc, out)
	if p.mode == modeStUF {
		err = decodeStUF(ctx, e, src)
	} else {
		err = decodeREST(ctx, e, src)
	}
	if err == nil {
		err = e.b.Flush(ctx)
	}
	if err != nil {
		return fmt.Errorf("decode document %q: %w", doc.ID, err)
	}
	return nil
}

// Poll fetches one page from the partner's webservice; see sdk.Poller and
// README.md for what each mode asks and how it reads the cursor.
func (a *adapter) Poll(ctx context.Context, req sdk.PollRequest, out io.Writer) (sdk.PollResult, error) {
	p, err := a.plan.Get("poll")
	if err != nil {
		return sdk.PollResult{}, err
	}
	if req.Partner != p.mapping.Partner {
		return sdk.PollResult{}, fmt.Errorf("poll for partner %q: the adapter is configured for %q", req.Partner, p.mapping.Partner)
	}
	if p.mode == modeStUF {
		return pollStUF(ctx, p, req.Cursor, out)
	}
	return pollREST(ctx, p, req.Cursor, out)
}
