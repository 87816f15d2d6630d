package config

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Values of TLS.ClientAuth.
const (
	// ClientAuthNone: the hub does not ask for client certificates.
	ClientAuthNone = "none"
	// ClientAuthRequest: the hub asks for a client certificate; a client
	// without one still connects (users with a token). The default.
	ClientAuthRequest = "request"
	// ClientAuthRequire: a client without a certificate fails the TLS
	// handshake.
	ClientAuthRequire = "require"
)

// TLS configures HTTPS for the API (tls in the hub file). Paths are
// absolute.
type TLS struct {
	// CertFile is the PEM file with the server certificate, optionally
	// followed by intermediate CA certificates.
	CertFile string
	// KeyFile is the PEM file with the server certificate's private key.
	KeyFile string
	// ClientCAFile is the PEM file with the CAs that sign client
	// certificates; "" when the handshake takes any client certificate and
	// leaves the decision to auth.yaml.
	ClientCAFile string
	// ClientAuth is ClientAuthNone, ClientAuthRequest or ClientAuthRequire.
	ClientAuth string
}

// tlsFile mirrors tls in the hub file.
type tlsFile struct {
	CertFile     string `json:"cert_file"`
	KeyFile      string `json:"key_file"`
	ClientCAFile string `json:"client_ca_file"`
	ClientAuth   string `json:"client_auth"`
}

// loadTLS resolves the tls section against the hub file's folder and checks
// that its files can be used: the certificate and key are PEM and belong
// together, the client CA file holds at least one certificate. Fields the
// schema already refused are not looked at again.
func loadTLS(col *collector, doc *document, dir string, tf *tlsFile, bad map[string]bool) *TLS {
	t := &TLS{CertFile: resolve(dir, tf.CertFile), KeyFile: resolve(dir, tf.KeyFile),
		ClientAuth: cmp.Or(tf.ClientAuth, ClientAuthRequest)}
	if tf.ClientCAFile != "" {
		t.ClientCAFile = resolve(dir, tf.ClientCAFile)
	}
	if doc == nil {
		return t
	}
	if !bad["tls.cert_file"] && !bad["tls.key_file"] {
		if ptr, msg := checkKeyPair(t.CertFile, t.KeyFile); msg != "" {
			col.add(doc.at("", ptr, false, CodeFile, msg))
		}
	}
	if t.ClientCAFile != "" && !bad["tls.client_ca_file"] {
		if _, err := LoadCertPool(t.ClientCAFile); err != nil {
			col.add(doc.at("", "/tls/client_ca_file", false, CodeFile, err.Error()))
		}
	}
	return t
}

// checkKeyPair returns the JSON pointer and Dutch message of the problem
// with a certificate and key file, or "" when they can be used together.
func checkKeyPair(certFile, keyFile string) (ptr, msg string) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return "/tls/cert_file", "het certificaat kan niet worden gelezen: " + readReason(err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return "/tls/key_file", "de sleutel kan niet worden gelezen: " + readReason(err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		if b, _ := pem.Decode(certPEM); b == nil || b.Type != "CERTIFICATE" {
			return "/tls/cert_file", "geen certificaat in PEM (-----BEGIN CERTIFICATE-----)"
		}
		return "/tls/key_file", "de sleutel hoort niet bij het certificaat, of is geen privésleutel in PEM"
	}
	return "", ""
}

// LoadCertPool reads a PEM file of CA certificates. The error is a Dutch
// message (without the path) when it cannot be read or holds no
// certificate.
func LoadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("het CA-bestand kan niet worden gelezen: %s", readReason(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("het CA-bestand bevat geen certificaten in PEM (-----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}
