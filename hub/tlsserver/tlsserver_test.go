package tlsserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/devca"
	"github.com/ketenhub/ketenhub/hub/tlsserver"
)

// pki is a CA with a server certificate for 127.0.0.1 written to a folder.
type pki struct {
	dir string
	ca  *devca.CA
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := devca.NewCA(devca.Options{CommonName: "test-ca"})
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), ca: ca}
	p.writeServer(t, ca, "server-1")
	write(t, filepath.Join(p.dir, "ca.pem"), ca.CertPEM())
	return p
}

// writeServer writes a server certificate for 127.0.0.1 signed by ca.
func (p *pki) writeServer(t *testing.T, ca *devca.CA, cn string) {
	t.Helper()
	c, err := ca.Server(devca.Options{CommonName: cn, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(p.dir, "server.pem"), c.CertPEM)
	write(t, filepath.Join(p.dir, "server-key.pem"), c.KeyPEM)
}

func (p *pki) config(clientAuth string, withCA bool) config.TLS {
	c := config.TLS{CertFile: filepath.Join(p.dir, "server.pem"), KeyFile: filepath.Join(p.dir, "server-key.pem"), ClientAuth: clientAuth}
	if withCA {
		c.ClientCAFile = filepath.Join(p.dir, "ca.pem")
	}
	return c
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serve runs an HTTPS server with the configuration of s on 127.0.0.1 that
// answers with the number of verified chains and the common name of the
// client certificate, and returns its address.
func serve(t *testing.T, s *tlsserver.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := "-"
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "%s chains=%d %s", cn, len(r.TLS.VerifiedChains), tls.VersionName(r.TLS.Version))
	})}
	go func() { _ = srv.Serve(tls.NewListener(ln, s.Config())) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String()
}

// client trusts ca and presents cert (when not nil) whatever CAs the
// server asks for.
func client(ca *devca.CA, cert *devca.Cert, maxVersion uint16) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	conf := &tls.Config{RootCAs: roots, MaxVersion: maxVersion}
	if cert != nil {
		// Always sent, also when the server names other CAs (as curl does).
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: [][]byte{cert.Cert.Raw}, PrivateKey: cert.Key}, nil
		}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func newServer(t *testing.T, cfg config.TLS) *tlsserver.Server {
	t.Helper()
	s, err := tlsserver.New(cfg, tlsserver.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClientCertificates(t *testing.T) {
	p := newPKI(t)
	partner, err := p.ca.Client(devca.Options{CommonName: "ggz-oost"})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := p.ca.Client(devca.Options{CommonName: "ggz-oost", NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := devca.NewCA(devca.Options{CommonName: "other-ca"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := otherCA.Client(devca.Options{CommonName: "stranger"})
	if err != nil {
		t.Fatal(err)
	}
	selfSigned, err := devca.SelfSigned(devca.Options{CommonName: "pinned"})
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		cert *devca.Cert
		want string // the answer, or "ERR" for a failed handshake
	}
	for _, tt := range []struct {
		name       string
		clientAuth string
		withCA     bool
		calls      []call
	}{
		{"RequestWithCA", config.ClientAuthRequest, true, []call{
			{nil, "- chains=0 TLS 1.3"},
			{partner, "ggz-oost chains=1 TLS 1.3"},
			{expired, "ERR"},
			{stranger, "ERR"},
			{selfSigned, "ERR"},
		}},
		{"RequireWithCA", config.ClientAuthRequire, true, []call{
			{nil, "ERR"},
			{partner, "ggz-oost chains=1 TLS 1.3"},
			{expired, "ERR"},
		}},
		{"RequestWithoutCA", config.ClientAuthRequest, false, []call{
			{nil, "- chains=0 TLS 1.3"},
			{selfSigned, "pinned chains=0 TLS 1.3"}, // hub/auth decides
		}},
		{"RequireWithoutCA", config.ClientAuthRequire, false, []call{
			{nil, "ERR"},
			{selfSigned, "pinned chains=0 TLS 1.3"},
		}},
		{"None", config.ClientAuthNone, true, []call{
			{partner, "- chains=0 TLS 1.3"}, // not asked for, not sent
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := serve(t, newServer(t, p.config(tt.clientAuth, tt.withCA)))
			for i, c := range tt.calls {
				got, err := get(client(p.ca, c.cert, 0), url)
				if err != nil {
					got = "ERR"
				}
				if got != c.want {
					t.Errorf("call %d: got %q (%v), want %q", i, got, err, c.want)
				}
			}
		})
	}
}

func TestVersions(t *testing.T) {
	p := newPKI(t)
	url := serve(t, newServer(t, p.config(config.ClientAuthRequest, true)))
	for _, tt := range []struct {
		name string
		max  uint16
		want string
	}{
		{"OK13", 0, "- chains=0 TLS 1.3"},
		{"OK12", tls.VersionTLS12, "- chains=0 TLS 1.2"},
		{"ErrTLS11", tls.VersionTLS11, "ERR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := get(client(p.ca, nil, tt.max), url)
			if err != nil {
				got = "ERR"
			}
			if got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// TestReload replaces the server certificate while a connection is open:
// the open connection goes on, a new one sees the new certificate, and a
// broken key keeps the certificate in force.
func TestReload(t *testing.T) {
	p := newPKI(t)
	s := newServer(t, p.config(config.ClientAuthRequest, true))
	url := serve(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trigger := make(chan struct{})
	reloads := make(chan error, 4)
	go s.Watch(ctx, tlsserver.WatchOptions{Interval: time.Hour, Trigger: trigger,
		OnReload: func(_ context.Context, _ string, err error) { reloads <- err }})

	open := client(p.ca, nil, 0)
	if _, err := get(open, url); err != nil {
		t.Fatal(err)
	}
	first := s.Fingerprint()
	peerCN := func(c *http.Client) string {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}

	p.writeServer(t, p.ca, "server-2")
	trigger <- struct{}{}
	if err := <-reloads; err != nil {
		t.Fatalf("reload: %v", err)
	}
	if s.Fingerprint() == first {
		t.Fatal("the fingerprint did not change")
	}
	if got := peerCN(open); got != "server-1" {
		t.Errorf("the open connection sees %q, want the certificate it agreed on (server-1)", got)
	}
	if got := peerCN(client(p.ca, nil, 0)); got != "server-2" {
		t.Errorf("a new connection sees %q, want server-2", got)
	}

	write(t, filepath.Join(p.dir, "server-key.pem"), []byte("geen sleutel"))
	trigger <- struct{}{}
	err := <-reloads
	if err == nil || !strings.Contains(err.Error(), "server-key.pem") {
		t.Fatalf("reload of a broken key: %v, want an error naming the key file", err)
	}
	if got := peerCN(client(p.ca, nil, 0)); got != "server-2" {
		t.Errorf("after a refused reload a new connection sees %q, want server-2", got)
	}
	// The same broken content is reported once.
	trigger <- struct{}{}
	select {
	case err := <-reloads:
		t.Errorf("the same refused content was reported again: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestNewErrors(t *testing.T) {
	p := newPKI(t)
	cfg := p.config(config.ClientAuthRequest, true)
	cfg.KeyFile = filepath.Join(p.dir, "missing.pem")
	_, err := tlsserver.New(cfg, tlsserver.Options{})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New with a missing key: %v, want a not-exist error", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true, "127.1.2.3:1": true,
		":8080": false, "0.0.0.0:8080": false, "10.0.0.5:443": false, "[::]:443": false, "hub.example:443": false, "nonsense": false,
	} {
		if got := tlsserver.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
