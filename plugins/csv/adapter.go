package main

import (
	"context"
	"io"
	"slices"
	_ "time/tzdata" // the timezone setting must work on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Name and version reported by Describe.
const (
	adapterName    = "csv"
	adapterVersion = "1.0.0"
)

// description is what Describe returns.
var description = sdk.Description{Name: adapterName, Version: adapterVersion,
	Capabilities: []string{"decode", sdk.CapabilityDigest, sdk.CapabilityEncode}, ConfigSchema: configSchemaJSON}

// adapter is the generic adapter for delimited files. Describe, Configure,
// Decode and Encode may be called concurrently; a Decode or Encode uses the
// configuration that was current when it started.
type adapter struct {
	plan sdk.Current[plan]
}

var _ sdk.Adapter = (*adapter)(nil)

func newAdapter() *adapter { return &adapter{} }

// Describe returns the adapter's name, version, capabilities and the JSON
// Schema of its configuration. It never fails.
func (a *adapter) Describe(context.Context) (sdk.Description, error) { return description.Clone(), nil }

// Configure checks the partner's configuration and makes it the current one.
// It returns a *sdk.ConfigError for an unusable configuration; the previous
// configuration then stays in force.
func (a *adapter) Configure(_ context.Context, partner string, config []byte) error {
	c, err := parseConfig(config)
	if err != nil {
		return err
	}
	c.setDefaults()
	p, err := newPlan(partner, c)
	if err != nil {
		return err
	}
	// A row's mapping depends on its fields and on these: the build, the
	// partner and the configuration as given.
	p.digestSeed = [][]byte{sdk.BuildID(), []byte(adapterName), []byte(adapterVersion), []byte(partner), slices.Clone(config)}
	a.plan.Store(p)
	return nil
}

// Decode reads one document and writes its registrations and record errors
// to out in chunks of sdk.DefaultChunkRecords; a record whose source digest
// is in doc.Known is reported as unchanged, not mapped (see digest.go).
// Problems with the document or single records become RecordErrors; Decode
// returns an error only when the adapter is not configured
// (sdk.ErrNotConfigured), reading src fails, out refuses a chunk or ctx
// ends.
func (a *adapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	return a.plan.Decode(doc, func(p *plan) error { return newDecoder(p, doc, src, out).run(ctx) })
}
