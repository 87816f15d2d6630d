// Package config loads the Ketenhub configuration: the hub file
// (ketenhub.yaml) and one YAML file per partner. Every file is checked
// against its JSON Schema (schemas/config.schema.json and
// schemas/partner.schema.json), defaults are filled in, relative paths are
// made absolute and the files are checked against each other.
//
// All problems in all files are reported at once, as Errors, each with the
// file, line, column and field it concerns, a stable code and a Dutch
// message for the ICT staff who maintain the files.
package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/schemas"
)

// Bus values.
const (
	BusPostgres = "postgres"
	BusNATS     = "nats"
)

// Export kinds and what a full export does with missing registrations.
const (
	ExportFull  = "full"
	ExportDelta = "delta"
	MissingEnd  = "end"
	MissingKeep = "keep"
)

// Defaults of the hub file.
const (
	DefaultListen               = "127.0.0.1:8080"
	DefaultDataDir              = "./var"
	DefaultPartnersDir          = "partners"
	DefaultAuthFile             = "auth.yaml"
	DefaultRolesFile            = "roles.yaml"
	DefaultBus                  = BusPostgres
	DefaultScanInterval         = time.Second
	DefaultStableAfter          = 2 * time.Second
	DefaultMaxDocumentBytes     = int64(1 << 30)
	DefaultPushMaxBytes         = int64(10 << 20)
	DefaultPushWait             = 10 * time.Second
	DefaultRetryMax             = 5
	DefaultRetryInitialInterval = 500 * time.Millisecond
)

// Config is the loaded hub configuration with its partners. Paths are
// absolute and defaults are filled in.
type Config struct {
	Listen      string
	DataDir     string
	PartnersDir string
	// AuthFile is the authentication configuration (hub/auth), by default
	// auth.yaml next to the hub file. Load does not read it.
	AuthFile string
	// RolesFile is the roles and rights (hub/policy), by default roles.yaml
	// next to the hub file. Load does not read it.
	RolesFile string
	Bus       string
	NATS      NATS
	// Adapters is the adapter catalog by adapter name.
	Adapters map[string]AdapterSpec
	Ingest   Ingest
	Pipeline Pipeline
	// TLS configures HTTPS for the API; nil means plain HTTP.
	TLS *TLS
	// Partners holds every partner file, sorted by id.
	Partners []Partner
	// File is the absolute path of the hub file.
	File string

	shownPartnersDir string // PartnersDir as reached from the hub file as named
}

// NATS configures the NATS JetStream bus.
type NATS struct {
	URL string
}

// AdapterSpec is one entry of the adapter catalog.
type AdapterSpec struct {
	// Binary is the absolute path of the plugin binary.
	Binary string
	// SHA256 is the pinned checksum of Binary in lowercase hex, or empty.
	SHA256 string
}

// Ingest configures how drop folders are scanned and pushes taken.
type Ingest struct {
	ScanInterval     time.Duration
	StableAfter      time.Duration
	MaxDocumentBytes int64
	// PushMaxBytes is the largest body of a push (POST
	// /v1/partners/{partner}/registrations); PushWait how long the hub waits
	// for its outcome before it answers 202 with where to read it.
	PushMaxBytes int64
	PushWait     time.Duration
}

// Pipeline configures message processing.
type Pipeline struct {
	RetryMax             int
	RetryInitialInterval time.Duration
}

// Partner is one loaded partner file.
type Partner struct {
	ID   string
	Name string
	// File is the absolute path of the partner file.
	File    string
	Adapter Adapter
	Drop    Drop
	Export  Export
	Enabled bool
	// Revision is the sha256 (hex) of the file's bytes.
	Revision string
	// Receive is what the partner receives from the others; nil when it
	// receives nothing.
	Receive *Receive
	// Poll is how the hub polls the partner's webservice; nil when it does
	// not.
	Poll *Poll

	data      []byte    // the file's bytes
	display   string    // File as shown in problems
	doc       *document // the parsed file, for positions in later checks
	dropPtr   string    // where a problem with the drop folder points
	dataDir   string    // the hub's data folder, to show the drop folder
	idMatches bool      // the id equals the file name without .yaml
}

// Adapter is the adapter a partner uses and its own configuration.
type Adapter struct {
	Name string
	// Config is adapter.config converted to JSON ({} when absent). It is
	// checked against the adapter's own schema by ValidateAdapterConfig.
	Config json.RawMessage
	// Env names the hub's environment variables the adapter process gets.
	Env []string
}

