package auth

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ketenhub/ketenhub/hub/config"
)

// Config is the authentication configuration: how users' tokens are
// checked, and each partner system's API keys and client certificates. It
// holds no secrets: HMAC secrets come from the environment, API keys are
// stored as their SHA-256. The schema is schemas/auth.schema.json.
type Config struct {
	Users UsersConfig `yaml:"users" json:"users"`
	// Partners maps a partner id to its credentials.
	Partners map[string]PartnerConfig `yaml:"partners" json:"partners"`
	// ClientCA is a PEM file with the CA certificates that sign partners'
	// client certificates; needed for certificates matched by name.
	ClientCA string `yaml:"client_ca" json:"client_ca"`
	// Dir is the folder that relative paths are resolved against; LoadConfig
	// sets it to the folder of the file.
	Dir string `yaml:"-" json:"-"`
	// File is the file the configuration was loaded from, as named to
	// LoadConfig; problems found by New name it.
	File string `yaml:"-" json:"-"`
}

// UsersConfig configures the verification of users' JWTs.
type UsersConfig struct {
	// Issuer, when set, must equal the token's iss.
	Issuer string `yaml:"issuer" json:"issuer"`
	// Audience, when set, must be among the token's aud.
	Audience string `yaml:"audience" json:"audience"`
	// ClockSkew is the leeway for exp, nbf and iat, as a Go duration; default
	// 30s, at most 5m.
	ClockSkew string `yaml:"clock_skew" json:"clock_skew"`
	// Keys are the keys tokens may be signed with.
	Keys []KeyConfig `yaml:"keys" json:"keys"`
}

// KeyConfig is one key for users' tokens.
type KeyConfig struct {
	// ID is matched with the token's kid; optional.
	ID string `yaml:"id" json:"id"`
	// Alg is the one algorithm this key verifies: HS256, HS384, HS512,
	// RS256, RS384, RS512, PS256, ES256 or EdDSA.
	Alg string `yaml:"alg" json:"alg"`
	// SecretEnv names the environment variable with the HMAC secret (HS*);
	// at least 32 bytes.
	SecretEnv string `yaml:"secret_env" json:"secret_env"`
	// PublicKey is a PEM file with the public key (RS*, PS256, ES256, EdDSA).
	PublicKey string `yaml:"public_key" json:"public_key"`
}

// PartnerConfig is one partner system's credentials.
type PartnerConfig struct {
	// Role is the role the partner's system acts in; default "partner",
	// which leaves the choice of role to the hub's policy (roles.yaml).
	Role         string              `yaml:"role" json:"role"`
	APIKeys      []APIKeyConfig      `yaml:"api_keys" json:"api_keys"`
	Certificates []CertificateConfig `yaml:"certificates" json:"certificates"`
}

// APIKeyConfig is one API key of a partner, as printed by `ketenhub partner
// key new`.
type APIKeyConfig struct {
	// ID is the key's visible id (16 hexadecimal characters).
	ID string `yaml:"id" json:"id"`
	// SHA256 is the SHA-256 of the whole key in hexadecimal.
	SHA256 string `yaml:"sha256" json:"sha256"`
	// Expires is the last day (YYYY-MM-DD, UTC) the key is accepted;
	// optional.
	Expires string `yaml:"expires" json:"expires"`
}

// CertificateConfig maps a client certificate to the partner. Exactly one
// field is set.
type CertificateConfig struct {
	// SHA256 is the fingerprint (SHA-256 of the DER certificate) in hex;
	// the certificate itself is trusted, no CA is needed.
	SHA256 string `yaml:"sha256" json:"sha256"`
	// SubjectCN, DNS and URI match a certificate that chains to ClientCA.
	SubjectCN string `yaml:"subject_cn" json:"subject_cn"`
	DNS       string `yaml:"dns" json:"dns"`
	URI       string `yaml:"uri" json:"uri"`
}

// Limits and defaults.
const (
	DefaultClockSkew = 30 * time.Second
	MaxClockSkew     = 5 * time.Minute
	DefaultRole      = "partner"
)

// CodeKey is the configuration problem of a key or certificate file or a
// secret that cannot be used.
const CodeKey = "CONFIG_AUTH_KEY"

