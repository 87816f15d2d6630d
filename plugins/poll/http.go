package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// client sends the requests of one configuration: its headers, credential
// and TLS settings, over one pool of connections.
type client struct {
	http *http.Client
	cfg  *Config
}

// newClient prepares the connections of c. It returns a *sdk.ConfigError
// for TLS files that cannot be read or used.
func newClient(c *Config) (*client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the adapter has no environment to take a proxy from
	if t := c.TLS; t != nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, mapping.ConfigErr("/tls/ca_file", "het bestand kan niet worden gelezen: %v", errors.Unwrap(err))
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, mapping.ConfigErr("/tls/ca_file", "het bestand bevat geen certificaten in PEM")
			}
		}
		if t.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
			if err != nil {
				return nil, mapping.ConfigErr("/tls/cert_file", "certificaat en sleutel zijn niet te gebruiken: %v", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		tr.TLSClientConfig = tc
	}
	return &client{http: &http.Client{Transport: tr}, cfg: c}, nil
}

// close releases the idle connections of a configuration that was replaced.
func (c *client) close() { c.http.CloseIdleConnections() }

// answer is what a webservice answered.
type answer struct {
	status      int
	body        []byte
	contentType string
	// date is the service's own time of the answer (the Date header); zero
	// when it sent none.
	date time.Time
}

// do sends req with the configured headers and credential and reads the
// whole answer, at most max_page_bytes. It returns a *sdk.PollError when
// the service cannot be reached, does not answer in time or answers with
// too much; the status is for the caller to judge.
func (c *client) do(ctx context.Context, req *http.Request) (*answer, error) {
	for name, v := range c.cfg.Headers {
		req.Header.Set(name, v)
	}
	if a := c.cfg.Auth; a != nil {
		v, err := a.value()
		if err != nil {
			return nil, &sdk.PollError{Code: sdk.CodePollAuth, Message: "het geheim voor de webservice is niet te lezen: " + err.Error()}
		}
		req.Header.Set(a.Header, v)
	}
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.cfg.MaxPageBytes)+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, timeoutError()
		}
		return nil, &sdk.PollError{Code: sdk.CodePollConnect, Message: "de verbinding met de webservice brak af tijdens het antwoord"}
	}
	if len(body) > c.cfg.MaxPageBytes {
		return nil, &sdk.PollError{Code: sdk.CodePollResponse,
			Message: fmt.Sprintf("het antwoord is groter dan max_page_bytes (%d bytes); verklein page_size of verhoog max_page_bytes", c.cfg.MaxPageBytes)}
	}
	a := &answer{status: resp.StatusCode, body: body, contentType: resp.Header.Get("Content-Type")}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		a.date = d
	}
	return a, nil
}

// value returns the header value of the credential.
func (a *Auth) value() (string, error) {
	secret := os.Getenv(a.SecretEnv)
	if a.SecretFile != "" {
		var err error
		if secret, err = readSecretFile(a.SecretFile); err != nil {
			return "", err
		}
	}
	switch *a.Scheme {
	case "":
		return secret, nil
	case "Basic":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(secret)), nil
	}
	return *a.Scheme + " " + secret, nil
}

// transportError describes a request that got no answer, for the ICT staff
// of hub and partner; it names the host, never the path or query.
func transportError(ctx context.Context, err error) *sdk.PollError {
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return timeoutError()
	}
	host := ""
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	msg := "de webservice (" + host + ") is niet bereikbaar"
	switch {
	case errors.As(err, &dnsErr):
		msg = "de naam van de webservice (" + host + ") is onbekend"
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		msg = "het TLS-certificaat van de webservice (" + host + ") wordt niet vertrouwd of hoort niet bij de naam; controleer tls.ca_file en tls.server_name"
	case errors.As(err, &recordErr):
		msg = "de webservice (" + host + ") spreekt geen TLS; controleer of het adres met http:// of https:// begint"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		msg = "geen verbinding met de webservice (" + host + "): " + opErr.Err.Error()
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		msg = "de webservice (" + host + ") weigert de TLS-verbinding (" + opErr.Err.Error() + "); controleer het clientcertificaat (tls.cert_file)"
	}
	return &sdk.PollError{Code: sdk.CodePollConnect, Message: msg}
}

func timeoutError() *sdk.PollError {
	return &sdk.PollError{Code: sdk.CodePollTimeout, Message: "de webservice antwoordde niet op tijd"}
}

// statusError describes an answer with an HTTP error status.
func statusError(status int) *sdk.PollError {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return &sdk.PollError{Code: sdk.CodePollAuth,
			Message: fmt.Sprintf("de webservice weigert de aanmelding van de hub (HTTP %d); controleer het geheim (auth) en het clientcertificaat", status)}
	}
	return &sdk.PollError{Code: sdk.CodePollHTTP, Message: fmt.Sprintf("de webservice antwoordt met HTTP %d %s", status, http.StatusText(status))}
}

// pageName names a stored page after the moment it was fetched.
func pageName(prefix, ext string) string {
	return prefix + "-" + time.Now().UTC().Format("20060102T150405.000Z") + ext
}