// Drop is a partner's drop folder.
type Drop struct {
	// Folder is the absolute drop folder.
	Folder string
	// StableAfter is the partner's own value or the hub's ingest.stable_after.
	StableAfter time.Duration
	// DoneMarker means a file is only taken once <file>.done exists.
	DoneMarker bool
}

// Export says what a delivered document means.
type Export struct {
	// Kind is ExportFull or ExportDelta.
	Kind string
	// Missing is MissingEnd or MissingKeep; only meaningful for full exports.
	Missing string
	// MaxMissingShare is the largest share of a partner's active records
	// that one full export may end; an export missing more is taken to be
	// cut short and ends nothing. Defaults to DefaultMaxMissingShare.
	MaxMissingShare float64
}

// DefaultMaxMissingShare is the default of Export.MaxMissingShare.
const DefaultMaxMissingShare = 0.25

// hubFile mirrors the hub file for decoding after schema validation.
type hubFile struct {
	Listen      string `json:"listen"`
	DataDir     string `json:"data_dir"`
	PartnersDir string `json:"partners_dir"`
	Auth        string `json:"auth"`
	Roles       string `json:"roles"`
	Bus         string `json:"bus"`
	NATS        struct {
		URL string `json:"url"`
	} `json:"nats"`
	Adapters map[string]struct {
		Binary string `json:"binary"`
		SHA256 string `json:"sha256"`
	} `json:"adapters"`
	Ingest struct {
		ScanInterval     string `json:"scan_interval"`
		StableAfter      string `json:"stable_after"`
		MaxDocumentBytes int64  `json:"max_document_bytes"`
		PushMaxBytes     int64  `json:"push_max_bytes"`
		PushWait         string `json:"push_wait"`
	} `json:"ingest"`
	Pipeline struct {
		RetryMax             *int   `json:"retry_max"`
		RetryInitialInterval string `json:"retry_initial_interval"`
	} `json:"pipeline"`
	TLS *tlsFile `json:"tls"`
}

// partnerFile mirrors a partner file for decoding after schema validation.
type partnerFile struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Adapter struct {
		Name   string          `json:"name"`
		Config json.RawMessage `json:"config"`
		Env    []string        `json:"env"`
	} `json:"adapter"`
	Drop struct {
		Folder      string `json:"folder"`
		StableAfter string `json:"stable_after"`
		DoneMarker  bool   `json:"done_marker"`
	} `json:"drop"`
	Export struct {
		Kind            string   `json:"kind"`
		Missing         string   `json:"missing"`
		MaxMissingShare *float64 `json:"max_missing_share"`
	} `json:"export"`
	Enabled *bool `json:"enabled"`
}

// Load reads the hub file at path and every *.yaml file in its
// partners_dir, validates them against their schemas, fills in defaults,
// makes paths absolute and cross-checks the partners (id equals file name,
// adapter in the catalog, no duplicate ids or drop folders).
//
// Problems are reported as Errors with file names as reached from path, so
// they can be opened from where the command ran. A file that cannot be
// read is a CONFIG_FILE problem. Load returns a Config only when there are
// no problems at all.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	col := newCollector()
	col.file(path)
	h, ok := loadHub(col, path, abs)
	if !ok {
		return nil, col.errors()
	}
	partners := loadPartners(col, h)
	if all := col.errors(); len(all) > 0 {
		return nil, all
	}
	slices.SortFunc(partners, func(a, b Partner) int { return cmp.Compare(a.ID, b.ID) })
	h.cfg.Partners = partners
	return h.cfg, nil
}

// hubState is the hub file as far as it could be loaded.
type hubState struct {
	cfg          *Config
	shown        string    // the hub file as the caller named it
	doc          *document // nil when the YAML cannot be parsed
	partnersDir  string    // partners_dir as written
	catalogKnown bool      // the adapter catalog could be read
}

