package policy_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenhub/ketenhub/hub/config"
	"github.com/ketenhub/ketenhub/hub/consent"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
	"github.com/ketenhub/ketenhub/hub/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roles.yaml")
	good, err := os.ReadFile("testdata/roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(data []byte) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	e := policy.NewEngine(nil, &fakeConsents{}, policy.EngineOptions{Partners: partners,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	write(good)
	if err := e.Reload(path); err != nil {
		t.Fatal(err)
	}
	first := e.Policy()
	if first == nil || first.Revision == "" {
		t.Fatal("no policy after a good reload")
	}

	// A broken file keeps the policy in force and says where it is broken.
	write(bytes.Replace(good, []byte("operations: [operate_hub]"), []byte("operations: [operate_hub, lookup]"), 1))
	err = e.Reload(path)
	var problems config.Errors
	if !errors.As(err, &problems) || len(problems) == 0 || !strings.Contains(err.Error(), path+":") ||
		problems[0].Code != policy.CodeConflict {
		t.Fatalf("reload of a broken file: %v", err)
	}
	if e.Policy() != first {
		t.Error("a broken file replaced the policy in force")
	}
	if !strings.Contains(logs.String(), "roles not reloaded") {
		t.Errorf("the failed reload was not logged: %s", logs.String())
	}

	// A good change takes effect for the next decision.
	write(bytes.Replace(good, []byte("    operations: [read_audit]"), []byte("    operations: [read_audit, read_stats]"), 1))
	if err := e.Reload(path); err != nil {
		t.Fatal(err)
	}
	if e.Policy() == first || e.Policy().Revision == first.Revision {
		t.Error("the policy was not swapped")
	}
	d, err := e.Decide(context.Background(), policy.Request{
		Subject: policy.Subject{Kind: policy.User, ID: "u5", Organisation: "gemeente-szw", Role: "privacy-officer"},
		Purpose: "verantwoording", Operation: policy.ReadStats})
	if err != nil || !d.Allowed || d.PolicyRevision != e.Policy().Revision {
		t.Errorf("decision after reload: %+v, %v", d, err)
	}
	if rules := e.ConsentRules(); !rules.BemoeizorgRoles["regievoerder"] {
		t.Errorf("consent rules of the policy in force: %+v", rules)
	}
}

// TestSwapUnderLoad decides from many goroutines while the policy is
// swapped back and forth: every decision comes from one whole policy
// (run with -race).
func TestSwapUnderLoad(t *testing.T) {
	a := loadTestPolicy(t)
	b, err := policy.Parse("b.yaml", mustRead(t, "testdata/roles.yaml"), policy.LoadOptions{Partners: partners})
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeConsents{}
	fake.add(given(inScope.ID, "kernpartners", day(-1), day(10)))
	e := policy.NewEngine(a, fake, policy.EngineOptions{Now: func() time.Time { return now }})
	req := policy.Request{Subject: policy.Subject{Kind: policy.User, ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"},
		Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &inScope}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := e.Decide(context.Background(), req)
				if err != nil || !d.Allowed {
					t.Errorf("decision during swaps: %v %v", d.Reasons, err)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			e.Swap(b)
		} else {
			e.Swap(a)
		}
	}
	close(stop)
	wg.Wait()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestEngineWithRegistry runs the decision point on the PostgreSQL consent
// registry: consent recorded, withdrawn and given again changes the very
// next decision.
func TestEngineWithRegistry(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := now
	// The wiring of serve: the registry reads its rules from the engine's
	// policy in force, the engine reads consent from the registry.
	var e *policy.Engine
	reg := consent.NewRegistry(st.Pool(), func() consent.Rules { return e.ConsentRules() },
		consent.Options{Now: func() time.Time { return clock }})
	e = policy.NewEngine(loadTestPolicy(t), reg, policy.EngineOptions{Now: func() time.Time { return clock }})

	record := func(ch consent.Change) {
		t.Helper()
		err := st.InTx(ctx, func(tx pgx.Tx) error {
			_, err := reg.Record(ctx, tx, ch)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	regie := consent.Recorder{Kind: "user", ID: "u1", Organisation: "gemeente-szw", Role: "regievoerder"}
	ggz := policy.Subject{Kind: policy.User, ID: "u4", Organisation: "ggz-oost", Role: "ggz-behandelaar"}
	page := []policy.Request{}
	for _, id := range []string{"k-1", "k-2"} {
		c := inScope
		c.ID = id
		page = append(page, policy.Request{Subject: ggz, Purpose: "zorgcoordinatie", Operation: policy.ReadFeed, Client: &c})
	}
	decide := func() (string, string) {
		t.Helper()
		ds, err := e.DecideMany(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		return ds[0].Code(), ds[1].Code()
	}

	if a, b := decide(); a != policy.CodeConsentNone || b != policy.CodeConsentNone {
		t.Fatalf("without consent: %s %s", a, b)
	}
	record(consent.Change{ClientID: "k-1", Recipient: "kernpartners", Purpose: "zorgcoordinatie", State: consent.Given,
		Basis: consent.Toestemming, EvidenceRef: "formulier", ValidUntil: clock.AddDate(0, 6, 0), RecordedBy: regie})
	record(consent.Change{ClientID: "k-2", Recipient: "ggz-oost", Purpose: "zorgcoordinatie", State: consent.Refused,
		Basis: consent.Toestemming, RecordedBy: regie})
	if a, b := decide(); a != policy.CodeAllowedConsent || b != policy.CodeConsentRefused {
		t.Fatalf("after consent and refusal: %s %s", a, b)
	}
	record(consent.Change{ClientID: "k-1", Recipient: "ggz-oost", Purpose: "zorgcoordinatie", State: consent.Withdrawn,
		Basis: consent.Toestemming, RecordedBy: regie})
	record(consent.Change{ClientID: "k-2", Recipient: "ggz-oost", Purpose: "zorgcoordinatie", State: consent.Given,
		Basis: consent.Bemoeizorg, Justification: "verwaarlozing", ValidUntil: clock.AddDate(0, 0, 30), RecordedBy: regie})
	if a, b := decide(); a != policy.CodeConsentWithdrawn || b != policy.CodeAllowedBemoeizorg {
		t.Fatalf("after withdrawal and bemoeizorg: %s %s", a, b)
	}
	ds, err := e.DecideMany(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[1].Classes; len(got) != 3 || got[2] != policy.Sensitive {
		t.Errorf("bemoeizorg shows %v to a behandelaar, want identity, chain, sensitive", got)
	}
	clock = clock.AddDate(0, 0, 30)
	if _, b := decide(); b != policy.CodeConsentRefused {
		t.Fatalf("after bemoeizorg ended: %s, want the refusal again", b)
	}

	// The registry takes its rules from the policy in force.
	err = st.InTx(ctx, func(tx pgx.Tx) error {
		_, err := reg.Record(ctx, tx, consent.Change{ClientID: "k-1", Recipient: "ggz-oost", Purpose: "zorgcoordinatie",
			State: consent.Given, Basis: consent.Bemoeizorg, Justification: "x", ValidUntil: clock.AddDate(0, 0, 91), RecordedBy: regie})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "90 dagen") {
		t.Errorf("bemoeizorg over the maximum of roles.yaml: %v", err)
	}
}
