package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

// TestThroughGRPC runs the adapter behind the real gRPC transport, as the hub
// sees it: Describe names the push capability, and every sample gives the
// chunks of a direct Decode.
func TestThroughGRPC(t *testing.T) {
	ctx := context.Background()
	hub := sdk.TestClient(t, newAdapter())
	d, err := hub.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != adapterName || !slices.Contains(d.Capabilities, sdk.CapabilityPush) || !bytes.Equal(d.ConfigSchema, configSchemaJSON) {
		t.Errorf("Describe over gRPC = %s %q, schema equal %v", d.Name, d.Capabilities, bytes.Equal(d.ConfigSchema, configSchemaJSON))
	}
	if err := hub.Configure(ctx, testPartner, exampleConfig(t)); err != nil {
		t.Fatal(err)
	}
	direct := mustAdapter(t, exampleConfig(t))
	for _, name := range []string{"schuldhulp.json", "schuldhulp.ndjson", "broken-schuldhulp.json"} {
		t.Run(name, func(t *testing.T) {
			data := readSample(t, name)
			doc := testDoc
			doc.OriginalName = name
			viaHub := &sdktest.Recorder{}
			if err := hub.Decode(ctx, doc, bytes.NewReader(data), viaHub); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(decode(t, direct, name, data).Chunks())
			got, _ := json.Marshal(viaHub.Chunks())
			if !bytes.Equal(got, want) {
				t.Error("chunks over gRPC differ from a direct Decode")
			}
		})
	}
}
