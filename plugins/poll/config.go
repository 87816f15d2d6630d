package main

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Config is the adapter configuration of one partner: the adapter.config part
// of config/partners/<id>.yaml, as JSON. config.schema.json is its schema and
// README.md its manual.
type Config struct {
	// Mode is the kind of webservice: rest or stuf-bg.
	Mode string `json:"mode"`
	// URL is the address of the webservice: https, or http to this machine.
	URL string `json:"url"`
	// Headers are sent with every request (no secrets: see Auth).
	Headers map[string]string `json:"headers"`
	Auth    *Auth             `json:"auth"`
	TLS     *TLS              `json:"tls"`
	// PageSize is how many items one request asks for (rest: with
	// rest.page_size_param; stuf-bg: maximumAantal). Default 100.
	PageSize int `json:"page_size"`
	// MaxPageBytes bounds one answer; default 16 MiB.
	MaxPageBytes int   `json:"max_page_bytes"`
	REST         *REST `json:"rest"`
	StUF         *StUF `json:"stuf"`
	// Mapping maps an item onto the shared schema, as jsonpush maps a
	// record: JSON pointers into an item (rest) or element paths in an
	// object (stuf-bg).
	Mapping *Mapping `json:"mapping"`
}

// Mapping is how an item maps onto the shared schema: per source (a JSON
// pointer, or an element path) its target, and the settings every mapping
// adapter has (value tables, dates, surnames, ...).
type Mapping struct {
	Fields map[string]mapping.Source `json:"fields"`
	mapping.Settings
}

// Auth is the credential sent with every request. The secret itself never
// stands in the configuration.
type Auth struct {
	// Header is the request header; default Authorization.
	Header string `json:"header"`
	// Scheme goes before the secret: Bearer (default), Basic (the secret is
	// user:password and is sent base64-encoded), or "" for the secret alone.
	Scheme *string `json:"scheme"`
	// SecretEnv names the environment variable with the secret; the hub
	// passes it to the adapter when adapter.env lists it.
	SecretEnv string `json:"secret_env"`
	// SecretFile is an absolute path of a file with the secret, read at
	// every poll (so a rotated secret needs no reload).
	SecretFile string `json:"secret_file"`
}

// TLS configures the connection to an https webservice.
type TLS struct {
	// CAFile holds the certificates (PEM) that may sign the service's
	// certificate, instead of the system's.
	CAFile string `json:"ca_file"`
	// CertFile and KeyFile hold the hub's client certificate and key (PEM),
	// such as a PKIoverheid certificate for a StUF service.
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// ServerName is the name the certificate must have, when it is not
	// the URL's host.
	ServerName string `json:"server_name"`
}

// REST configures the rest mode.
type REST struct {
	// Items is the JSON pointer of the list of items in a page; "" when
	// the page is the list.
	Items *string `json:"items"`
	// Query holds fixed query parameters.
	Query map[string]string `json:"query"`
	// PageSizeParam is the query parameter that carries PageSize; none
	// when empty.
	PageSizeParam string `json:"page_size_param"`
	// More is the JSON pointer of a boolean in a page that says whether
	// more pages follow now.
	More   string `json:"more"`
	Cursor Cursor `json:"cursor"`
}

// Cursor says how a page says where the next one starts.
type Cursor struct {
	// Param is the query parameter that carries the cursor.
	Param string `json:"param"`
	// Next is the JSON pointer of the next cursor in a page (a token the
	// service gives). Exactly one of Next and SinceField is set.
	Next string `json:"next"`
	// SinceField is the JSON pointer, in an item, of the moment the item
	// last changed (RFC 3339): the next cursor is the latest of a page.
	SinceField string `json:"since_field"`
	// Start is the cursor of the very first poll; none when empty.
	Start string `json:"start"`
}

