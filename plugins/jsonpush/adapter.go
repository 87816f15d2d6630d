package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	_ "time/tzdata" // the timezone setting must work on hosts without zoneinfo

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Name and version reported by Describe.
const (
	adapterName    = "jsonpush"
	adapterVersion = "1.0.0"
)

// errNotConfigured is returned by Decode before a successful Configure.
var errNotConfigured = errors.New("adapter is not configured")

// adapter reads the JSON that partner systems push to the hub (or drop as a
// file) and maps each record by configuration. Describe, Configure and
// Decode may be called concurrently; a Decode uses the configuration that
// was current when it started.
type adapter struct {
	plan atomic.Pointer[plan]
}

var _ sdk.Adapter = (*adapter)(nil)

func newAdapter() *adapter { return &adapter{} }

// Describe returns the adapter's name, version, capabilities and the JSON
// Schema of its configuration. It never fails.
func (a *adapter) Describe(context.Context) (sdk.Description, error) {
	return sdk.Description{
		Name:         adapterName,
		Version:      adapterVersion,
		Capabilities: []string{"decode", sdk.CapabilityPush},
		ConfigSchema: configSchema.JSON(),
	}, nil
}

// Configure checks the partner's configuration and makes it the current one.
// It returns a *sdk.ConfigError for an unusable configuration; the previous
// configuration then stays in force.
func (a *adapter) Configure(_ context.Context, partner string, config []byte) error {
	p, err := newPlan(partner, config)
	if err != nil {
		return err
	}
	a.plan.Store(p)
	return nil
}

// Decode reads one document and writes its registrations and record errors
// to out in chunks of sdk.DefaultChunkRecords. Records are numbered from 1:
// the number is the Line of every record and record error. Problems with
// the document or single records become RecordErrors; Decode returns an
// error only when the adapter is not configured, reading src fails, out
// refuses a chunk or ctx ends.
func (a *adapter) Decode(ctx context.Context, doc sdk.Document, src io.Reader, out sdk.ChunkWriter) error {
	p := a.plan.Load()
	if p == nil {
		return fmt.Errorf("decode document %q: %w", doc.ID, errNotConfigured)
	}
	if err := newDecoder(p, doc, out).run(ctx, src); err != nil {
		return fmt.Errorf("decode document %q: %w", doc.ID, err)
	}
	return nil
}
