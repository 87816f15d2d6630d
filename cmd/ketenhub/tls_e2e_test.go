package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/devca"
)

// mtlsPKI is the certificates of an mTLS test region: a CA with the hub's
// server certificate, and client certificates.
type mtlsPKI struct {
	ca        *devca.CA
	ggz       *devca.Cert // CN ggz-oost.keten.test, mapped to ggz-oost
	opvang    *devca.Cert // SAN URI, mapped to opvang-zuid
	unknown   *devca.Cert // signed by the CA, mapped to nobody
	expired   *devca.Cert // ggz-oost's name, expired yesterday
	stranger  *devca.Cert // ggz-oost's name, from another CA
	serverPEM []byte
	keyPEM    []byte
}

func newMTLSPKI(t *testing.T) *mtlsPKI {
	t.Helper()
	must := func(c *devca.Cert, err error) *devca.Cert {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca, err := devca.NewCA(devca.Options{CommonName: "e2e-keten-ca"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := devca.NewCA(devca.Options{CommonName: "e2e-andere-ca"})
	if err != nil {
		t.Fatal(err)
	}
	p := &mtlsPKI{ca: ca,
		ggz:      must(ca.Client(devca.Options{CommonName: "ggz-oost.keten.test"})),
		opvang:   must(ca.Client(devca.Options{CommonName: "koppeling", URIs: []*url.URL{{Scheme: "spiffe", Host: "keten", Path: "/opvang-zuid"}}})),
		unknown:  must(ca.Client(devca.Options{CommonName: "niemand.keten.test"})),
		expired:  must(ca.Client(devca.Options{CommonName: "ggz-oost.keten.test", NotBefore: time.Now().AddDate(0, -2, 0), NotAfter: time.Now().AddDate(0, 0, -1)})),
		stranger: must(other.Client(devca.Options{CommonName: "ggz-oost.keten.test"})),
	}
	server := must(ca.Server(devca.Options{CommonName: "127.0.0.1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))
	p.serverPEM, p.keyPEM = server.CertPEM, server.KeyPEM
	return p
}

// client returns an HTTPS client that trusts the region's CA and presents
// cert (none when nil), also when the hub names other CAs, as curl does.
func (p *mtlsPKI) client(cert *devca.Cert) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca.Cert)
	conf := &tls.Config{RootCAs: roots}
	if cert != nil {
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: [][]byte{cert.Cert.Raw}, PrivateKey: cert.Key}, nil
		}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: conf}, Timeout: 30 * time.Second}
}

// mtlsRegion is a test region whose hub listens with TLS (client_auth as
// given, client certificates verified against the region's CA) and whose
// auth.yaml maps the certificates of ggz-oost (by CN) and opvang-zuid (by
// SAN URI).
func mtlsRegion(t *testing.T, p *mtlsPKI, clientAuth string) *region {
	t.Helper()
	r := newRegion(t, nil)
	mustWrite(t, filepath.Join(r.dir, "tls", "server.pem"), p.serverPEM)
	mustWrite(t, filepath.Join(r.dir, "tls", "server-key.pem"), p.keyPEM)
	mustWrite(t, filepath.Join(r.dir, "tls", "ca.pem"), p.ca.CertPEM())
	appendFile(t, r.config, "tls:\n  cert_file: tls/server.pem\n  key_file: tls/server-key.pem\n  client_ca_file: tls/ca.pem\n  client_auth: "+clientAuth+"\n")
	authPath := filepath.Join(r.dir, "auth.yaml")
	b, err := os.ReadFile(authPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "  ggz-oost:\n", "  ggz-oost:\n    certificates:\n      - subject_cn: ggz-oost.keten.test\n", 1)
	s = strings.Replace(s, "  opvang-zuid:\n", "  opvang-zuid:\n    certificates:\n      - uri: spiffe://keten/opvang-zuid\n", 1)
	mustWrite(t, authPath, []byte(s+"client_ca: tls/ca.pem\n"))
	return r
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, path, append(b, text...))
}

// call GETs path on the hub with client and the Authorization header authz
// (none when ""), and returns the status and, for an error, the problem. err
// is the transport's error (a refused TLS handshake).
func call(c *http.Client, base, path, authz string) (int, problemBody, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return 0, problemBody{}, err
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, problemBody{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p problemBody
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			return resp.StatusCode, p, fmt.Errorf("status %d with content type %q", resp.StatusCode, ct)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return resp.StatusCode, p, fmt.Errorf("problem: %w: %s", err, b)
		}
	}
	return resp.StatusCode, p, nil
}