// StUF configures the stuf-bg mode.
type StUF struct {
	// SOAPAction is the SOAPAction header; default the npsLv01 action of
	// StUF-BG 3.10.
	SOAPAction *string `json:"soap_action"`
	// Zender and Ontvanger are the stuurgegevens of every request.
	Zender    System `json:"zender"`
	Ontvanger System `json:"ontvanger"`
	// Sortering is the StUF sortering that orders the answer by
	// tijdstipRegistratie; default 0.
	Sortering int `json:"sortering"`
	// Start is the tijdstipRegistratie the first poll asks from, as a StUF
	// tijdstip (jjjjmmdduummss...) or RFC 3339; default 19000101.
	Start string `json:"start"`
	// KeySecretEnv names an environment variable with a secret for the
	// pseudonymous record key of an object without StUF key; see README.
	KeySecretEnv string `json:"key_secret_env"`
}

// System is a StUF zender or ontvanger.
type System struct {
	Organisatie   string `json:"organisatie"`
	Applicatie    string `json:"applicatie"`
	Administratie string `json:"administratie"`
	Gebruiker     string `json:"gebruiker"`
}

// The modes.
const (
	modeREST = "rest"
	modeStUF = "stuf-bg"
)

// Defaults.
const (
	defaultPageSize     = 100
	defaultMaxPageBytes = 16 << 20
	defaultSOAPAction   = "http://www.egem.nl/StUF/sector/bg/0310/npsLv01"
	defaultStUFStart    = "19000101000000000"
)

// configSchema checks configurations against configSchemaJSON.
var configSchema = mapping.NewSchema("https://ketenhub.nl/schemas/adapter-poll.config.schema.json", configSchemaJSON)

// parseConfig checks raw against config.schema.json and decodes it. It
// returns a *sdk.ConfigError when raw is no valid configuration.
func parseConfig(raw []byte) (*Config, error) { return mapping.Parse[Config](configSchema, raw) }

// setDefaults fills in the defaults documented in config.schema.json.
func (c *Config) setDefaults() {
	if c.PageSize == 0 {
		c.PageSize = defaultPageSize
	}
	if c.MaxPageBytes == 0 {
		c.MaxPageBytes = defaultMaxPageBytes
	}
	if c.Auth != nil {
		if c.Auth.Header == "" {
			c.Auth.Header = "Authorization"
		}
		if c.Auth.Scheme == nil {
			bearer := "Bearer"
			c.Auth.Scheme = &bearer
		}
	}
	if c.Mode == modeStUF {
		if c.StUF == nil {
			c.StUF = &StUF{}
		}
		if c.StUF.SOAPAction == nil {
			action := defaultSOAPAction
			c.StUF.SOAPAction = &action
		}
		c.Mapping = withStUFDefaults(c.Mapping)
	}
}

// stufFields is the mapping of the stuf-bg mode: element paths in an NPS
// object onto the shared schema. "/#sleutel" is the object's key (see
// objectKey).
var stufFields = map[string]mapping.Source{
	keySource:                      {Field: "source.record_key"},
	"/inp.bsn":                     {Field: "client.bsn"},
	"/geslachtsnaam":               {Field: "client.surname"},
	"/voorvoegselGeslachtsnaam":    {Field: "client.surname_prefix"},
	"/voorletters":                 {Field: "client.initials"},
	"/voornamen":                   {Field: "client.first_names"},
	"/geboortedatum":               {Field: "client.birth_date"},
	"/geslachtsaanduiding":         {Field: "client.gender"},
	"/inp.gemeenteVanInschrijving": {Field: "municipality"},
	"/tijdstipRegistratie":         {Field: "registered_at"},
}

// keySource is the source of the stuf-bg mapping that holds an object's key.
const keySource = "/#sleutel"

// stufGenders are the StUF codes of geslachtsaanduiding.
var stufGenders = map[string]string{"M": "man", "V": "vrouw", "O": "onbekend"}

// withStUFDefaults returns the mapping of the stuf-bg mode: the built-in
// fields unless m gives its own, the gender codes of StUF with m's value
// tables over them, dates as StUF writes them, and initials from the first
// names when the object has none.
func withStUFDefaults(m *Mapping) *Mapping {
	out := Mapping{}
	if m != nil {
		out = *m
	}
	if len(out.Fields) == 0 {
		out.Fields = maps.Clone(stufFields)
	}
	values := map[string]mapping.ValueTable{"client.gender": {Map: maps.Clone(stufGenders)}}
	maps.Copy(values, out.Values)
	out.Values = values
	if len(out.DateLayouts) == 0 {
		out.DateLayouts = []string{"20060102"}
	}
	out.InitialsFromFirstNames = true
	return &out
}

