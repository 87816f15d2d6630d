// Package tlsserver builds the TLS configuration of the hub's API from the
// tls section of ketenhub.yaml (hub/config.TLS): TLS 1.2 at least (1.3 when
// the client can), Go's default cipher suites, the server certificate and
// the CAs for client certificates read from their files and read again when
// the files change, without dropping connections: a new handshake uses the
// new files, an open connection keeps what it agreed on.
//
// Client certificates are verified here only when a client CA file is
// configured (then a certificate that does not chain to it, or has expired,
// fails the handshake); which partner a certificate belongs to is decided
// by hub/auth from the connection state of each request.
package tlsserver

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

// MinVersion is the lowest TLS version the hub accepts.
const MinVersion = tls.VersionTLS12

// expiryWarning is how long before the server certificate expires the hub
// starts warning about it.
const expiryWarning = 30 * 24 * time.Hour

// Server holds the TLS material in force and hands every new handshake the
// configuration built from it. It is safe for concurrent use.
type Server struct {
	cfg config.TLS
	log *slog.Logger
	now func() time.Time
	cur atomic.Pointer[material]
}

// material is what one reading of the files gave.
type material struct {
	conf        *tls.Config // for one handshake: certificate, client CAs, client auth
	revision    string      // sha256 over the files' contents
	leaf        *x509.Certificate
	fingerprint string // sha256 of the server certificate, hex
}

// Options configure New.
type Options struct {
	// Logger receives reloads and certificate warnings; nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for expiry warnings; nil means time.Now.
	Now func() time.Time
}

// New reads the files of cfg and returns a Server. It returns an error
// (naming the file, in Dutch) when a file cannot be read or used.
func New(cfg config.TLS, opts Options) (*Server, error) {
	s := &Server{cfg: cfg, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	m, err := s.read()
	if err != nil {
		return nil, err
	}
	s.put(m)
	return s, nil
}

// put puts m in force.
func (s *Server) put(m *material) {
	s.cur.Store(m)
	s.warnExpiry(m)
}

// Config returns the server configuration for tls.NewListener (or
// http.Server.TLSConfig): every handshake gets the material in force at
// that moment.
func (s *Server) Config() *tls.Config {
	return &tls.Config{
		MinVersion: MinVersion,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.cur.Load().conf, nil
		},
	}
}

// Fingerprint returns the SHA-256 (hex) of the server certificate in force.
func (s *Server) Fingerprint() string { return s.cur.Load().fingerprint }

// Revision returns the SHA-256 (hex) over the contents of the files in
// force: certificate, key and client CAs.
func (s *Server) Revision() string { return s.cur.Load().revision }

// Reload reads the files again and puts them in force when their contents
// changed. It reports whether they did; on an error the material in force
// stays and the error names the file.
func (s *Server) Reload() (changed bool, err error) {
	rev, err := s.revision()
	if err != nil {
		return false, err
	}
	if rev == s.cur.Load().revision {
		return false, nil
	}
	m, err := s.read()
	if err != nil {
		return false, err
	}
	s.put(m)
	return true, nil
}

// files returns the files the material is read from.
func (s *Server) files() []string {
	files := []string{s.cfg.CertFile, s.cfg.KeyFile}
	if s.cfg.ClientCAFile != "" {
		files = append(files, s.cfg.ClientCAFile)
	}
	return files
}

// revision hashes the contents of the files.
func (s *Server) revision() (string, error) {
	h := sha256.New()
	for _, f := range s.files() {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("tls: %s kan niet worden gelezen: %w", f, err)
		}
		sum := sha256.Sum256(data)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// read reads the files into new material.
func (s *Server) read() (*material, error) {
	rev, err := s.revision()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: certificaat %s en sleutel %s zijn niet te gebruiken: %w", s.cfg.CertFile, s.cfg.KeyFile, err)
	}
	conf := &tls.Config{
		MinVersion:   MinVersion,
		NextProtos:   []string{"h2", "http/1.1"},
		Certificates: []tls.Certificate{cert},
		ClientAuth:   clientAuth(s.cfg.ClientAuth, s.cfg.ClientCAFile != ""),
	}
	if s.cfg.ClientCAFile != "" {
		conf.ClientCAs, err = config.LoadCertPool(s.cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: %s: %w", s.cfg.ClientCAFile, err)
		}
	}
	sum := sha256.Sum256(cert.Leaf.Raw)
	return &material{conf: conf, revision: rev, leaf: cert.Leaf, fingerprint: hex.EncodeToString(sum[:])}, nil
}

// clientAuth maps client_auth to Go's setting: with a client CA the
// handshake verifies a certificate against it, without one it takes any
// certificate and leaves the decision to hub/auth (pinned fingerprints).
func clientAuth(setting string, withCA bool) tls.ClientAuthType {
	switch {
	case setting == config.ClientAuthNone:
		return tls.NoClientCert
	case setting == config.ClientAuthRequire && withCA:
		return tls.RequireAndVerifyClientCert
	case setting == config.ClientAuthRequire:
		return tls.RequireAnyClientCert
	case withCA:
		return tls.VerifyClientCertIfGiven
	}
	return tls.RequestClientCert
}

// warnExpiry logs when the server certificate has expired or expires soon.
func (s *Server) warnExpiry(m *material) {
	now := s.now()
	switch {
	case now.After(m.leaf.NotAfter):
		s.log.Error("the TLS server certificate has expired; clients will refuse the hub", "file", s.cfg.CertFile,
			"not_after", m.leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Add(expiryWarning).After(m.leaf.NotAfter):
		s.log.Warn("the TLS server certificate expires soon", "file", s.cfg.CertFile,
			"not_after", m.leaf.NotAfter.UTC().Format(time.RFC3339))
	}
}

// IsLoopback reports whether a listen address (host:port) is reachable
// only from this machine: a loopback IP or localhost. An empty host (all
// interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
