package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/plugins/polltest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	server                    tls.Certificate
	pool                      *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := mustKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test-CA gemeente"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, usage x509.ExtKeyUsage, ips []net.IP) (tls.Certificate, []byte, []byte) {
		key := mustKey(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c, certPEM, keyPEM
	}
	p := &testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "hub.pem"), keyFile: filepath.Join(dir, "hub.key"),
		pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server, _, _ = issue("127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	_, certPEM, keyPEM := issue("ketenhub", x509.ExtKeyUsageClientAuth, nil)
	for path, b := range map[string][]byte{p.caFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		p.certFile: certPEM, p.keyFile: keyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPollTLS polls a StUF-BG service that wants a client certificate,
// over https with the partner's own CA.
func TestPollTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := polltest.NewStUFTLS(func(s *httptest.Server) {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.pool, ClientAuth: tls.RequireAndVerifyClientCert}
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	}, polltest.People("P", 2, t0, time.Minute)...)
	defer srv.Close()
	tests := []struct {
		name     string
		tls      map[string]any
		wantCode string
		wantText string
	}{
		{"OK", map[string]any{"ca_file": pki.caFile, "cert_file": pki.certFile, "key_file": pki.keyFile}, "", ""},
		{"ErrNoClientCertificate", map[string]any{"ca_file": pki.caFile}, sdk.CodePollConnect, ""},
		{"ErrUnknownCA", map[string]any{"cert_file": pki.certFile, "key_file": pki.keyFile}, sdk.CodePollConnect, "certificaat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := stufAdapter(t, srv.URL, map[string]any{"tls": tt.tls})
			res, _, err := pollOnce(t, a, "")
			var pe *sdk.PollError
			switch {
			case tt.wantCode == "" && (err != nil || res.Items != 2):
				t.Fatalf("result %+v, %v", res, err)
			case tt.wantCode != "" && (!errors.As(err, &pe) || pe.Code != tt.wantCode || !strings.Contains(pe.Message, tt.wantText)):
				t.Fatalf("err = %v, want %s mentioning %q", err, tt.wantCode, tt.wantText)
			case pe != nil:
				t.Logf("%s: %s", pe.Code, pe.Message)
			}
		})
	}
}
