package api_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// jwtSecret signs the users' tokens of the tests.
const jwtSecret = "een-testgeheim-van-minstens-32-bytes-lang"

// fakeAudit is an audit trail in memory. A non-nil err fails every write.
type fakeAudit struct {
	mu     sync.Mutex
	events []audit.Event
	err    error
}

func (f *fakeAudit) Append(_ context.Context, _ audit.DB, events ...audit.Event) error {
	return f.Record(context.Background(), events...)
}

func (f *fakeAudit) Record(_ context.Context, events ...audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return err
		}
	}
	f.events = append(f.events, events...)
	return nil
}

func (f *fakeAudit) ForClient(_ context.Context, client string, _, _ time.Time) (audit.ClientReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := audit.ClientReport{Client: client, Entries: []audit.Entry{}}
	for i, e := range f.events {
		if e.Client == client {
			r.Entries = append(r.Entries, audit.Entry{Seq: int64(i + 1), Event: e})
		}
	}
	return r, nil
}

func (f *fakeAudit) all() []audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]audit.Event(nil), f.events...)
}

// credentials is the tests' authentication: users' tokens signed with
// jwtSecret, and one API key per partner.
type credentials struct {
	auth *auth.Authenticator
	key  auth.KeyConfig
	keys map[string]auth.APIKey
}

// newCredentials returns an authenticator that knows an HS256 key and an API
// key for each partner.
func newCredentials(t *testing.T, partners ...string) *credentials {
	t.Helper()
	c := &credentials{key: auth.KeyConfig{ID: "test", Alg: "HS256", SecretEnv: "TEST_JWT_SECRET"}, keys: map[string]auth.APIKey{}}
	cfg := auth.Config{Users: auth.UsersConfig{Audience: "ketenhub", Keys: []auth.KeyConfig{c.key}}, Partners: map[string]auth.PartnerConfig{}}
	for _, p := range partners {
		k, err := auth.NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		c.keys[p] = k
		cfg.Partners[p] = auth.PartnerConfig{APIKeys: []auth.APIKeyConfig{{ID: k.ID, SHA256: k.Hash()}}}
	}
	roles, err := policy.Load(exampleRoles, policy.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(cfg, auth.Options{Getenv: func(string) string { return jwtSecret }, Logger: slog.New(slog.DiscardHandler),
		KnownRole: func(r string) bool { _, ok := roles.Roles[r]; return ok }})
	if err != nil {
		t.Fatal(err)
	}
	c.auth = a
	return c
}

// user returns an Authorization header for a user.
func (c *credentials) user(t *testing.T, id, org, role string) string {
	t.Helper()
	tok, err := auth.SignHMAC(c.key, []byte(jwtSecret), auth.TokenClaims{User: id, Organisation: org, Role: role,
		Audience: "ketenhub", TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// partner returns an Authorization header for a partner system.
func (c *credentials) partner(p string) string { return "Bearer " + c.keys[p].String() }

// exampleRoles is the example region's roles.yaml.
var exampleRoles = filepath.Join("..", "..", "config", "roles.yaml")

// newEngine loads the example region's roles into a decision point that
// reads consent from consents.
func newEngine(t *testing.T, consents policy.ConsentReader) *policy.Engine {
	t.Helper()
	p, err := policy.Load(exampleRoles, policy.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return policy.NewEngine(p, consents, policy.EngineOptions{Logger: slog.New(slog.DiscardHandler)})
}
