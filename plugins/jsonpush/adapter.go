package main

import (
	"context"
	"io"
	_ "time/tzdata" // the timezone setting must work on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Name and version reported by Describe.
const (
	adapterName    = "jsonpush"
	adapterVersion = "1.0.0"
)

// description is what Describe returns.
var description = sdk.Description{Name: adapterName, Version: adapterVersion,
	Capabilities: []string{"decode", sdk.CapabilityPush}, ConfigSchema: configSchemaJSON}

// adapter reads the JSON that partner systems push to the hub (or drop as a
// file) and maps each record by configuration. Describe, Configure and
// Decode may be called concurrently; a Decode uses the configuration that
// was current when it started.
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
	return a.plan.Set(newPlan(partner, config))
}

// Decode reads one document and writes its registrations and record errors
// to out in chunks of sdk.DefaultChunkRecords. Records are numbered from 1:
// the number is the Line of every record and record error. Problems with
// the document or single records become RecordErrors; Decode returns an
// error only when the adapter is not configured (sdk.ErrNotConfigured),
// reading src fails, out refuses a chunk or ctx ends.
func (a *adapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	return a.plan.Decode(doc, func(p *plan) error { return newDecoder(p, doc, out).run(ctx, src) })
}
