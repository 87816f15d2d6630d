package auth

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

// APIKeyHeader is the header a partner system may send its API key in,
// instead of Authorization: Bearer.
const APIKeyHeader = "X-API-Key"

// Options configure New.
type Options struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// KnownRole, when set, says whether a role exists (from hub/policy's
	// roles). A user token with an unknown role is refused with
	// CodeForbidden, and New refuses a partner configured with one. A
	// partner without a role in the configuration gets DefaultRole, which
	// is not checked: the hub's policy gives partner systems their role.
	KnownRole func(role string) bool
	// KnownOrganisation, when set, says whether an organisation exists. A
	// user token from an unknown organisation is refused with CodeForbidden.
	KnownOrganisation func(org string) bool
	// KnownPartner, when set, says whether a partner exists (from the hub's
	// partner files). New refuses credentials for an unknown partner.
	KnownPartner func(id string) bool
	// Logger receives the package's own messages (never credentials); nil
	// means slog.Default().
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Authenticator authenticates requests. It is safe for concurrent use.
type Authenticator struct {
	users    *userTokens
	keys     *apiKeys
	certs    *certificates
	partners map[string]PartnerConfig
	opts     Options
}

// New checks cfg (Config.Validate), loads its secrets and key files and
// returns an Authenticator. Problems are returned as config.Errors naming
// cfg.File (or "auth") and the field; only LoadConfig knows lines.
func New(cfg Config, opts Options) (*Authenticator, error) {
	opts.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, cfg.located(err)
	}
	cfg.Partners = maps.Clone(cfg.Partners) // roles are defaulted below
	var errs config.Errors
	for _, id := range slices.Sorted(maps.Keys(cfg.Partners)) {
		p := cfg.Partners[id]
		if opts.KnownPartner != nil && !opts.KnownPartner(id) {
			errs = append(errs, config.Error{Field: "partners." + id, Code: config.CodeSchema,
				Message: fmt.Sprintf("partner %q bestaat niet (geen partnerbestand)", id)})
		}
		if p.Role != "" && opts.KnownRole != nil && !opts.KnownRole(p.Role) {
			errs = append(errs, config.Error{Field: "partners." + id + ".role", Code: config.CodeEnum,
				Message: fmt.Sprintf("rol %q bestaat niet", p.Role)})
		}
		if p.Role == "" {
			p.Role = DefaultRole
			cfg.Partners[id] = p
		}
	}
	users, err := newUserTokens(&cfg, opts.Getenv, opts.Now)
	if err != nil {
		var ce config.Errors
		if !errors.As(err, &ce) {
			return nil, err
		}
		errs = append(errs, ce...)
	}
	certs, err := newCertificates(&cfg)
	if err != nil {
		errs = append(errs, config.Error{Field: "client_ca", Code: CodeKey, Message: err.Error()})
	}
	if len(errs) > 0 {
		return nil, cfg.located(errs)
	}
	a := &Authenticator{users: users, keys: newAPIKeys(cfg.Partners), certs: certs, partners: cfg.Partners, opts: opts}
	opts.Logger.Info("authentication configured", "user_keys", len(users.keys), "partners", len(cfg.Partners),
		"api_keys", len(a.keys.byID), "certificates", len(certs.byFingerprint)+len(certs.byName))
	return a, nil
}

// ConfigureTLS prepares the hub's TLS server configuration for partner
// client certificates: when any are configured it asks clients for a
// certificate without requiring one (tls.RequestClientCert), so that users
// without certificates still connect and pinned self-signed partner
// certificates reach Authenticate, which verifies them.
func (a *Authenticator) ConfigureTLS(c *tls.Config) {
	if !a.certs.empty() && c.ClientAuth == tls.NoClientCert {
		c.ClientAuth = tls.RequestClientCert
	}
}