// loadHub reads the hub file into a Config with defaults for everything
// it could not read. ok is false when the file cannot be read at all.
func loadHub(col *collector, shown, abs string) (h hubState, ok bool) {
	dir := filepath.Dir(abs)
	h = hubState{shown: shown, cfg: &Config{
		File:     abs,
		Adapters: map[string]AdapterSpec{},
		Ingest:   Ingest{ScanInterval: DefaultScanInterval, StableAfter: DefaultStableAfter, PushWait: DefaultPushWait},
		Pipeline: Pipeline{RetryMax: DefaultRetryMax, RetryInitialInterval: DefaultRetryInitialInterval},
	}}
	cfg := h.cfg
	data, err := os.ReadFile(abs)
	if err != nil {
		col.add(Error{File: shown, Code: CodeFile, Message: "het bestand kan niet worden gelezen: " + readReason(err)})
		return h, false
	}
	doc, errs := parseYAML(shown, data)
	col.add(errs...)
	var hf hubFile
	bad := map[string]bool{}
	if doc != nil {
		if doc.root == nil {
			doc.value = map[string]any{} // an empty hub file means all defaults
		}
		errs := hubSchemas()[schemas.Config].validate(doc, "")
		col.add(errs...)
		for _, e := range errs {
			bad[e.Field] = true
		}
		decode(doc.value, &hf)
		h.doc, h.catalogKnown = doc, !bad["adapters"]
	}

	cfg.Listen = cmp.Or(hf.Listen, DefaultListen)
	cfg.DataDir = resolve(dir, cmp.Or(hf.DataDir, DefaultDataDir))
	h.partnersDir = cmp.Or(hf.PartnersDir, DefaultPartnersDir)
	cfg.PartnersDir = resolve(dir, h.partnersDir)
	cfg.AuthFile = resolve(dir, cmp.Or(hf.Auth, DefaultAuthFile))
	cfg.RolesFile = resolve(dir, cmp.Or(hf.Roles, DefaultRolesFile))
	cfg.Bus = cmp.Or(hf.Bus, DefaultBus)
	cfg.NATS.URL = hf.NATS.URL
	for name, a := range hf.Adapters {
		spec := AdapterSpec{SHA256: strings.ToLower(a.SHA256)}
		if a.Binary != "" {
			spec.Binary = resolve(dir, a.Binary)
		}
		cfg.Adapters[name] = spec
	}
	// An entry the schema rejected still names an adapter: partners that
	// use it are not told it does not exist.
	if doc != nil {
		catalog, _ := valueAt(doc.value, "/adapters").(map[string]any)
		for name := range catalog {
			if _, ok := cfg.Adapters[name]; !ok {
				cfg.Adapters[name] = AdapterSpec{}
			}
		}
	}
	cfg.Ingest.MaxDocumentBytes = cmp.Or(hf.Ingest.MaxDocumentBytes, DefaultMaxDocumentBytes)
	cfg.Ingest.PushMaxBytes = cmp.Or(hf.Ingest.PushMaxBytes, DefaultPushMaxBytes)
	if hf.Pipeline.RetryMax != nil {
		cfg.Pipeline.RetryMax = *hf.Pipeline.RetryMax
	}
	durations := []struct {
		ptr      string
		text     string
		positive bool
		dst      *time.Duration
	}{
		{"/ingest/scan_interval", hf.Ingest.ScanInterval, true, &cfg.Ingest.ScanInterval},
		{"/ingest/stable_after", hf.Ingest.StableAfter, false, &cfg.Ingest.StableAfter},
		{"/ingest/push_wait", hf.Ingest.PushWait, false, &cfg.Ingest.PushWait},
		{"/pipeline/retry_initial_interval", hf.Pipeline.RetryInitialInterval, true, &cfg.Pipeline.RetryInitialInterval},
	}
	for _, d := range durations {
		if doc == nil || d.text == "" || bad[fieldPath("", doc.value, d.ptr)] {
			continue
		}
		if v, e, ok := parseDuration(doc, d.ptr, d.text, d.positive); ok {
			*d.dst = v
		} else {
			col.add(e)
		}
	}
	if hf.TLS != nil && !bad["tls"] {
		cfg.TLS = loadTLS(col, doc, dir, hf.TLS, bad)
	}
	return h, true
}

// loadPartners loads every *.yaml file in the partners folder, in name
// order, and checks each against the ones before it.
func loadPartners(col *collector, h hubState) []Partner {
	// Partner files are shown relative to the hub file as the caller named it.
	shownDir := shownPartnersDir(h)
	h.cfg.shownPartnersDir = shownDir
	entries, err := os.ReadDir(h.cfg.PartnersDir)
	if err != nil {
		e := Error{File: h.shown, Field: "partners_dir", Code: CodeFile,
			Message: fmt.Sprintf("de map met partnerbestanden %q kan niet worden gelezen: %s", h.partnersDir, readReason(err))}
		if h.doc != nil {
			if k, n := locate(h.doc.root, "/partners_dir"); k != nil {
				e.Line, e.Column = n.Line, n.Column
			}
		}
		col.add(e)
		return nil
	}
	var partners []Partner
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		shown := filepath.Join(shownDir, name)
		col.file(shown)
		p, errs := loadPartner(h.cfg, h.catalogKnown, filepath.Join(h.cfg.PartnersDir, name), shown)
		col.add(errs...)
		if p != nil {
			col.add(crossCheck(p, partners)...)
			partners = append(partners, *p)
		}
	}
	return partners
}

