package sdk

import (
	"testing"

	"github.com/hashicorp/go-plugin"
)

// TestClient serves a in-process over a real gRPC connection and returns
// the hub's view of it, so that adapter tests go through the same protocol,
// conversions and streaming as production without building a binary. The
// returned Adapter also implements Encoder and Poller (see them for an
// adapter that does not). The connection is closed when the test ends. It fails the test when the
// connection cannot be set up.
func TestClient(t testing.TB, a Adapter) Adapter {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		PluginName: &GRPCPlugin{Impl: a},
	})
	// Closing the client also stops the server, through go-plugin's
	// controller; stopping it here as well would race.
	t.Cleanup(func() { _ = client.Close() })
	hub, err := dispense(client)
	if err != nil {
		t.Fatalf("sdk.TestClient: %v", err)
	}
	return hub
}
