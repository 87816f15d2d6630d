package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/devca"
)

// cmdTLS runs the tls subcommands: dev-ca.
func cmdTLS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "dev-ca" {
		fmt.Fprintln(stderr, "Usage: ketenhub tls dev-ca [--out var/dev-ca] [--partners a,b] [--config config/ketenhub.yaml]")
		return usageError{"tls: expected dev-ca"}
	}
	return cmdTLSDevCA(ctx, args[1:], stdout, stderr)
}

// devCAReadme is put in the folder dev-ca writes.
const devCAReadme = `ALLEEN VOOR TESTEN EN ONTWIKKELEN

Deze map is gemaakt door 'ketenhub tls dev-ca'. Hij bevat een CA die nergens
vertrouwd wordt, een servercertificaat voor localhost en per partner een
clientcertificaat, met onversleutelde sleutels. Gebruik ze nooit in productie:
daar komen certificaten van de CA van de organisatie of van een erkende CA.

  ca.pem, ca-key.pem            de ontwikkel-CA (met deze sleutel kunt u meer certificaten maken)
  server.pem, server-key.pem    het servercertificaat van de hub (localhost, 127.0.0.1, ::1)
  partners/<id>.pem, <id>-key.pem   het clientcertificaat van partner <id> (CN = <id>)

Zie docs/authentication.md, "TLS en clientcertificaten".
`

// cmdTLSDevCA writes a development CA, a server certificate for localhost
// and a client certificate per partner into a folder, and prints what to put
// in ketenhub.yaml and auth.yaml to try mTLS.
func cmdTLSDevCA(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tls dev-ca", stderr)
	out := fs.String("out", "var/dev-ca", "folder to write the CA and certificates into (must not hold a CA yet)")
	partnerList := fs.String("partners", "", "comma-separated partner ids (default: the partner files of --config)")
	path := fs.String("config", DefaultConfig, "hub configuration file, for the partner ids")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	partners, err := devCAPartners(*partnerList, *path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*out, "ca.pem")); err == nil {
		return fmt.Errorf("%s bevat al een CA (ca.pem); kies een andere map met --out of verwijder hem eerst", *out)
	}
	ca, err := devca.NewCA(devca.Options{CommonName: "Ketenhub ontwikkel-CA"})
	if err != nil {
		return err
	}
	caKey, err := devca.KeyPEM(ca.Key)
	if err != nil {
		return err
	}
	server, err := ca.Server(devca.Options{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}})
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"LEES-MIJ.txt":   []byte(devCAReadme),
		"ca.pem":         ca.CertPEM(),
		"ca-key.pem":     caKey,
		"server.pem":     server.CertPEM,
		"server-key.pem": server.KeyPEM,
	}
	for _, id := range partners {
		c, err := ca.Client(devca.Options{CommonName: id})
		if err != nil {
			return err
		}
		files[filepath.Join("partners", id+".pem")] = c.CertPEM
		files[filepath.Join("partners", id+"-key.pem")] = c.KeyPEM
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(*out, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "-key.pem") {
			mode = 0o600
		}
		if err := os.WriteFile(p, files[name], mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	printDevCAUsage(stdout, *out, *path, partners)
	return nil
}

// devCAPartners returns the partner ids from --partners, or else the names
// of the partner files of the hub configuration.
func devCAPartners(list, hubFile string) ([]string, error) {
	if list != "" {
		var ids []string
		for id := range strings.SplitSeq(list, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		return ids, nil
	}
	cfg, err := config.LoadHub(hubFile)
	if err != nil {
		return nil, fmt.Errorf("partners from %s (or give --partners): %w", hubFile, err)
	}
	entries, err := os.ReadDir(cfg.PartnersDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read partner files: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if name := e.Name(); e.Type().IsRegular() && !strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".yaml") {
			ids = append(ids, strings.TrimSuffix(name, ".yaml"))
		}
	}
	return ids, nil
}

// printDevCAUsage tells what to put in ketenhub.yaml and auth.yaml, with
// paths relative to the configuration's folder (absolute when out is).
func printDevCAUsage(w io.Writer, out, hubFile string, partners []string) {
	rel := func(name string) string {
		p := filepath.Join(out, name)
		if filepath.IsAbs(p) {
			return p
		}
		abs, err1 := filepath.Abs(p)
		cfgDir, err2 := filepath.Abs(filepath.Dir(hubFile))
		if err1 != nil || err2 != nil {
			return p
		}
		if r, err := filepath.Rel(cfgDir, abs); err == nil {
			return r
		}
		return abs
	}
	fmt.Fprintf(w, "Ontwikkel-CA en certificaten geschreven in %s (ALLEEN VOOR TESTEN, zie LEES-MIJ.txt).\n\n", out)
	fmt.Fprintf(w, "In %s:\n\n", hubFile)
	fmt.Fprintf(w, "tls:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n  client_auth: request\n\n",
		rel("server.pem"), rel("server-key.pem"), rel("ca.pem"))
	fmt.Fprintf(w, "In auth.yaml (naast de API-sleutels die er al staan):\n\nclient_ca: %s\npartners:\n", rel("ca.pem"))
	for _, id := range partners {
		fmt.Fprintf(w, "  %s:\n    certificates:\n      - subject_cn: %s\n", id, id)
	}
	if len(partners) > 0 {
		id := partners[0]
		fmt.Fprintf(w, "\nDan, met de hub gestart:\n\ncurl --cacert %s --cert %s --key %s \\\n  https://localhost:8080/v1/partners/%s/documents\n",
			filepath.Join(out, "ca.pem"), filepath.Join(out, "partners", id+".pem"), filepath.Join(out, "partners", id+"-key.pem"), id)
	}
}