var (
	partnerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	rolePattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	envPattern       = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	hex64Pattern     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	fingerprintSep   = strings.NewReplacer(":", "", " ", "")
)

// algs are the supported algorithms, with whether they take an HMAC secret.
var algs = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": false, "RS384": false, "RS512": false, "PS256": false, "ES256": false, "EdDSA": false,
}

// LoadConfig reads the authentication configuration from a YAML file
// (usually auth.yaml next to ketenhub.yaml) and checks it (Validate).
// Relative paths in it are relative to its folder. Problems are reported as
// config.Errors, located at file, line and column, like the hub's other
// configuration files.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, config.Errors{{File: path, Code: config.CodeFile, Message: "het bestand kan niet worden gelezen: " + readReason(err)}}
	}
	return ParseConfig(path, data)
}

// ParseConfig checks the bytes of the authentication configuration as
// LoadConfig does, for a caller that read the file itself (a reload that
// compares contents); path names the file in problems and is the base of
// relative paths.
func ParseConfig(path string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, config.Errors{yamlError(path, err, config.CodeYAML)}
	}
	if errs := unknownFields(&root, reflect.TypeFor[Config](), ""); len(errs) > 0 {
		for i := range errs {
			errs[i].File = path
		}
		return nil, errs
	}
	cfg := &Config{}
	if err := root.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var errs config.Errors
			for _, msg := range te.Errors {
				errs = append(errs, yamlError(path, errors.New(msg), config.CodeType))
			}
			return nil, errs
		}
		return nil, config.Errors{yamlError(path, err, config.CodeYAML)}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load auth config %s: %w", path, err)
	}
	cfg.Dir, cfg.File = filepath.Dir(abs), path
	if err := cfg.Validate(); err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for i := range errs {
				errs[i].File = path
				errs[i].Line, errs[i].Column = position(&root, errs[i].Field)
			}
			slices.SortStableFunc(errs, func(a, b config.Error) int {
				return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
			})
			return nil, errs
		}
		return nil, err
	}
	return cfg, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns a yaml.v3 message ("line 4: cannot unmarshal ...") into a
// located problem with code.
func yamlError(file string, err error, code string) config.Error {
	e := config.Error{File: file, Code: code, Message: "ongeldige YAML: " + err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Message = "ongeldige YAML: " + m[2]
		if t := yamlTypeError.FindStringSubmatch(m[2]); code == config.CodeType && t != nil {
			e.Message = fmt.Sprintf("verkeerd soort waarde: verwacht %s, gevonden %s", kindOf(t[2]), yamlKinds[t[1]])
		}
	}
	return e
}

var yamlTypeError = regexp.MustCompile("^cannot unmarshal !!(\\w+) (?:`.*` )?into (.+)$")

var yamlKinds = map[string]string{"str": "tekst", "seq": "een lijst", "map": "velden", "int": "een getal",
	"float": "een getal", "bool": "true/false", "null": "niets", "timestamp": "een tijdstip"}

// kindOf names a Go type from a yaml.v3 message for a person.
func kindOf(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "een lijst"
	case goType == "string":
		return "tekst"
	}
	return "velden"
}

// unknownFields reports the mapping keys in n that the type t (a struct
// with yaml tags, a map, a slice) does not know, with the allowed names, the
// way the hub's other configuration files are checked.
func unknownFields(n *yaml.Node, t reflect.Type, field string) config.Errors {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	var errs config.Errors
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // a type problem, reported when decoding
		}
		known := map[string]reflect.Type{}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				known[name] = t.Field(i).Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := known[k.Value]
			if !ok {
				errs = append(errs, config.Error{Line: k.Line, Column: k.Column, Field: join(field, k.Value), Code: config.CodeUnknownField,
					Message: fmt.Sprintf("onbekend veld %q; toegestaan: %s", k.Value, strings.Join(slices.Sorted(maps.Keys(known)), ", "))})
				continue
			}
			errs = append(errs, unknownFields(v, ft, join(field, k.Value))...)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, unknownFields(n.Content[i+1], t.Elem(), join(field, n.Content[i].Value))...)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			errs = append(errs, unknownFields(item, t.Elem(), fmt.Sprintf("%s[%d]", field, i))...)
		}
	}
	return errs
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// position finds the line and column of a dotted field path
// (partners.ggz-oost.api_keys[0].sha256) in the YAML tree; the deepest part
// that exists is pointed at. 0, 0 when nothing is found.
func position(root *yaml.Node, field string) (line, col int) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if field == "" {
		return 0, 0
	}
	for _, part := range splitField(field) {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Value == part {
					next, line, col = n.Content[i+1], k.Line, k.Column
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(part); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line, col = next.Line, next.Column
			}
		}
		if next == nil {
			return line, col
		}
		n = next
	}
	if n.Kind == yaml.ScalarNode {
		line, col = n.Line, n.Column
	}
	return line, col
}