// check reports what the schema cannot: the combinations of settings, the
// URL, the credentials and the files. It returns a *sdk.ConfigError.
func (c *Config) check() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.Mode != modeREST && c.Mode != modeStUF:
		return mapping.ConfigErr("/mode", "onbekende modus; kies rest of stuf-bg")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return mapping.ConfigErr("/url", "geen bruikbaar adres; schrijf https://host/pad")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return mapping.ConfigErr("/url", "http zonder TLS mag alleen naar deze machine (localhost); gebruik https voor een partner")
	case u.User != nil:
		return mapping.ConfigErr("/url", "het adres mag geen gebruikersnaam of wachtwoord bevatten; gebruik auth")
	case c.PageSize < 1 || c.PageSize > 10000:
		return mapping.ConfigErr("/page_size", "moet tussen 1 en 10000 liggen")
	case c.MaxPageBytes < 1024 || c.MaxPageBytes > sdk.MaxPollBytes:
		return mapping.ConfigErr("/max_page_bytes", "moet tussen 1024 en %d liggen", sdk.MaxPollBytes)
	case c.Mode == modeREST && c.StUF != nil:
		return mapping.ConfigErr("/stuf", "stuf hoort bij modus stuf-bg, niet bij rest")
	case c.Mode == modeStUF && c.REST != nil:
		return mapping.ConfigErr("/rest", "rest hoort bij modus rest, niet bij stuf-bg")
	case c.Mode == modeREST && c.REST == nil:
		return mapping.ConfigErr("/rest", "modus rest vraagt rest (met ten minste cursor)")
	case c.Mode == modeREST && c.Mapping == nil:
		return mapping.ConfigErr("/mapping", "modus rest vraagt mapping met fields: welke eigenschap van een item welk doelveld vult")
	}
	for name := range c.Headers {
		if strings.EqualFold(name, "authorization") || c.Auth != nil && strings.EqualFold(name, c.Auth.Header) {
			return mapping.ConfigErr(mapping.Pointer("headers", name), "geheimen horen niet in de configuratie; gebruik auth met secret_env of secret_file")
		}
	}
	if err := c.Auth.check(); err != nil {
		return err
	}
	if err := c.TLS.check(); err != nil {
		return err
	}
	if c.Mode == modeREST {
		return c.REST.check()
	}
	return c.StUF.check()
}

// isLoopback reports whether host is this machine.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (a *Auth) check() error {
	if a == nil {
		return nil
	}
	switch {
	case (a.SecretEnv == "") == (a.SecretFile == ""):
		return mapping.ConfigErr("/auth", "geef secret_env (een omgevingsvariabele) of secret_file (een bestand), precies een van beide")
	case strings.HasPrefix(a.SecretEnv, "KETENHUB_"):
		return mapping.ConfigErr("/auth/secret_env", "KETENHUB_-variabelen zijn van de hub zelf; kies een eigen naam")
	case a.SecretEnv != "" && os.Getenv(a.SecretEnv) == "":
		return mapping.ConfigErr("/auth/secret_env", "de omgevingsvariabele %s is leeg of niet gezet; zet hem in de omgeving van de hub en noem hem onder adapter.env in het partnerbestand, dan geeft de hub hem aan de adapter door", a.SecretEnv)
	case a.SecretFile != "":
		if _, err := readSecretFile(a.SecretFile); err != nil {
			return mapping.ConfigErr("/auth/secret_file", "%v", err)
		}
	}
	if *a.Scheme == "Basic" && a.SecretEnv != "" && !strings.Contains(os.Getenv(a.SecretEnv), ":") {
		return mapping.ConfigErr("/auth/secret_env", "bij scheme Basic is het geheim gebruikersnaam:wachtwoord")
	}
	return nil
}

