package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSDevCA writes a development CA into a folder and checks that the
// certificates chain to it for their use, that the keys are private, and
// that a second run does not overwrite the CA.
func TestTLSDevCA(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dev-ca")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"tls", "dev-ca", "--out", out, "--partners", "ggz-oost, opvang-zuid"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"ALLEEN VOOR TESTEN", "client_ca_file: " + filepath.Join(out, "ca.pem"), "- subject_cn: opvang-zuid", "curl --cacert"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	readCert := func(name string) *x509.Certificate {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM", name)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	roots := x509.NewCertPool()
	roots.AddCert(readCert("ca.pem"))
	if _, err := readCert("server.pem").Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
		t.Errorf("server certificate for localhost: %v", err)
	}
	client := readCert(filepath.Join("partners", "opvang-zuid.pem"))
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil || client.Subject.CommonName != "opvang-zuid" {
		t.Errorf("client certificate %q: %v", client.Subject.CommonName, err)
	}
	for _, key := range []string{"ca-key.pem", "server-key.pem", filepath.Join("partners", "ggz-oost-key.pem")} {
		info, err := os.Stat(filepath.Join(out, key))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", key, err, info.Mode().Perm())
		}
	}
	readme, err := os.ReadFile(filepath.Join(out, "LEES-MIJ.txt"))
	if err != nil || !strings.HasPrefix(string(readme), "ALLEEN VOOR TESTEN") {
		t.Errorf("LEES-MIJ.txt: %v %q", err, readme)
	}
	before, _ := os.ReadFile(filepath.Join(out, "ca.pem"))
	err = run(context.Background(), []string{"tls", "dev-ca", "--out", out, "--partners", "ggz-oost"}, &stdout, &stderr)
	after, _ := os.ReadFile(filepath.Join(out, "ca.pem"))
	if err == nil || !bytes.Equal(before, after) {
		t.Errorf("second run: %v; want a refusal that leaves the CA alone", err)
	}
}
