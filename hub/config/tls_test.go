package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/devca"
)

// tlsFolder writes a hub file with the given tls section, an empty
// partners folder, a server certificate and key (tls/server.pem,
// tls/server-key.pem), the key of another certificate (tls/other-key.pem)
// and a CA file (tls/ca.pem).
func tlsFolder(t *testing.T, section string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "partners"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tls"), 0o755); err != nil {
		t.Fatal(err)
	}
	ca, err := devca.NewCA(devca.Options{CommonName: "test-ca"})
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Server(devca.Options{CommonName: "localhost", DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Client(devca.Options{CommonName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "tls", "server.pem"), string(server.CertPEM))
	write(t, filepath.Join(dir, "tls", "server-key.pem"), string(server.KeyPEM))
	write(t, filepath.Join(dir, "tls", "other-key.pem"), string(other.KeyPEM))
	write(t, filepath.Join(dir, "tls", "ca.pem"), string(ca.CertPEM()))
	write(t, filepath.Join(dir, "ketenhub.yaml"), section)
	return filepath.Join(dir, "ketenhub.yaml")
}

func TestLoadTLS(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := tlsFolder(t, "tls:\n  cert_file: tls/server.pem\n  key_file: tls/server-key.pem\n  client_ca_file: tls/ca.pem\n  client_auth: require\n")
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(path)
		want := config.TLS{CertFile: filepath.Join(dir, "tls", "server.pem"), KeyFile: filepath.Join(dir, "tls", "server-key.pem"),
			ClientCAFile: filepath.Join(dir, "tls", "ca.pem"), ClientAuth: config.ClientAuthRequire}
		if cfg.TLS == nil || *cfg.TLS != want {
			t.Errorf("TLS = %+v, want %+v", cfg.TLS, want)
		}
	})
	t.Run("OKDefaultRequest", func(t *testing.T) {
		path := tlsFolder(t, "tls:\n  cert_file: tls/server.pem\n  key_file: tls/server-key.pem\n")
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TLS == nil || cfg.TLS.ClientAuth != config.ClientAuthRequest || cfg.TLS.ClientCAFile != "" {
			t.Errorf("TLS = %+v, want client_auth request without a CA", cfg.TLS)
		}
	})
	t.Run("OKNoTLS", func(t *testing.T) {
		cfg, err := config.Load(tlsFolder(t, "listen: 127.0.0.1:8080\n"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TLS != nil {
			t.Errorf("TLS = %+v, want nil (plain HTTP)", cfg.TLS)
		}
	})
	for _, tt := range []struct {
		name, section, want string
	}{
		{"ErrCertMissing", "tls:\n  cert_file: tls/nope.pem\n  key_file: tls/server-key.pem\n",
			":2:14: tls.cert_file: het certificaat kan niet worden gelezen: bestaat niet [CONFIG_FILE]"},
		{"ErrKeyMissing", "tls:\n  cert_file: tls/server.pem\n  key_file: tls/nope.pem\n",
			":3:13: tls.key_file: de sleutel kan niet worden gelezen: bestaat niet [CONFIG_FILE]"},
		{"ErrCertNotPEM", "tls:\n  cert_file: ketenhub.yaml\n  key_file: tls/server-key.pem\n",
			":2:14: tls.cert_file: geen certificaat in PEM (-----BEGIN CERTIFICATE-----) [CONFIG_FILE]"},
		{"ErrKeyOfOtherCert", "tls:\n  cert_file: tls/server.pem\n  key_file: tls/other-key.pem\n",
			":3:13: tls.key_file: de sleutel hoort niet bij het certificaat, of is geen privésleutel in PEM [CONFIG_FILE]"},
		{"ErrClientCANoCerts", "tls:\n  cert_file: tls/server.pem\n  key_file: tls/server-key.pem\n  client_ca_file: tls/server-key.pem\n",
			":4:19: tls.client_ca_file: het CA-bestand bevat geen certificaten in PEM (-----BEGIN CERTIFICATE-----) [CONFIG_FILE]"},
		{"ErrClientCAMissing", "tls:\n  cert_file: tls/server.pem\n  key_file: tls/server-key.pem\n  client_ca_file: ca/none.pem\n",
			":4:19: tls.client_ca_file: het CA-bestand kan niet worden gelezen: bestaat niet [CONFIG_FILE]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tlsFolder(t, tt.section)
			_, err := config.Load(path)
			wantProblems(t, err, path+tt.want)
		})
	}
}