// splitField splits partners.x.api_keys[0].id into partners, x, api_keys,
// 0, id.
func splitField(field string) []string {
	var parts []string
	for _, p := range strings.Split(field, ".") {
		for p != "" {
			i := strings.IndexByte(p, '[')
			if i < 0 {
				parts = append(parts, p)
				break
			}
			if i > 0 {
				parts = append(parts, p[:i])
			}
			j := strings.IndexByte(p, ']')
			if j < i {
				break
			}
			parts = append(parts, p[i+1:j])
			p = p[j+1:]
		}
	}
	return parts
}

// Validate checks the configuration without reading files or the
// environment: known algorithms, each key with either a secret variable or
// a public key file, API key ids and hashes of the right form and unique
// over all partners, certificate rules with exactly one field, unique over
// all partners, and a client_ca when any rule matches by name. Problems are
// returned as config.Errors naming the field.
func (c *Config) Validate() error {
	var errs config.Errors
	add := func(field, code, msg string) {
		errs = append(errs, config.Error{Field: field, Code: code, Message: msg})
	}
	if c.Users.ClockSkew != "" {
		d, err := time.ParseDuration(c.Users.ClockSkew)
		if err != nil || d < 0 || d > MaxClockSkew {
			add("users.clock_skew", config.CodeDuration, fmt.Sprintf("%q is geen duur tussen 0s en %s, bijvoorbeeld 30s", c.Users.ClockSkew, MaxClockSkew))
		}
	}
	kids := map[string]bool{}
	for i, k := range c.Users.Keys {
		f := fmt.Sprintf("users.keys[%d]", i)
		hmac, ok := algs[k.Alg]
		switch {
		case k.Alg == "":
			add(f+".alg", config.CodeRequired, "alg is verplicht: HS256, HS384, HS512, RS256, RS384, RS512, PS256, ES256 of EdDSA")
		case !ok:
			add(f+".alg", config.CodeEnum, fmt.Sprintf("algoritme %q wordt niet ondersteund; kies HS256, HS384, HS512, RS256, RS384, RS512, PS256, ES256 of EdDSA", k.Alg))
		case hmac && (k.SecretEnv == "" || k.PublicKey != ""):
			add(f+".secret_env", config.CodeRequired, k.Alg+" gebruikt een gedeeld geheim: geef secret_env (de naam van een omgevingsvariabele) en geen public_key")
		case !hmac && (k.PublicKey == "" || k.SecretEnv != ""):
			add(f+".public_key", config.CodeRequired, k.Alg+" gebruikt een publieke sleutel: geef public_key (een PEM-bestand) en geen secret_env")
		}
		if k.SecretEnv != "" && !envPattern.MatchString(k.SecretEnv) {
			add(f+".secret_env", config.CodePattern, "de naam van een omgevingsvariabele: hoofdletters, cijfers en _")
		}
		if k.ID != "" {
			if kids[k.ID] {
				add(f+".id", config.CodeDuplicate, fmt.Sprintf("sleutel-id %q komt twee keer voor", k.ID))
			}
			kids[k.ID] = true
		}
	}
	keyIDs, certs := map[string]string{}, map[string]string{}
	byName := false
	for _, id := range slices.Sorted(maps.Keys(c.Partners)) {
		p := c.Partners[id]
		f := "partners." + id
		if !partnerIDPattern.MatchString(id) {
			add(f, config.CodePattern, fmt.Sprintf("partner-id %q: kleine letters, cijfers en '-', hoogstens 63 tekens", id))
		}
		if p.Role != "" && !rolePattern.MatchString(p.Role) {
			add(f+".role", config.CodePattern, "een rol: kleine letters, cijfers en _ . -")
		}
		for i, k := range p.APIKeys {
			kf := fmt.Sprintf("%s.api_keys[%d]", f, i)
			if !apiKeyIDPattern.MatchString(k.ID) {
				add(kf+".id", config.CodePattern, "het id van een API-sleutel is 16 hexadecimale tekens (zoals ketenhub partner key new het geeft)")
			} else if other, dup := keyIDs[k.ID]; dup {
				add(kf+".id", config.CodeDuplicate, fmt.Sprintf("sleutel-id %q is ook een sleutel van partner %q", k.ID, other))
			} else {
				keyIDs[k.ID] = id
			}
			if !hex64Pattern.MatchString(k.SHA256) {
				add(kf+".sha256", config.CodePattern, "de SHA-256 van de sleutel: 64 hexadecimale tekens (zoals ketenhub partner key new het geeft)")
			}
			if k.Expires != "" {
				if _, err := time.Parse(time.DateOnly, k.Expires); err != nil {
					add(kf+".expires", config.CodePattern, fmt.Sprintf("%q is geen datum als 2026-12-31", k.Expires))
				}
			}
		}
		for i, cc := range p.Certificates {
			cf := fmt.Sprintf("%s.certificates[%d]", f, i)
			rule, err := cc.rule()
			if err != nil {
				add(cf, config.CodeSchema, err.Error())
				continue
			}
			if !strings.HasPrefix(rule, "sha256:") {
				byName = true
			} else if !hex64Pattern.MatchString(strings.TrimPrefix(rule, "sha256:")) {
				add(cf+".sha256", config.CodePattern, "de vingerafdruk (SHA-256) van het certificaat: 64 hexadecimale tekens, eventueel met ':'")
				continue
			}
			if other, dup := certs[rule]; dup {
				add(cf, config.CodeDuplicate, fmt.Sprintf("dit certificaat hoort ook bij partner %q", other))
			}
			certs[rule] = id
		}
	}
	if byName && c.ClientCA == "" {
		add("client_ca", config.CodeRequired, "certificaten op naam (subject_cn, dns, uri) vragen een client_ca: het PEM-bestand met de CA's die de certificaten van partners ondertekenen")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// located names the configuration file in the problems of err.
func (c *Config) located(err error) error {
	var errs config.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for i := range errs {
		if errs[i].File == "" {
			errs[i].File = cmp.Or(c.File, "auth")
		}
	}
	return errs
}

// rule gives the certificate rule as kind:value (value lowercased where
// case does not count), or an error when not exactly one field is set.
func (cc CertificateConfig) rule() (string, error) {
	var rules []string
	if cc.SHA256 != "" {
		rules = append(rules, "sha256:"+strings.ToLower(fingerprintSep.Replace(cc.SHA256)))
	}
	if cc.SubjectCN != "" {
		rules = append(rules, "cn:"+strings.ToLower(cc.SubjectCN))
	}
	if cc.DNS != "" {
		rules = append(rules, "dns:"+strings.ToLower(cc.DNS))
	}
	if cc.URI != "" {
		rules = append(rules, "uri:"+cc.URI)
	}
	if len(rules) != 1 {
		return "", errors.New("geef precies één van sha256, subject_cn, dns of uri")
	}
	return rules[0], nil
}

// Files returns the files the configuration refers to, resolved: the
// client CA and the public keys of users' tokens. A reload reads them
// again when they change.
func (c *Config) Files() []string {
	var files []string
	if c.ClientCA != "" {
		files = append(files, c.path(c.ClientCA))
	}
	for _, k := range c.Users.Keys {
		if k.PublicKey != "" {
			files = append(files, c.path(k.PublicKey))
		}
	}
	return files
}

// path resolves p against the configuration's folder.
func (c *Config) path(p string) string {
	if filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}
