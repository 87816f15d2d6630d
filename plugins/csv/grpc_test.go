package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// TestThroughGRPC runs the adapter behind the real gRPC transport, as the hub
// sees it, and checks that it gives the same chunks as a direct call.
func TestThroughGRPC(t *testing.T) {
	ctx := context.Background()
	hub := sdk.TestClient(t, newAdapter())

	d, err := hub.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Name != adapterName || !bytes.Equal(d.ConfigSchema, configSchemaJSON) {
		t.Errorf("Describe over gRPC = %s %s, schema equal %v", d.Name, d.Version, bytes.Equal(d.ConfigSchema, configSchemaJSON))
	}

	t.Run("ErrConfig", func(t *testing.T) {
		err := hub.Configure(ctx, "ggz-oost", []byte(`{"columns": {"nr": "client.nonsense"}}`))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Field != "/columns/nr" || ce.Message == "" {
			t.Errorf("Configure over gRPC = %v, want a *sdk.ConfigError for /columns/nr", err)
		}
	})

	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			cfg := partnerConfig(t, gc.partner)
			if err := hub.Configure(ctx, gc.partner, cfg); err != nil {
				t.Fatalf("Configure over gRPC: %v", err)
			}
			data, err := os.ReadFile(filepath.Join("testdata", gc.name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			remote := &chunkRecorder{}
			if err := hub.Decode(ctx, testDoc, bytes.NewReader(data), remote); err != nil {
				t.Fatalf("Decode over gRPC: %v", err)
			}
			direct := decodeString(t, mustAdapter(t, gc.partner, string(cfg)), string(data))
			checkRecords(t, remote.records())
			a, _ := json.Marshal(remote.chunks)
			b, _ := json.Marshal(direct.chunks)
			if !bytes.Equal(a, b) {
				t.Errorf("chunks over gRPC differ from a direct Decode")
			}
		})
	}
}
