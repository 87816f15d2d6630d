package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	adapterpb "github.com/ketenhub/ketenhub/plugins/sdk/proto"
)

// ProtocolVersion is the version of the adapter protocol. The hub refuses
// adapters built against another version.
const ProtocolVersion = 1

// PluginName is the name under which an adapter plugin serves the Adapter
// interface in the go-plugin plugin map.
const PluginName = "adapter"

// Handshake is the go-plugin handshake between the hub and an adapter. The
// cookie only keeps people from running an adapter binary by hand; trust in
// a binary comes from its pinned sha256 (go-plugin's SecureConfig).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "KETENHUB_ADAPTER_PLUGIN",
	MagicCookieValue: "4f1c2a7e9d3b4c8a-ketenhub-adapter-v1",
}

// PluginMap is the plugin map the hub hands to go-plugin to dispense an
// Adapter. It must not be modified.
var PluginMap = map[string]plugin.Plugin{
	PluginName: &GRPCPlugin{},
}

// ErrUnavailable is wrapped by the errors of a hub-side Adapter when the
// adapter process cannot be reached: it died, or the connection broke. Such
// an error is transient; the call can be retried once the adapter has been
// restarted.
var ErrUnavailable = errors.New("adapter unavailable")

// GRPCPlugin is the go-plugin glue of the adapter protocol. In an adapter
// process Impl is the adapter that is served; on the hub side Impl is nil
// and GRPCClient returns an Adapter that talks to the process.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Adapter
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers Impl with the adapter process's gRPC server, and its
// Encoder and Poller services when Impl implements Encoder and Poller. It
// returns an error when Impl is nil.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("serve adapter: no implementation")
	}
	adapterpb.RegisterAdapterServer(s, &grpcServer{impl: p.Impl})
	if e, ok := p.Impl.(Encoder); ok {
		adapterpb.RegisterEncoderServer(s, &encoderServer{impl: e})
	}
	if pl, ok := p.Impl.(Poller); ok {
		adapterpb.RegisterPollerServer(s, &pollerServer{impl: pl})
	}
	return nil
}

// GRPCClient returns the hub-side Adapter that calls the adapter process
// over conn; it implements Encoder and Poller too. It never fails.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return withPoller(withEncoder(&grpcClient{client: adapterpb.NewAdapterClient(conn)}, conn), conn), nil
}

// Serve runs a as an adapter plugin and returns when the hub ends the
// process. It is the whole of an adapter's main:
//
//	func main() { sdk.Serve(newAdapter()) }
//
// The adapter's own logs belong on stderr; stdout is reserved for go-plugin.
// Run by hand instead of by the hub, Serve prints a notice and exits with
// status 1.
func Serve(a Adapter) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: a}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       PluginName,
			Level:      hclog.Warn,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
}

// dispense turns a go-plugin client protocol into an Adapter.
func dispense(c plugin.ClientProtocol) (Adapter, error) {
	raw, err := c.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense %q: %w", PluginName, err)
	}
	a, ok := raw.(Adapter)
	if !ok {
		return nil, fmt.Errorf("dispense %q: got %T, want sdk.Adapter", PluginName, raw)
	}
	return a, nil
}

// Dispense returns the Adapter served by the process behind a started
// go-plugin client, which must have been created with Handshake and
// PluginMap. It returns an error when the connection fails or the process
// does not serve an adapter.
func Dispense(c *plugin.Client) (Adapter, error) {
	proto, err := c.Client()
	if err != nil {
		return nil, fmt.Errorf("connect to adapter: %w", err)
	}
	return dispense(proto)
}