// LoadPartner reads and checks one partner file against a hub
// configuration returned by Load, as for a hot reload: the schema, the
// defaults, the id against the file name, the adapter against the catalog
// and the id and drop folder against the other partners in hubCfg (a
// partner with the same id is the one being replaced). Problems are
// returned as Errors naming path as given.
func LoadPartner(hubCfg *Config, path string) (*Partner, error) {
	if hubCfg == nil {
		return nil, fmt.Errorf("load partner %s: no hub configuration", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load partner %s: %w", path, err)
	}
	p, errs := loadPartner(hubCfg, true, abs, path)
	return checkAgainstOthers(hubCfg, p, errs)
}

// checkAgainstOthers adds to the problems of a partner file those it has
// with the other partners of hubCfg (a partner with the same id or file is
// the one being replaced), and returns the partner only without problems.
func checkAgainstOthers(hubCfg *Config, p *Partner, errs Errors) (*Partner, error) {
	if p != nil {
		var others []Partner
		for _, o := range hubCfg.Partners {
			if o.ID != p.ID && o.File != p.File {
				others = append(others, o)
			}
		}
		errs = append(errs, crossCheck(p, others)...)
	}
	if len(errs) > 0 {
		return nil, sortWithin(errs)
	}
	return p, nil
}

// shownPartnersDir is the partners folder as reached from the hub file as
// the caller named it.
func shownPartnersDir(h hubState) string {
	if filepath.IsAbs(h.partnersDir) {
		return h.partnersDir
	}
	return filepath.Join(filepath.Dir(h.shown), h.partnersDir)
}

// loadPartner reads one partner file. It returns the partner as far as it
// could be decoded (nil when the file cannot be read or parsed) for the
// checks across partners, and its problems.
func loadPartner(hub *Config, catalogKnown bool, file, shown string) (*Partner, Errors) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, Errors{{File: shown, Code: CodeFile, Message: "het bestand kan niet worden gelezen: " + readReason(err)}}
	}
	return parsePartner(hub, catalogKnown, file, shown, data)
}

// parsePartner checks the bytes of one partner file; see loadPartner.
func parsePartner(hub *Config, catalogKnown bool, file, shown string, data []byte) (*Partner, Errors) {
	doc, errs := parseYAML(shown, data)
	if doc == nil {
		return nil, errs
	}
	schemaErrs := hubSchemas()[schemas.Partner].validate(doc, "")
	errs = append(errs, schemaErrs...)
	bad := map[string]bool{}
	for _, e := range schemaErrs {
		bad[e.Field] = true
	}
	var pf partnerFile
	decode(doc.value, &pf)

	sum := sha256.Sum256(data)
	p := &Partner{
		ID:      pf.ID,
		Name:    pf.Name,
		File:    file,
		Adapter: Adapter{Name: pf.Adapter.Name, Config: pf.Adapter.Config, Env: pf.Adapter.Env},
		Drop:    Drop{StableAfter: hub.Ingest.StableAfter, DoneMarker: pf.Drop.DoneMarker},
		Export: Export{Kind: cmp.Or(pf.Export.Kind, ExportDelta), Missing: cmp.Or(pf.Export.Missing, MissingKeep),
			MaxMissingShare: DefaultMaxMissingShare},
		Enabled:  pf.Enabled == nil || *pf.Enabled,
		Revision: hex.EncodeToString(sum[:]),
		data:     data,
		display:  shown,
		doc:      doc,
		dataDir:  hub.DataDir,
	}
	if pf.Export.MaxMissingShare != nil {
		p.Export.MaxMissingShare = *pf.Export.MaxMissingShare
	}
	if len(p.Adapter.Config) == 0 || string(p.Adapter.Config) == "null" {
		p.Adapter.Config = json.RawMessage("{}")
	}

	p.idMatches = p.ID == strings.TrimSuffix(filepath.Base(file), ".yaml")
	if want := strings.TrimSuffix(filepath.Base(file), ".yaml"); p.ID != "" && !bad["id"] && p.ID != want {
		errs = append(errs, doc.at("", "/id", false, CodePartnerID,
			fmt.Sprintf("id %q moet gelijk zijn aan de bestandsnaam zonder .yaml (%q); hernoem het bestand of pas het id aan", p.ID, want)))
	}
	if _, ok := hub.Adapters[p.Adapter.Name]; catalogKnown && p.Adapter.Name != "" && !bad["adapter.name"] && !ok {
		errs = append(errs, doc.at("", "/adapter/name", false, CodeAdapterUnknown,
			fmt.Sprintf("adapter %q staat niet in de adaptercatalogus (adapters) van %s; %s",
				p.Adapter.Name, filepath.Base(hub.File), knownAdapters(hub.Adapters))))
	}
	if pf.Drop.StableAfter != "" && !bad["drop.stable_after"] {
		if v, e, ok := parseDuration(doc, "/drop/stable_after", pf.Drop.StableAfter, false); ok {
			p.Drop.StableAfter = v
		} else {
			errs = append(errs, e)
		}
	}
	switch {
	case pf.Drop.Folder != "":
		p.Drop.Folder = resolve(hub.DataDir, pf.Drop.Folder)
	case p.ID != "":
		p.Drop.Folder = filepath.Join(hub.DataDir, "drop", p.ID)
	}
	p.dropPtr = "/drop/folder"
	if pf.Drop.Folder == "" {
		p.dropPtr = "/id"
	}
	errs = append(errs, p.loadReceive(bad)...)
	errs = append(errs, p.loadPoll(bad)...)
	return p, errs
}

