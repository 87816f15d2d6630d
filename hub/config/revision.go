package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
)

// RevisionOf returns the revision of a configuration file's bytes: their
// sha256 in lowercase hex, as in Partner.Revision.
func RevisionOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// LoadHub reads and checks the hub file at path as Load does, without its
// partner files: for commands and reloads that handle one partner at a
// time. Config.Partners is empty. Problems are returned as Errors.
func LoadHub(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	col := newCollector()
	col.file(path)
	h, ok := loadHub(col, path, abs)
	if errs := col.errors(); !ok || len(errs) > 0 {
		return nil, errs
	}
	h.cfg.shownPartnersDir = shownPartnersDir(h)
	return h.cfg, nil
}

// PartnerFile returns where the file of partner id lives: its absolute path
// and its name as problems show it (reached from the hub file as the caller
// of Load or LoadHub named it).
func (c *Config) PartnerFile(id string) (path, shown string) {
	name := id + ".yaml"
	dir := c.shownPartnersDir
	if dir == "" {
		dir = c.PartnersDir
	}
	return filepath.Join(c.PartnersDir, name), filepath.Join(dir, name)
}

// WithPartners returns a copy of the hub configuration c with partners
// instead of c's own, sorted by id; the adapter catalog is shared.
func (c *Config) WithPartners(partners []Partner) *Config {
	cp := *c
	cp.Partners = slices.Clone(partners)
	slices.SortFunc(cp.Partners, func(a, b Partner) int { return cmp.Compare(a.ID, b.ID) })
	return &cp
}

// ParsePartner checks data as the file of partner id, as LoadPartner
// checks a file on disk: for a hot reload that hashed the bytes it applies.
// The file is named as PartnerFile gives it. Problems are returned as
// Errors.
func ParsePartner(hubCfg *Config, id string, data []byte) (*Partner, error) {
	if hubCfg == nil {
		return nil, fmt.Errorf("parse partner %s: no hub configuration", id)
	}
	file, shown := hubCfg.PartnerFile(id)
	p, errs := parsePartner(hubCfg, true, file, shown, data)
	return checkAgainstOthers(hubCfg, p, errs)
}

// Source returns the bytes the partner was read from. The caller must not
// change them.
func (p *Partner) Source() []byte { return p.data }

// Shown returns the partner file's name as problems show it.
func (p *Partner) Shown() string { return p.shownFile() }
