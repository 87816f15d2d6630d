package adaptertest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/hub/pluginhost"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// StartBinary builds the adapter of the package under test (the current
// folder) and runs it the way the hub does: as a separate process over
// go-plugin, with its sha256 pinned, named name and with KETENHUB_PARTNER
// set to partner. It returns the hub's view of it, which is closed when the
// test ends. With -short it skips the test, since building takes a while.
func StartBinary(t *testing.T, name, partner string) sdk.Adapter {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the adapter binary")
	}
	bin := filepath.Join(t.TempDir(), "ketenhub-"+name)
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
	h, err := pluginhost.New(pluginhost.Spec{Name: name, Binary: bin, SHA256: hex.EncodeToString(sum[:])},
		pluginhost.Config{Env: []string{"KETENHUB_PARTNER=" + partner}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	if err := h.Start(t.Context()); err != nil {
		t.Fatalf("start adapter binary: %v", err)
	}
	return h
}
