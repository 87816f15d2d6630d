// Package devca makes a development certificate authority and the
// certificates signed by it that a newcomer needs to try the hub's TLS
// listener with client certificates (mTLS): a server certificate for
// localhost and one client certificate per partner. Everything it makes is
// for testing only: the keys are written unencrypted and the CA is trusted
// by nothing but the hub that is told to trust it.
//
// The tests use the same functions to make certificates on the fly
// (expired ones, unknown ones, certificates of another CA).
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Organisation is put in the subject of every certificate this package
// makes, so that nobody mistakes one for a real certificate.
const Organisation = "Ketenhub ontwikkel-CA (alleen voor testen)"

// CA is a certificate authority: its certificate and private key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Cert is a certificate with its private key, also as PEM.
type Cert struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte // the certificate, "CERTIFICATE"
	KeyPEM  []byte // the private key, "PRIVATE KEY" (PKCS #8)
}

// Options describe a certificate. Zero NotBefore means an hour ago (room
// for clocks that differ a little), zero NotAfter NotBefore plus a year.
type Options struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	URIs       []*url.URL
	NotBefore  time.Time
	NotAfter   time.Time
}

func (o *Options) setDefaults() {
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.NotBefore.AddDate(1, 0, 0)
	}
}

// NewCA makes a self-signed CA with an ECDSA P-256 key. It returns an error
// when the system's random source fails.
func NewCA(o Options) (*CA, error) {
	c, err := create(o, nil, func(tmpl *x509.Certificate) {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.MaxPathLenZero = true, true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	})
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c.Cert, Key: c.Key}, nil
}

// CertPEM returns the CA's certificate as PEM.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Server makes a certificate for a TLS server (extended key usage server
// authentication) signed by the CA.
func (ca *CA) Server(o Options) (*Cert, error) {
	return create(o, ca, leaf(x509.ExtKeyUsageServerAuth))
}

// Client makes a certificate for a TLS client (extended key usage client
// authentication) signed by the CA.
func (ca *CA) Client(o Options) (*Cert, error) {
	return create(o, ca, leaf(x509.ExtKeyUsageClientAuth))
}

// SelfSigned makes a self-signed client certificate (no CA), as a partner
// might bring for pinning by fingerprint.
func SelfSigned(o Options) (*Cert, error) {
	return create(o, nil, leaf(x509.ExtKeyUsageClientAuth))
}

// leaf sets the key usages of an end-entity certificate.
func leaf(usage x509.ExtKeyUsage) func(*x509.Certificate) {
	return func(tmpl *x509.Certificate) {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	}
}

// create makes a new ECDSA P-256 key and a certificate for it, described by
// o and adjusted by configure, signed by ca (self-signed when ca is nil).
func create(o Options, ca *CA, configure func(*x509.Certificate)) (*Cert, error) {
	o.setDefaults()
	if o.CommonName == "" {
		return nil, errors.New("create certificate: a common name is required")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl, err := template(o)
	if err != nil {
		return nil, err
	}
	configure(tmpl)
	parent, signer := tmpl, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("create certificate %s: %w", o.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	keyPEM, err := KeyPEM(key)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM: keyPEM}, nil
}

// KeyPEM encodes a private key as PEM "PRIVATE KEY" (PKCS #8), unencrypted.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func template(o Options) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName, Organization: []string{Organisation}},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
		URIs:         o.URIs,
	}, nil
}