// crossCheck compares a partner with the partners loaded before it and
// reports duplicate ids and drop folders. A duplicate id is reported at the
// partner whose id does not match its file name (the one to fix), else at
// the later one; partners with the same id are not compared further.
func crossCheck(p *Partner, before []Partner) Errors {
	var errs Errors
	for i := range before {
		o := &before[i]
		if p.ID != "" && o.ID == p.ID {
			at, other := p, o
			if p.idMatches && !o.idMatches {
				at, other = o, p
			}
			errs = append(errs, at.doc.at("", "/id", false, CodeDuplicate,
				fmt.Sprintf("partner-id %q komt ook voor in %s", at.ID, other.display)))
			continue
		}
		if p.Drop.Folder != "" && o.Drop.Folder == p.Drop.Folder {
			e := p.doc.at("", p.dropPtr, false, CodeDuplicate,
				fmt.Sprintf("dropmap %q is ook de dropmap van partner %q (%s); elke partner heeft een eigen dropmap",
					p.shownFolder(), o.ID, o.display))
			e.Field = "drop.folder"
			errs = append(errs, e)
		}
		errs = append(errs, crossCheckReceive(p, o)...)
	}
	return errs
}

// shownFolder gives the drop folder relative to the data folder when it
// lies inside it, as it is usually written.
func (p *Partner) shownFolder() string {
	if p.dataDir != "" {
		if rel, err := filepath.Rel(p.dataDir, p.Drop.Folder); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return p.Drop.Folder
}

func knownAdapters(catalog map[string]AdapterSpec) string {
	if len(catalog) == 0 {
		return "er zijn nog geen adapters opgenomen"
	}
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	slices.Sort(names)
	return "bekend: " + strings.Join(names, ", ")
}

// parseDuration parses a duration the schema has already accepted in form;
// ok is false with a CONFIG_DURATION problem when Go cannot represent it or
// when it must be positive and is not.
func parseDuration(doc *document, ptr, text string, positive bool) (time.Duration, Error, bool) {
	v, err := time.ParseDuration(text)
	if err != nil {
		return 0, doc.at("", ptr, false, CodeDuration,
			fmt.Sprintf("%q is geen bruikbare duur (te groot of ongeldig); schrijf bijvoorbeeld 500ms, 2s of 1m30s", text)), false
	}
	if positive && v <= 0 {
		return 0, doc.at("", ptr, false, CodeDuration, fmt.Sprintf("%q moet groter zijn dan 0", text)), false
	}
	return v, Error{}, true
}

// decode copies a JSON-compatible value into a typed struct. Fields whose
// type does not fit are left at their zero value: the schema has already
// reported them.
func decode(v any, dst any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = json.Unmarshal(data, dst)
}

// resolve makes p absolute against dir.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func readReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "bestaat niet"
	case errors.Is(err, fs.ErrPermission):
		return "geen leesrechten"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
