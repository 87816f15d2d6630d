package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/tlsserver"
)

// listenAPI opens the API's listener: HTTPS when ketenhub.yaml has tls
// (the returned server holds its certificates), plain HTTP otherwise, with
// a warning when that address is reachable from the network. It returns
// the URL scheme to show.
func listenAPI(cfg *config.Config, log *slog.Logger) (net.Listener, *tlsserver.Server, string, error) {
	var srv *tlsserver.Server
	if cfg.TLS != nil {
		var err error
		srv, err = tlsserver.New(*cfg.TLS, tlsserver.Options{Logger: log})
		if err != nil {
			return nil, nil, "", err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, "", fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if srv == nil {
		if !tlsserver.IsLoopback(cfg.Listen) {
			log.Warn("the API listens in plain HTTP on an address other machines can reach: tokens, API keys and client data "+
				"travel unencrypted; configure tls in ketenhub.yaml (docs/authentication.md)", "listen", cfg.Listen)
		}
		return ln, nil, "http", nil
	}
	log.Info("the API listens with TLS", "listen", ln.Addr().String(), "client_auth", cfg.TLS.ClientAuth,
		"client_ca", cfg.TLS.ClientCAFile != "", "certificate", srv.Fingerprint())
	return tls.NewListener(ln, srv.Config()), srv, "https", nil
}

// watchTLS reads the TLS files again when they change (every few seconds,
// and at SIGHUP) and logs every new content in the audit trail; a broken
// content keeps the certificate in force. It returns at once without TLS.
func (n *node) watchTLS(ctx context.Context) {
	if n.tls == nil {
		return
	}
	previous := n.tls.Revision()
	n.tls.Watch(ctx, tlsserver.WatchOptions{Trigger: hupTrigger(ctx), OnReload: func(ctx context.Context, revision string, err error) {
		tried := revision
		if err != nil {
			tried = ""
		}
		n.auditReload(ctx, "tls watcher", "tls", tried, previous, err)
		previous = n.tls.Revision()
	}})
}
