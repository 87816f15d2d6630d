package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the hub and the csv adapter once per test run.
func binaries(t *testing.T) (hubBin, csvBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ketenhub-e2e-bin-")
		if buildErr != nil {
			return
		}
		for pkg, out := range map[string]string{"./cmd/ketenhub": "ketenhub", "./plugins/csv": "plugins/ketenhub-csv"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, out), pkg)
			cmd.Dir = repoRoot()
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "ketenhub"), filepath.Join(binDir, "plugins", "ketenhub-csv")
}

var (
	pluginsMu    sync.Mutex
	pluginBuilds = map[string]*pluginBuild{}
)

// pluginBuild is one adapter binary built for the test run.
type pluginBuild struct {
	once sync.Once
	path string
	err  error
}

// pluginBinary builds the adapter plugins/<name> once per test run, next to
// the binaries of binaries(), and returns its path.
func pluginBinary(t *testing.T, name string) string {
	t.Helper()
	binaries(t)
	pluginsMu.Lock()
	b, ok := pluginBuilds[name]
	if !ok {
		b = &pluginBuild{path: filepath.Join(binDir, "plugins", "ketenhub-"+name)}
		pluginBuilds[name] = b
	}
	pluginsMu.Unlock()
	b.once.Do(func() {
		cmd := exec.Command("go", "build", "-o", b.path, "./plugins/"+name)
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build ./plugins/%s: %v\n%s", name, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

// region is a hub configuration in a temporary folder: the example region's
// partner files and roles.yaml (with the test role e2e-lezer), an auth.yaml
// with an HMAC key for users and an API key per example partner, with fast
// drop-folder timings.
type region struct {
	dir    string
	config string
	dbURL  string
	// keys are the example partners' API keys ("Bearer khp_...").
	keys map[string]string
	// client, when set, is the HTTP client of the hubs started from the
	// region (a TLS client); nil means http.DefaultClient.
	client *http.Client
}

// e2eJWTSecret is the HMAC secret of users' tokens in the tests' regions.
const e2eJWTSecret = "end-to-end-geheim-van-minstens-32-bytes"

// e2eRole is a role only the end-to-end tests have: it reads every client
// for the purpose aanmelding (identity and chain data, no consent needed),
// so that the tests of ingest and client recognition can see everything.
const e2eRole = `
  e2e-lezer:
    description: Alleen voor de end-to-end-tests; leest alle cliënten voor de aanmelding.
    classes: [identity, chain]
    scope: all
    purposes: [aanmelding]
    operations: [read_feed, lookup, review_matches]
`

func newRegion(t *testing.T, extraPartners map[string]string) *region {
	t.Helper()
	_, csvBin := binaries(t)
	dir := t.TempDir()
	parts := filepath.Join(dir, "partners")
	if err := os.MkdirAll(parts, 0o750); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(repoRoot(), "config", "partners")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(parts, e.Name()), b)
	}
	for name, body := range extraPartners {
		mustWrite(t, filepath.Join(parts, name+".yaml"), []byte(body))
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: data
partners_dir: partners
adapters:
  csv:
    binary: %q
ingest:
  scan_interval: 100ms
  stable_after: 300ms
pipeline:
  retry_max: 8
  retry_initial_interval: 200ms
`, csvBin)
	mustWrite(t, filepath.Join(dir, "ketenhub.yaml"), []byte(cfg))
	roles, err := os.ReadFile(filepath.Join(repoRoot(), "config", "roles.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	withTestRole := strings.Replace(string(roles), "\npartners:\n", e2eRole+"\npartners:\n", 1)
	if withTestRole == string(roles) {
		t.Fatal("config/roles.yaml has no partners: section to put the test role before")
	}
	mustWrite(t, filepath.Join(dir, "roles.yaml"), []byte(withTestRole))
	r := &region{dir: dir, config: filepath.Join(dir, "ketenhub.yaml"), dbURL: pgtest.NewDatabase(t), keys: map[string]string{}}
	authYAML := "users:\n  audience: ketenhub\n  keys:\n    - id: e2e\n      alg: HS256\n      secret_env: " + EnvJWTSecret + "\npartners:\n"
	for _, p := range []string{"gemeente-szw", "ggz-oost", "opvang-zuid"} {
		k, err := auth.NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		r.keys[p] = "Bearer " + k.String()
		authYAML += fmt.Sprintf("  %s:\n    api_keys:\n      - id: %s\n        sha256: %s\n", p, k.ID, k.Hash())
	}
	mustWrite(t, filepath.Join(dir, "auth.yaml"), []byte(authYAML))
	return r
}

// addAdapter puts an adapter into the region's catalog. Call it before
// start.
func (r *region) addAdapter(t *testing.T, name, binary string) {
	t.Helper()
	r.edit(t, "ketenhub.yaml", "adapters:\n", fmt.Sprintf("adapters:\n  %s:\n    binary: %q\n", name, binary))
}

// setIngest sets an ingest setting of the hub file. Call it before start.
func (r *region) setIngest(t *testing.T, key, value string) {
	t.Helper()
	r.edit(t, "ketenhub.yaml", "ingest:\n", "ingest:\n  "+key+": "+value+"\n")
}

// addPartnerSystem gives a partner added with newRegion's extraPartners an
// API key (in keys) and its role in roles.yaml. Call it before start.
func (r *region) addPartnerSystem(t *testing.T, partner, role string) {
	t.Helper()
	k, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	r.keys[partner] = "Bearer " + k.String()
	r.edit(t, "auth.yaml", "\npartners:\n", fmt.Sprintf("\npartners:\n  %s:\n    api_keys:\n      - id: %s\n        sha256: %s\n", partner, k.ID, k.Hash()))
	r.edit(t, "roles.yaml", "\npartners:\n", fmt.Sprintf("\npartners:\n  %s: %s\n", partner, role))
}

// edit replaces the first old in the region's file name by new.
func (r *region) edit(t *testing.T, name, old, new string) {
	t.Helper()
	path := filepath.Join(r.dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", name, old)
	}
	mustWrite(t, path, []byte(strings.Replace(string(b), old, new, 1)))
}

// env is the environment of the region's commands.
func (r *region) env() []string {
	return append(os.Environ(), EnvDatabaseURL+"="+r.dbURL, EnvAPIToken+"=e2e-test-token-0123456789abcdef",
		EnvJWTSecret+"="+e2eJWTSecret, "KETENHUB_LOG_LEVEL=debug")
}

// token mints a user's token with the built `ketenhub token` and returns
// the Authorization header.
func (r *region) token(t *testing.T, user, org, role string) string {
	t.Helper()
	hubBin, _ := binaries(t)
	cmd := exec.Command(hubBin, "token", "--config", r.config, "--user", user, "--org", org, "--role", role, "--ttl", "1h")
	cmd.Env = r.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ketenhub token: %v\n%s", err, stderr.String())
	}
	return "Bearer " + strings.TrimSpace(string(out))
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func (r *region) dropDir(partner string) string { return filepath.Join(r.dir, "data", "drop", partner) }

// drop writes a file into a partner's drop folder the way a partner would:
// under a temporary name, then renamed.
func (r *region) drop(t *testing.T, partner, name string, data []byte) {
	t.Helper()
	dir := r.dropDir(partner)
	mustWrite(t, filepath.Join(dir, "."+name+".part"), data)
	if err := os.Rename(filepath.Join(dir, "."+name+".part"), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// hubProc is a running `ketenhub serve`.
type hubProc struct {
	cmd  *exec.Cmd
	base string
	// token is the operator token (documents, replays); reader a user in
	// the test role e2e-lezer (the feed, clients, reviews).
	token  string
	reader string
	logs   *lockedBuffer
	done   chan struct{}
	client *http.Client
}

// httpClient is the client that reaches the hub.
func (h *hubProc) httpClient() *http.Client {
	if h.client != nil {
		return h.client
	}
	return http.DefaultClient
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenLine = regexp.MustCompile(`luistert op (https?://[0-9.:]+)`)

func (r *region) start(t *testing.T) *hubProc {
	t.Helper()
	hubBin, _ := binaries(t)
	cmd := exec.Command(hubBin, "serve", "--config", r.config)
	cmd.Env = r.env()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &hubProc{cmd: cmd, token: "e2e-test-token-0123456789abcdef", reader: r.token(t, "u-e2e", "gemeente-szw", "e2e-lezer"),
		logs: &lockedBuffer{}, done: make(chan struct{}), client: r.client}
	cmd.Stderr = h.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(h.done) }()
	t.Cleanup(func() { h.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case h.base = <-found:
	case <-h.done:
		t.Fatalf("hub exited at start:\n%s", h.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("hub did not start:\n%s", h.logs.String())
	}
	h.waitReady(t)
	return h
}

func (h *hubProc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := h.httpClient().Get(h.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("hub not ready:\n%s", h.logs.String())
}

// stop ends the hub with SIGTERM (a no-op when it already exited).
func (h *hubProc) stop(t *testing.T) {
	select {
	case <-h.done:
		return
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}

// kill ends the hub with SIGKILL, as a crash would.
func (h *hubProc) kill(t *testing.T) {
	t.Helper()
	_ = h.cmd.Process.Kill()
	<-h.done
}

// getJSON GETs path with the operator token and decodes the JSON answer.
func (h *hubProc) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	return h.getJSONAs(t, "Bearer "+h.token, path, v)
}

// getJSONAs GETs path with the Authorization header authz and decodes a 200
// answer into v. It returns the status.
func (h *hubProc) getJSONAs(t *testing.T, authz, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", h.base+path, nil)
	req.Header.Set("Authorization", authz)
	resp, err := h.httpClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode
}

// postJSON posts body as JSON to path with the Authorization header authz
// and decodes a 2xx answer into v. It returns the status.
func (h *hubProc) postJSON(t *testing.T, authz, path string, body, v any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.httpClient().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, out)
		}
	}
	return resp.StatusCode
}

// feedItem is the part of a feed item the tests look at.
type feedItem struct {
	Partner      string          `json:"partner"`
	RecordKey    string          `json:"record_key"`
	ClientID     string          `json:"client_id"`
	Status       string          `json:"status"`
	Registration json.RawMessage `json:"registration"`
}

// feed reads the whole feed, page by page, as the test role e2e-lezer.
func (h *hubProc) feed(t *testing.T) []feedItem {
	t.Helper()
	return h.feedAs(t, h.reader, "aanmelding")
}

// feedAs reads the whole feed as authz for purpose: until next_cursor stays
// the same (a page may be short or empty where registrations are left out).
func (h *hubProc) feedAs(t *testing.T, authz, purpose string) []feedItem {
	t.Helper()
	var all []feedItem
	cursor := ""
	for {
		var page struct {
			Items      []feedItem `json:"items"`
			NextCursor string     `json:"next_cursor"`
		}
		if code := h.getJSONAs(t, authz, "/v1/registrations?limit=250&purpose="+purpose+"&after="+cursor, &page); code != 200 {
			t.Fatalf("feed: status %d", code)
		}
		all = append(all, page.Items...)
		if page.NextCursor == cursor {
			return all
		}
		cursor = page.NextCursor
	}
}

type receipt struct {
	DocumentID string `json:"document_id"`
	Status     string `json:"status"`
	Counts     struct {
		Records, Inserted, Updated, Unchanged, Deleted, Ended, Rejected int64
	} `json:"counts"`
	Errors   []receiptIssue `json:"errors"`
	Warnings []receiptIssue `json:"warnings"`
}

type receiptIssue struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// waitReceipt waits until a receipt file for the dropped file name appears
// in the partner's receipts folder, and returns it.
func (r *region) waitReceipt(t *testing.T, h *hubProc, partner, name string, timeout time.Duration) receipt {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(r.dropDir(partner), "receipts", name+".*.receipt.json"))
		if len(matches) > 0 {
			b, err := os.ReadFile(matches[len(matches)-1])
			if err == nil {
				var rc receipt
				if err := json.Unmarshal(b, &rc); err != nil {
					t.Fatalf("receipt %s: %v", matches[0], err)
				}
				return rc
			}
		}
		select {
		case <-h.done:
			t.Fatalf("hub exited while waiting for the receipt of %s:\n%s", name, h.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("no receipt for %s/%s after %s:\n%s", partner, name, timeout, tail(h.logs.String(), 4000))
	return receipt{}
}

// waitDocument polls the API until a document is finished, and returns its receipt.
func (h *hubProc) waitDocument(t *testing.T, id string, timeout time.Duration) receipt {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var doc struct {
			Status  string   `json:"status"`
			Receipt *receipt `json:"receipt"`
		}
		if code := h.getJSON(t, "/v1/documents/"+id, &doc); code == 200 && doc.Receipt != nil && (doc.Status == "done" || doc.Status == "failed") {
			return *doc.Receipt
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("document %s not finished after %s:\n%s", id, timeout, tail(h.logs.String(), 3000))
	return receipt{}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func waitCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
