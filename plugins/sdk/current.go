package sdk

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrNotConfigured is wrapped by the errors an adapter returns from Decode,
// Encode or Poll before its first successful Configure (see Current).
var ErrNotConfigured = errors.New("adapter is not configured")

// Current holds the configuration in force of an adapter: the checked,
// ready-to-use form P that Configure makes of the partner's configuration.
// Configure stores a new one only when it is usable, so that a refused
// configuration leaves the previous one in force; every other call takes the
// one that is current when it starts. Describe, Configure, Decode, Encode
// and Poll may thus run concurrently. The zero value holds none and is ready
// to use; a Current must not be copied after first use.
type Current[P any] struct {
	p atomic.Pointer[P]
}

// Load returns the configuration in force, or nil before the first Store.
func (c *Current[P]) Load() *P { return c.p.Load() }

// Store makes p the configuration in force.
func (c *Current[P]) Store(p *P) { c.p.Store(p) }

// Set makes p the configuration in force when err is nil, and returns err:
// a Configure ends with
//
//	return a.plan.Set(newPlan(partner, config))
func (c *Current[P]) Set(p *P, err error) error {
	if err != nil {
		return err
	}
	c.p.Store(p)
	return nil
}

// Swap makes p the configuration in force and returns the previous one, or
// nil, for an adapter that must release what the previous one holds.
func (c *Current[P]) Swap(p *P) *P { return c.p.Swap(p) }

// Get returns the configuration in force. Before the first Store it returns
// an error "<op>: adapter is not configured" that wraps ErrNotConfigured.
func (c *Current[P]) Get(op string) (*P, error) {
	p := c.p.Load()
	if p == nil {
		return nil, fmt.Errorf("%s: %w", op, ErrNotConfigured)
	}
	return p, nil
}

// Decode runs decode, an adapter's Decode of doc, with the configuration in
// force. It returns the error of decode, or ErrNotConfigured before the
// first Store, wrapped as "decode document <doc.ID>: ...".
func (c *Current[P]) Decode(doc Document, decode func(p *P) error) error {
	p, err := c.Get(fmt.Sprintf("decode document %q", doc.ID))
	if err != nil {
		return err
	}
	if err := decode(p); err != nil {
		return fmt.Errorf("decode document %q: %w", doc.ID, err)
	}
	return nil
}
