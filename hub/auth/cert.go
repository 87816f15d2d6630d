package auth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"
)

// certificates maps verified client certificates to partners.
type certificates struct {
	byFingerprint map[[32]byte]string // SHA-256 of the DER certificate -> partner
	byName        map[string]string   // "cn:", "dns:" or "uri:" + name -> partner
	roots         *x509.CertPool      // the client CAs; nil when none configured
}

func newCertificates(c *Config) (*certificates, error) {
	m := &certificates{byFingerprint: map[[32]byte]string{}, byName: map[string]string{}}
	for id, p := range c.Partners {
		for _, cc := range p.Certificates {
			rule, _ := cc.rule() // Validate checked it
			kind, value, _ := strings.Cut(rule, ":")
			if kind == "sha256" {
				var fp [32]byte
				b, _ := hex.DecodeString(value)
				copy(fp[:], b)
				m.byFingerprint[fp] = id
				continue
			}
			m.byName[rule] = id
		}
	}
	if c.ClientCA != "" {
		data, err := os.ReadFile(c.path(c.ClientCA))
		if err != nil {
			return nil, fmt.Errorf("het CA-bestand %s kan niet worden gelezen: %s", c.ClientCA, readReason(err))
		}
		m.roots = x509.NewCertPool()
		if !m.roots.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s bevat geen CA-certificaten in PEM", c.ClientCA)
		}
	}
	return m, nil
}

// empty reports whether no certificate is configured.
func (m *certificates) empty() bool { return len(m.byFingerprint) == 0 && len(m.byName) == 0 }

// partnerFor maps the client certificate of a TLS connection to a partner.
// It returns "" and a nil error when the connection has no client
// certificate. A pinned certificate (by fingerprint) needs no CA: the TLS
// handshake proved that the client holds its private key; it must be within
// its validity period. A certificate matched by name must chain to a
// configured client CA (or have been verified by the TLS server) for client
// authentication. Failures are *Error values with CodeInvalid (CodeExpired
// for a certificate past its validity, CodeCertificateUnknown for a
// verified certificate that matches no partner).
func (m *certificates) partnerFor(cs *tls.ConnectionState, now time.Time) (partner, fingerprint string, err error) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return "", "", nil
	}
	leaf := cs.PeerCertificates[0]
	fp := sha256.Sum256(leaf.Raw)
	fingerprint = hex.EncodeToString(fp[:])
	if now.Before(leaf.NotBefore) {
		return "", fingerprint, newError(CodeInvalid, "Het clientcertificaat is nog niet geldig.", fmt.Errorf("certificate %s not yet valid", fingerprint))
	}
	if now.After(leaf.NotAfter) {
		return "", fingerprint, newError(CodeExpired, "Het clientcertificaat is verlopen.", fmt.Errorf("certificate %s expired", fingerprint))
	}
	if p, ok := m.byFingerprint[fp]; ok {
		return p, fingerprint, nil
	}
	if len(cs.VerifiedChains) == 0 {
		// Not verified in the handshake: only a configured client CA can vouch for it.
		if m.roots == nil {
			return "", fingerprint, newError(CodeInvalid, "Het clientcertificaat hoort bij geen partner.", fmt.Errorf("certificate %s not configured", fingerprint))
		}
		if err := m.verifyChain(cs, now); err != nil {
			return "", fingerprint, newError(CodeInvalid, "Het clientcertificaat is niet ondertekend door een vertrouwde CA.", err)
		}
	}
	found := map[string]bool{}
	for _, u := range leaf.URIs {
		if p, ok := m.byName["uri:"+u.String()]; ok {
			found[p] = true
		}
	}
	for _, d := range leaf.DNSNames {
		if p, ok := m.byName["dns:"+strings.ToLower(d)]; ok {
			found[p] = true
		}
	}
	if cn := leaf.Subject.CommonName; cn != "" {
		if p, ok := m.byName["cn:"+strings.ToLower(cn)]; ok {
			found[p] = true
		}
	}
	switch len(found) {
	case 0:
		return "", fingerprint, newError(CodeCertificateUnknown, "Het clientcertificaat is geldig, maar hoort bij geen partner van de hub; vraag de beheerder het op te nemen in auth.yaml.",
			fmt.Errorf("certificate %s matches no partner", fingerprint))
	case 1:
		for p := range found {
			return p, fingerprint, nil
		}
	}
	return "", fingerprint, newError(CodeInvalid, "Het clientcertificaat past bij meer dan één partner.", fmt.Errorf("certificate %s matches %d partners", fingerprint, len(found)))
}

// verifyChain checks that the leaf chains to the client CAs for client
// authentication.
func (m *certificates) verifyChain(cs *tls.ConnectionState, now time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: m.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err
}
