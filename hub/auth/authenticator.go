package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
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
	// partner files). New and Reload refuse credentials for an unknown
	// partner, and Authenticate refuses a partner that is no longer known
	// (its file was removed) with CodeForbidden. It is asked at every
	// partner request: it must be cheap and safe for concurrent use.
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

// Authenticator authenticates requests. It is safe for concurrent use;
// Reload puts a new configuration in force for every later request.
type Authenticator struct {
	cur  atomic.Pointer[state]
	opts Options
}

// state is one configuration in force.
type state struct {
	users    *userTokens
	keys     *apiKeys
	certs    *certificates
	partners map[string]PartnerConfig
}

// New checks cfg (Config.Validate), loads its secrets and key files and
// returns an Authenticator. Problems are returned as config.Errors naming
// cfg.File (or "auth") and the field; only LoadConfig knows lines.
func New(cfg Config, opts Options) (*Authenticator, error) {
	opts.setDefaults()
	a := &Authenticator{opts: opts}
	if err := a.Reload(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload checks cfg as New does and, when it has no problems, puts it in
// force for every request authenticated from then on, at once: a request
// sees either the old configuration or the new one, never a mix. With
// problems (config.Errors, as New returns them) the configuration in force
// stays.
func (a *Authenticator) Reload(cfg Config) error {
	st, err := a.build(cfg)
	if err != nil {
		return err
	}
	a.cur.Store(st)
	a.opts.Logger.Info("authentication configured", "user_keys", len(st.users.keys), "partners", len(st.partners),
		"api_keys", len(st.keys.byID), "certificates", len(st.certs.byFingerprint)+len(st.certs.byName))
	return nil
}

// build checks cfg and reads its secrets and files into a state.
func (a *Authenticator) build(cfg Config) (*state, error) {
	opts := a.opts
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
	return &state{users: users, keys: newAPIKeys(cfg.Partners), certs: certs, partners: cfg.Partners}, nil
}

// Authenticate finds and checks the request's credential:
// "Authorization: Bearer khp_..." or "X-API-Key: khp_..." (a partner's API
// key), "Authorization: Bearer <JWT>" (a user), or else the TLS client
// certificate (a partner). When a client certificate that belongs to one
// partner comes with an API key of another, the request is refused.
//
// It returns an *Error: CodeMissing without any credential, CodeInvalid for
// a bad or unknown one (or more than one header credential), CodeExpired
// for an expired one, CodeCertificateUnknown for a trusted client
// certificate that belongs to no partner, CodeForbidden for a user whose
// role or organisation is not known, a partner that is no longer known, or
// an API key and a client certificate of different partners.
func (a *Authenticator) Authenticate(r *http.Request) (Subject, error) {
	st := a.cur.Load()
	now := a.opts.Now()
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	apiKey := strings.TrimSpace(r.Header.Get(APIKeyHeader))
	if authz != "" && apiKey != "" {
		return Subject{}, newError(CodeInvalid, "Geef één manier van aanmelden mee: Authorization of "+APIKeyHeader+", niet beide.", nil)
	}
	var certPartner, fingerprint string
	var certErr error
	if r.TLS != nil {
		certPartner, fingerprint, certErr = st.certs.partnerFor(r.TLS, now)
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
			s, err = st.partnerByKey(token, now)
		default:
			s, err = st.users.verify(token)
			if err == nil {
				err = a.checkUser(s)
			}
		}
	case apiKey != "":
		s, err = st.partnerByKey(apiKey, now)
	case certErr != nil:
		return Subject{}, certErr
	case certPartner != "":
		s = st.partnerSubject(certPartner, MethodCertificate, fingerprint)
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
	if s.Kind == KindPartner && a.opts.KnownPartner != nil && !a.opts.KnownPartner(s.ID) {
		return Subject{}, newError(CodeForbidden, "Deze partner is bij de hub niet (meer) bekend.",
			fmt.Errorf("partner %s has no partner file", s.ID))
	}
	return s, nil
}

// partnerByKey authenticates a partner by its API key.
func (st *state) partnerByKey(key string, now time.Time) (Subject, error) {
	partner, id, err := st.keys.verify(key, now)
	if err != nil {
		return Subject{}, err
	}
	return st.partnerSubject(partner, MethodAPIKey, id), nil
}

func (st *state) partnerSubject(partner string, m Method, credential string) Subject {
	return Subject{Kind: KindPartner, ID: partner, Organisation: partner, Role: st.partners[partner].Role, Method: m, Credential: credential}
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