// Authenticate finds and checks the request's credential:
// "Authorization: Bearer khp_..." or "X-API-Key: khp_..." (a partner's API
// key), "Authorization: Bearer <JWT>" (a user), or else the TLS client
// certificate (a partner). When a client certificate that belongs to one
// partner comes with an API key of another, the request is refused.
//
// It returns an *Error: CodeMissing without any credential, CodeInvalid for
// a bad or unknown one (or more than one header credential), CodeExpired
// for an expired one, CodeForbidden for a user whose role or organisation
// is not known.
func (a *Authenticator) Authenticate(r *http.Request) (Subject, error) {
	now := a.opts.Now()
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	apiKey := strings.TrimSpace(r.Header.Get(APIKeyHeader))
	if authz != "" && apiKey != "" {
		return Subject{}, newError(CodeInvalid, "Geef één manier van aanmelden mee: Authorization of "+APIKeyHeader+", niet beide.", nil)
	}
	var certPartner, fingerprint string
	var certErr error
	if r.TLS != nil {
		certPartner, fingerprint, certErr = a.certs.partnerFor(r.TLS, now)
	}
	var s Subject
	var err error
	switch {
	case authz != "":
		scheme, token, _ := strings.Cut(authz, " ")
		token = strings.TrimSpace(token)
		switch {
		case !strings.EqualFold(scheme, "Bearer"):
			return Subject{}, newError(CodeInvalid, "Gebruik Authorization: Bearer <token>; andere methoden worden niet ondersteund.", nil)
		case token == "":
			return Subject{}, newError(CodeInvalid, "Het token na Bearer ontbreekt.", nil)
		case strings.HasPrefix(token, APIKeyPrefix):
			s, err = a.partnerByKey(token, now)
		default:
			s, err = a.users.verify(token)
			if err == nil {
				err = a.checkUser(s)
			}
		}
	case apiKey != "":
		s, err = a.partnerByKey(apiKey, now)
	case certErr != nil:
		return Subject{}, certErr
	case certPartner != "":
		s = a.partnerSubject(certPartner, MethodCertificate, fingerprint)
	default:
		return Subject{}, newError(CodeMissing, "Meld u aan: geef een token mee in de header Authorization: Bearer <token>, een API-sleutel of een clientcertificaat.", nil)
	}
	if err != nil {
		return Subject{}, err
	}
	if certPartner != "" && s.Kind == KindPartner && s.ID != certPartner {
		return Subject{}, newError(CodeForbidden, "De API-sleutel en het clientcertificaat horen bij verschillende partners.",
			fmt.Errorf("api key of partner %s over a certificate of partner %s", s.ID, certPartner))
	}
	return s, nil
}

// partnerByKey authenticates a partner by its API key.
func (a *Authenticator) partnerByKey(key string, now time.Time) (Subject, error) {
	partner, id, err := a.keys.verify(key, now)
	if err != nil {
		return Subject{}, err
	}
	return a.partnerSubject(partner, MethodAPIKey, id), nil
}

func (a *Authenticator) partnerSubject(partner string, m Method, credential string) Subject {
	return Subject{Kind: KindPartner, ID: partner, Organisation: partner, Role: a.partners[partner].Role, Method: m, Credential: credential}
}

// checkUser refuses a user whose role or organisation is unknown.
func (a *Authenticator) checkUser(s Subject) error {
	if a.opts.KnownRole != nil && !a.opts.KnownRole(s.Role) {
		return newError(CodeForbidden, "De rol in het token is bij de hub niet bekend.", fmt.Errorf("unknown role %q", s.Role))
	}
	if a.opts.KnownOrganisation != nil && !a.opts.KnownOrganisation(s.Organisation) {
		return newError(CodeForbidden, "De organisatie in het token is bij de hub niet bekend.", fmt.Errorf("unknown organisation %q", s.Organisation))
	}
	return nil
}

// Middleware returns HTTP middleware that authenticates every request
// (Authenticate) and passes it on with the Subject in its context
// (SubjectFrom). A request that fails is not passed on: onError answers it,
// with the *Error (its Status, Challenge and Dutch Message; errors.As also
// finds a *hub.Error in it). The middleware writes nothing itself. onError
// must not be nil.
func (a *Authenticator) Middleware(onError func(w http.ResponseWriter, r *http.Request, err error)) func(http.Handler) http.Handler {
	if onError == nil {
		panic("auth: Middleware needs an error writer")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := a.Authenticate(r)
			if err != nil {
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithSubject(r.Context(), s)))
		})
	}
}
