package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ketenhub/ketenhub/hub/auth"
)

// now is the fixed clock of the tests.
var now = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

const hsSecret = "een-willekeurig-geheim-van-minstens-32-bytes!"

// keys are the test's signing keys, generated once per test binary.
var keys = struct {
	rsa   *rsa.PrivateKey
	rsa2  *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	edPub ed25519.PublicKey
	ed    ed25519.PrivateKey
}{}

func init() {
	var err error
	if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if keys.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if keys.edPub, keys.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
}

// writePublicKey writes pub as a PEM file in dir and returns its name.
func writePublicKey(t *testing.T, dir, name string, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// env is a fake environment.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// sign makes a token with claims signed by key with method, with header
// kid when not empty.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// userClaims are valid claims of a user's token.
func userClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "u-4711", "org": "ggz-oost", "role": "regievoerder", "exp": now.Add(time.Hour).Unix(),
		"iat": now.Add(-time.Minute).Unix(), "iss": "https://idp.keten.example", "aud": []string{"ketenhub"}}
}

// request returns a GET request with the given headers.
func request(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/registrations", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

// pki is a client CA with a helper to issue certificates.
type pki struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pki{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a client certificate signed by p (self-signed when p is nil),
// after change adjusted the template.
func (p *pki) issue(t *testing.T, cn string, change func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if change != nil {
		change(tmpl)
	}
	parent, signer := tmpl, crypto.Signer(key)
	if p != nil {
		parent, signer = p.cert, p.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// withCert puts cert as the TLS peer certificate of r, as a server with
// tls.RequestClientCert would (no verified chains).
func withCert(r *http.Request, cert *x509.Certificate) *http.Request {
	r.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{cert}}
	return r
}

// verified marks the peer certificate of r as verified by the TLS server
// (tls.VerifyClientCertIfGiven with the hub's client CA file).
func verified(r *http.Request) *http.Request {
	r.TLS.VerifiedChains = [][]*x509.Certificate{r.TLS.PeerCertificates}
	return r
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustNew builds an Authenticator with the fixed clock and fake environment.
func mustNew(t *testing.T, cfg auth.Config, opts auth.Options) *auth.Authenticator {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	if opts.Getenv == nil {
		opts.Getenv = env(map[string]string{"KETENHUB_JWT_SECRET": hsSecret})
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := auth.New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}