// readSecretFile reads a secret from an absolute path; surrounding blanks
// and line ends do not count.
func readSecretFile(path string) (string, error) {
	if !filepath.IsAbs(path) {
		return "", errors.New("geef een absoluut pad")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("het bestand kan niet worden gelezen: %w", errors.Unwrap(err))
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("het bestand is leeg")
	}
	return s, nil
}

func (t *TLS) check() error {
	if t == nil {
		return nil
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return mapping.ConfigErr("/tls", "cert_file en key_file horen bij elkaar: geef beide of geen van beide")
	}
	for ptr, path := range map[string]string{"/tls/ca_file": t.CAFile, "/tls/cert_file": t.CertFile, "/tls/key_file": t.KeyFile} {
		if path != "" && !filepath.IsAbs(path) {
			return mapping.ConfigErr(ptr, "geef een absoluut pad")
		}
	}
	return nil
}

func (r *REST) check() error {
	cur := r.Cursor
	switch {
	case cur.Param == "":
		return mapping.ConfigErr("/rest/cursor/param", "geef de queryparameter die de cursor draagt")
	case (cur.Next == "") == (cur.SinceField == ""):
		return mapping.ConfigErr("/rest/cursor", "geef next (een cursor die de webservice in de pagina meegeeft) of since_field (het wijzigingstijdstip van een item), precies een van beide")
	case !validPointer(cur.Next, true):
		return mapping.ConfigErr("/rest/cursor/next", "geen JSON-pointer (schrijf bijvoorbeeld /meta/next_cursor)")
	case !validPointer(cur.SinceField, true):
		return mapping.ConfigErr("/rest/cursor/since_field", "geen JSON-pointer (schrijf bijvoorbeeld /gewijzigd_op)")
	case !validPointer(r.More, true):
		return mapping.ConfigErr("/rest/more", "geen JSON-pointer (schrijf bijvoorbeeld /meta/has_more)")
	case r.Items != nil && !validPointer(*r.Items, true):
		return mapping.ConfigErr("/rest/items", "geen JSON-pointer (schrijf bijvoorbeeld /data, of \"\" als de pagina zelf de lijst is)")
	case cur.SinceField != "" && cur.Start != "" && !isRFC3339(cur.Start):
		return mapping.ConfigErr("/rest/cursor/start", "bij since_field is start een tijdstip in RFC 3339 (2025-01-01T00:00:00Z)")
	}
	return nil
}

func (s *StUF) check() error {
	switch {
	case s.Zender.Organisatie == "" || s.Zender.Applicatie == "":
		return mapping.ConfigErr("/stuf/zender", "de zender heeft ten minste organisatie en applicatie")
	case s.Ontvanger.Organisatie == "" || s.Ontvanger.Applicatie == "":
		return mapping.ConfigErr("/stuf/ontvanger", "de ontvanger heeft ten minste organisatie en applicatie")
	case s.Sortering < 0 || s.Sortering > 99:
		return mapping.ConfigErr("/stuf/sortering", "moet tussen 0 en 99 liggen")
	case strings.HasPrefix(s.KeySecretEnv, "KETENHUB_"):
		return mapping.ConfigErr("/stuf/key_secret_env", "KETENHUB_-variabelen zijn van de hub zelf; kies een eigen naam")
	case s.KeySecretEnv != "" && len(os.Getenv(s.KeySecretEnv)) < 16:
		return mapping.ConfigErr("/stuf/key_secret_env", "de omgevingsvariabele %s is leeg of korter dan 16 tekens; noem hem ook onder adapter.env in het partnerbestand", s.KeySecretEnv)
	}
	if s.Start != "" {
		if _, err := parseTijdstip(s.Start, time.UTC); err != nil {
			return mapping.ConfigErr("/stuf/start", "geen StUF-tijdstip (jjjjmmdd, eventueel met uummss en milliseconden) of RFC 3339")
		}
	}
	return nil
}

// validPointer reports whether p is a JSON pointer (RFC 6901); empty counts
// when empty is set.
func validPointer(p string, empty bool) bool {
	if p == "" {
		return empty
	}
	_, err := mapping.ParsePointer(p)
	return err == nil
}

func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