// TestMTLSPartnerCertificates runs the built hub with TLS on a real
// PostgreSQL (client_auth request) and calls it over real HTTPS with client
// certificates: a partner reads its own documents with only its
// certificate, not another partner's; a trusted certificate of no partner
// is refused with 403 AUTH_CERT_UNKNOWN; expired and foreign certificates
// fail the handshake; users' tokens and API keys work over TLS as before,
// and an API key of one partner over another's certificate is refused.
func TestMTLSPartnerCertificates(t *testing.T) {
	p := newMTLSPKI(t)
	r := mtlsRegion(t, p, "request")
	r.client = p.client(nil)
	h := r.start(t)
	if !strings.HasPrefix(h.base, "https://") {
		t.Fatalf("the hub listens on %s, want https", h.base)
	}
	for _, tt := range []struct {
		name    string
		cert    *devca.Cert
		authz   string
		path    string
		status  int    // 0: the handshake must fail
		code    string // problem code
		authErr string // the authentication code in the problem's detail
	}{
		{"OK own documents by certificate", p.ggz, "", "/v1/partners/ggz-oost/documents", 200, "", ""},
		{"OK own documents by SAN URI", p.opvang, "", "/v1/partners/opvang-zuid/documents", 200, "", ""},
		{"OK own partner state by certificate", p.ggz, "", "/v1/partners/ggz-oost", 200, "", ""},
		{"ErrOtherPartnersDocuments", p.ggz, "", "/v1/partners/opvang-zuid/documents", 403, "forbidden", ""},
		{"ErrOtherPartnersDeliveries", p.opvang, "", "/v1/partners/ggz-oost/deliveries", 403, "forbidden", ""},
		{"ErrCertificateOfNoPartner", p.unknown, "", "/v1/partners/ggz-oost/documents", 403, "forbidden", "AUTH_CERT_UNKNOWN"},
		{"ErrAPIKeyOverOtherPartnersCertificate", p.ggz, r.keys["opvang-zuid"], "/v1/partners/opvang-zuid/documents", 403, "forbidden", "AUTH_FORBIDDEN"},
		{"OK API key over its own partner's certificate", p.opvang, r.keys["opvang-zuid"], "/v1/partners/opvang-zuid/documents", 200, "", ""},
		{"OK API key without certificate", nil, r.keys["ggz-oost"], "/v1/partners/ggz-oost/documents", 200, "", ""},
		{"OK user token without certificate", nil, h.reader, "/v1/registrations?purpose=aanmelding", 200, "", ""},
		{"OK user token over a certificate of no partner (a gateway)", p.unknown, h.reader, "/v1/registrations?purpose=aanmelding", 200, "", ""},
		{"ErrNoCredential", nil, "", "/v1/partners/ggz-oost/documents", 401, "unauthorized", "AUTH_MISSING"},
		{"ErrExpiredCertificate", p.expired, "", "/v1/partners/ggz-oost/documents", 0, "", ""},
		{"ErrCertificateOfAnotherCA", p.stranger, "", "/v1/partners/ggz-oost/documents", 0, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, prob, err := call(p.client(tt.cert), h.base, tt.path, tt.authz)
			if tt.status == 0 {
				if err == nil {
					t.Fatalf("status %d; want a refused handshake", status)
				}
				return
			}
			if err != nil || status != tt.status || prob.Code != tt.code || !strings.Contains(prob.Detail, tt.authErr) {
				t.Fatalf("got %d %+v (%v); want %d %s %s", status, prob, err, tt.status, tt.code, tt.authErr)
			}
		})
	}
	// Plain HTTP on the TLS port gets no API.
	if status, _, err := call(http.DefaultClient, strings.Replace(h.base, "https://", "http://", 1), "/v1/partners/ggz-oost/documents", r.keys["ggz-oost"]); err == nil && status == 200 {
		t.Error("plain HTTP on the TLS port answered 200")
	}
	// The refused certificate is in the audit trail with its code.
	waitAudit(t, r, `event = 'auth_failure' AND detail::text LIKE '%AUTH_CERT_UNKNOWN%'`)
}

// TestMTLSRequireClientCertificate: with client_auth require a client
// without a certificate fails the TLS handshake, and a partner with one is
// served; the tokens of users then come through a certificate too.
func TestMTLSRequireClientCertificate(t *testing.T) {
	p := newMTLSPKI(t)
	r := mtlsRegion(t, p, "require")
	r.client = p.client(p.ggz)
	h := r.start(t)
	if status, _, err := call(p.client(nil), h.base, "/v1/partners/ggz-oost/documents", r.keys["ggz-oost"]); err == nil {
		t.Fatalf("without a certificate: status %d; want a refused handshake", status)
	}
	if status, prob, err := call(p.client(p.ggz), h.base, "/v1/partners/ggz-oost/documents", ""); err != nil || status != 200 {
		t.Fatalf("with the partner's certificate: %d %+v %v", status, prob, err)
	}
	if status, prob, err := call(p.client(p.unknown), h.base, "/v1/registrations?purpose=aanmelding", h.reader); err != nil || status != 200 {
		t.Fatalf("a user's token through a certificate: %d %+v %v", status, prob, err)
	}
}

