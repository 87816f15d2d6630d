package main

import (
	_ "embed"
	"maps"
	"slices"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual. The settings it shares with plugins/csv (value
// tables, dates, surnames, ...) are mapping.Settings.
type Config struct {
	Format         string                    `json:"format"`
	Records        string                    `json:"records"`
	MaxRecordBytes int                       `json:"max_record_bytes"`
	Fields         map[string]mapping.Source `json:"fields"`
	LifeDomains    *LifeDomains              `json:"life_domains"`
	mapping.Settings
}

// LifeDomains says where a record holds its life domains as a list: the
// list, and in each element its name, status and date.
type LifeDomains struct {
	Array  string            `json:"array"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Date   string            `json:"date"`
	Names  map[string]string `json:"names"`
}

// The formats of a document (Config.Format).
const (
	formatAuto   = "auto"
	formatJSON   = "json"
	formatNDJSON = "ndjson"
)

// defaultMaxRecordBytes is the default of max_record_bytes.
const defaultMaxRecordBytes = 1 << 20

// configSchemaJSON is the JSON Schema of Config, reported by Describe.
//
//go:embed config.schema.json
var configSchemaJSON []byte

// configSchema checks configurations against configSchemaJSON.
var configSchema = mapping.NewSchema("https://ketenhub.nl/schemas/adapter-jsonpush.config.schema.json", configSchemaJSON)

// plan is a checked configuration, ready to map documents.
type plan struct {
	*mapping.Plan
	format    string
	records   mapping.JSONPointer   // where the list of records is in a JSON document; nil: the document itself
	maxRecord int                   // max_record_bytes
	fields    []mapping.JSONPointer // per mapping input: where its value is in a record
	domains   *domainPlan
}

// domainPlan is the checked life_domains setting: the pointers, and the
// same as text for messages.
type domainPlan struct {
	array, name, status, date         mapping.JSONPointer
	arrayAt, nameAt, statusAt, dateAt string
	names                             map[string]string // folded partner name -> domain name
}

// newPlan checks the configuration raw for partner and prepares it. It
// returns a *sdk.ConfigError naming the first problem.
func newPlan(partner string, raw []byte) (*plan, error) {
	c, err := mapping.Parse[Config](configSchema, raw)
	if err != nil {
		return nil, err
	}
	p := &plan{format: c.Format, maxRecord: c.MaxRecordBytes}
	if p.format == "" {
		p.format = formatAuto
	}
	if p.maxRecord == 0 {
		p.maxRecord = defaultMaxRecordBytes
	}
	if c.Records != "" {
		if p.format == formatNDJSON {
			return nil, mapping.ConfigErr("/records", "records geldt alleen voor JSON-documenten, niet bij format: ndjson")
		}
		if p.records, err = mapping.ParsePointer(c.Records); err != nil {
			return nil, mapping.ConfigErr("/records", "geen geldige JSON-pointer: %v", err)
		}
	}
	keys := slices.Sorted(maps.Keys(c.Fields))
	specs := make([]mapping.InputSpec, 0, len(keys))
	for _, k := range keys {
		ptr := mapping.Pointer("fields", k)
		f, err := mapping.ParsePointer(k)
		if err != nil {
			return nil, mapping.ConfigErr(ptr, "geen geldige JSON-pointer: %v", err)
		}
		p.fields = append(p.fields, f)
		specs = append(specs, mapping.InputSpec{Key: k, Ref: k, Pointer: ptr, Source: c.Fields[k]})
	}
	if p.Plan, err = mapping.NewPlan(partner, &c.Settings, specs, mapping.Options{Word: "veld", The: "het veld", Each: "elk record",
		Pointer: "/fields", FieldIsSource: true, DynamicDomains: c.LifeDomains != nil}); err != nil {
		return nil, err
	}
	if c.LifeDomains != nil {
		if p.domains, err = newDomainPlan(c.LifeDomains); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// newDomainPlan checks the life_domains setting.
func newDomainPlan(ld *LifeDomains) (*domainPlan, error) {
	d := &domainPlan{names: map[string]string{}}
	for _, f := range []struct {
		name string
		text string
		dst  *mapping.JSONPointer
	}{{"array", ld.Array, &d.array}, {"name", ld.Name, &d.name}, {"status", ld.Status, &d.status}, {"date", ld.Date, &d.date}} {
		if f.text == "" {
			continue
		}
		ptr, err := mapping.ParsePointer(f.text)
		if err != nil {
			return nil, mapping.ConfigErr("/life_domains/"+f.name, "geen geldige JSON-pointer: %v", err)
		}
		*f.dst = ptr
	}
	d.arrayAt, d.nameAt, d.statusAt, d.dateAt = d.array.String(), d.name.String(), d.status.String(), d.date.String()
	for _, name := range slices.Sorted(maps.Keys(ld.Names)) {
		k, domain := mapping.Fold(name), ld.Names[name]
		if prev, ok := d.names[k]; ok && prev != domain {
			return nil, mapping.ConfigErr(mapping.Pointer("life_domains", "names", name), "de naam staat al in de tabel met een ander leefgebied (hoofdletters tellen niet)")
		}
		d.names[k] = domain
	}
	return d, nil
}
