package main

import (
	"context"
	_ "embed"
	"io"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Name and version reported by Describe.
const (
	adapterName    = "fhir"
	adapterVersion = "1.0.0"
)

// configSchemaJSON is the JSON Schema of Config, reported by Describe.
//
//go:embed config.schema.json
var configSchemaJSON []byte

// description is what Describe returns.
var description = sdk.Description{Name: adapterName, Version: adapterVersion,
	Capabilities: []string{"decode", sdk.CapabilityEncode}, ConfigSchema: configSchemaJSON}

// adapter maps FHIR Patients onto the shared schema and back (Encode).
// Describe, Configure, Decode and Encode may be called concurrently; a
// Decode or Encode uses the configuration that was current when it
// started.
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
	return a.plan.Set(newPlan(partner, c))
}

// Decode reads one FHIR document and writes a registration per Patient, and
// record errors, to out in chunks of sdk.DefaultChunkRecords. Problems with
// the document or single resources become RecordErrors; Decode returns an
// error only when the adapter is not configured (sdk.ErrNotConfigured),
// reading src fails, out refuses a chunk or ctx ends.
func (a *adapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	return a.plan.Decode(doc, func(p *plan) error { return newDecoder(p, doc, out).run(ctx, src) })
}