// TestMTLSAuthReload changes auth.yaml while the hub runs: a new API key
// and a new certificate mapping work within a few polls without a restart;
// a new partner's key works once its partner file is there; an auth.yaml
// with an error is refused with file:line (the keys in force keep working);
// a removed key stops working. Every attempt is in the audit trail.
func TestMTLSAuthReload(t *testing.T) {
	p := newMTLSPKI(t)
	r := mtlsRegion(t, p, "request")
	r.client = p.client(nil)
	h := r.start(t)
	authPath := filepath.Join(r.dir, "auth.yaml")
	original, err := os.ReadFile(authPath)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	wijkKey, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := call(h.httpClient(), h.base, "/v1/partners/ggz-oost/documents", "Bearer "+newKey.String()); status != 401 {
		t.Fatalf("the new key before the change: status %d, want 401", status)
	}
	// A new partner file, and at once its key and the others' changes in
	// auth.yaml: the key counts once the partner runs.
	mustWrite(t, filepath.Join(r.dir, "partners", "wijkteam-test.yaml"), []byte(strings.Replace(benchPartnerYAML, "id: bench", "id: wijkteam-test", 1)))
	changed := strings.Replace(string(original), "  ggz-oost:\n    certificates:\n      - subject_cn: ggz-oost.keten.test\n    api_keys:\n",
		"  ggz-oost:\n    certificates:\n      - subject_cn: ggz-oost.keten.test\n      - subject_cn: niemand.keten.test\n    api_keys:\n"+
			fmt.Sprintf("      - id: %s\n        sha256: %s\n", newKey.ID, newKey.Hash()), 1)
	changed = strings.Replace(changed, "\nclient_ca:", fmt.Sprintf("\n  wijkteam-test:\n    api_keys:\n      - id: %s\n        sha256: %s\nclient_ca:", wijkKey.ID, wijkKey.Hash()), 1)
	if changed == string(original) || !strings.Contains(changed, wijkKey.ID) || !strings.Contains(changed, newKey.ID) {
		t.Fatalf("the test's auth.yaml did not change as meant:\n%s", changed)
	}
	writeAtomically(t, authPath, []byte(changed))
	waitStatus(t, h, h.httpClient(), "/v1/partners/ggz-oost/documents", "Bearer "+newKey.String(), 200)
	waitStatus(t, h, h.httpClient(), "/v1/partners/wijkteam-test/documents", "Bearer "+wijkKey.String(), 200)
	waitStatus(t, h, p.client(p.unknown), "/v1/partners/ggz-oost/documents", "", 200)
	waitAudit(t, r, `event = 'config_change' AND source = 'auth watcher' AND outcome = 'success'`)

	// An error: refused with file:line, the keys in force keep working.
	broken := strings.Replace(changed, "id: "+newKey.ID, "id: kort", 1)
	writeAtomically(t, authPath, []byte(broken))
	_ = h.cmd.Process.Signal(syscall.SIGHUP)
	waitAudit(t, r, `event = 'config_change' AND source = 'auth watcher' AND outcome = 'failure'`)
	located := regexp.MustCompile(regexp.QuoteMeta(authPath) + `:\d+:\d+: partners\.ggz-oost\.api_keys\[0\]\.id: .*\[CONFIG_PATTERN\]`)
	if !located.MatchString(h.logs.String()) {
		t.Errorf("the refusal is not in the log as file:line:col: field: message [CODE]:\n%s", tail(h.logs.String(), 3000))
	}
	for _, key := range []string{"Bearer " + newKey.String(), r.keys["ggz-oost"]} {
		if status, prob, err := call(h.httpClient(), h.base, "/v1/partners/ggz-oost/documents", key); status != 200 {
			t.Errorf("a key in force after a refused auth.yaml: %d %+v %v", status, prob, err)
		}
	}

	// Revoked: the original file again, without the new key and mapping.
	writeAtomically(t, authPath, original)
	waitStatus(t, h, h.httpClient(), "/v1/partners/ggz-oost/documents", "Bearer "+newKey.String(), 401)
	if status, prob, _ := call(p.client(p.unknown), h.base, "/v1/partners/ggz-oost/documents", ""); status != 403 || !strings.Contains(prob.Detail, "AUTH_CERT_UNKNOWN") {
		t.Errorf("the removed certificate mapping: %d %+v", status, prob)
	}
}

// writeAtomically writes a file under a temporary name and renames it, as
// configuration tools do, so that the hub never reads half a file.
func writeAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	mustWrite(t, path+".tmp", data)
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// waitStatus calls path until it answers status.
func waitStatus(t *testing.T, h *hubProc, c *http.Client, path, authz string, status int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got int
	var prob problemBody
	var err error
	for time.Now().Before(deadline) {
		if got, prob, err = call(c, h.base, path, authz); got == status {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: status %d %+v %v; want %d\n%s", path, got, prob, err, status, tail(h.logs.String(), 3000))
}
