package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// TestThroughGRPC runs the adapter behind the real gRPC transport, as the hub
// sees it, and checks that it gives the same chunks as a direct call.
func TestThroughGRPC(t *testing.T) {
	hub := sdk.TestClient(t, newAdapter())
	compareWithDirect(t, hub)
}

// TestBuiltBinary builds the adapter binary and runs it the way the hub
// does: as a separate process over go-plugin, with its sha256 pinned.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the adapter binary")
	}
	bin := filepath.Join(t.TempDir(), "ketenhub-iwmo")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	h, err := pluginhost.New(pluginhost.Spec{Name: adapterName, Binary: bin, SHA256: hex.EncodeToString(sum[:])},
		pluginhost.Config{Env: []string{"KETENHUB_PARTNER=" + testPartner}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	if err := h.Start(t.Context()); err != nil {
		t.Fatalf("start adapter binary: %v", err)
	}
	compareWithDirect(t, h)
}

// compareWithDirect checks Describe and Configure of hub, the adapter behind
// a transport, and that it decodes every golden sample into the chunks of a
// direct Decode.
func compareWithDirect(t *testing.T, hub sdk.Adapter) {
	ctx := context.Background()
	d, err := hub.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Name != adapterName || !bytes.Equal(d.ConfigSchema, configSchemaJSON) {
		t.Errorf("Describe = %s %s, schema equal %v", d.Name, d.Version, bytes.Equal(d.ConfigSchema, configSchemaJSON))
	}
	t.Run("ErrConfig", func(t *testing.T) {
		err := hub.Configure(ctx, testPartner, []byte(`{"role": "gemeente", "codes": ["98025566"]}`))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Field != "/codes/0" || ce.Message == "" {
			t.Errorf("Configure = %v, want a *sdk.ConfigError for /codes/0", err)
		}
	})
	for _, gc := range goldenCases {
		t.Run(gc.sample, func(t *testing.T) {
			cfg := readConfig(t, gc.config)
			if err := hub.Configure(ctx, testPartner, cfg); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			data := readSample(t, gc.sample)
			remote := &chunkRecorder{}
			if err := hub.Decode(ctx, testDoc, bytes.NewReader(data), remote); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			direct := decodeString(t, mustAdapter(t, string(cfg)), string(data))
			checkRecords(t, remote.records())
			a, _ := json.Marshal(remote.chunks)
			b, _ := json.Marshal(direct.chunks)
			if !bytes.Equal(a, b) {
				t.Errorf("chunks through the transport differ from a direct Decode")
			}
		})
	}
}
