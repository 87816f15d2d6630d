package auth_test

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/config"
)

// TestReload puts a new key in force, keeps the old configuration on a
// refused one, and revokes a removed key, while requests go on.
func TestReload(t *testing.T) {
	k1, _ := auth.NewAPIKey()
	k2, _ := auth.NewAPIKey()
	a := mustNew(t, partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k1.ID, SHA256: k1.Hash()}}}), auth.Options{})
	code := func(k auth.APIKey) auth.Code {
		_, err := a.Authenticate(request("X-API-Key", k.String()))
		return auth.CodeOf(err)
	}
	if code(k1) != "" || code(k2) != auth.CodeInvalid {
		t.Fatal("before the reload: want k1 accepted, k2 refused")
	}

	// Requests run while the configuration changes: each sees a whole one.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if c := code(k1); c != "" && c != auth.CodeInvalid {
				t.Errorf("k1 during reloads: %s", c)
			}
		}
	})

	both := partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k1.ID, SHA256: k1.Hash()}, {ID: k2.ID, SHA256: k2.Hash()}}})
	if err := a.Reload(both); err != nil {
		t.Fatal(err)
	}
	if code(k1) != "" || code(k2) != "" {
		t.Error("after adding k2: want both accepted")
	}

	bad := partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: "kort", SHA256: k2.Hash()}}})
	err := a.Reload(bad)
	var problems config.Errors
	if !errors.As(err, &problems) || len(problems) != 1 || problems[0].Field != "partners.ggz-oost.api_keys[0].id" {
		t.Fatalf("refused reload: %v, want one problem with the key id", err)
	}
	if code(k1) != "" || code(k2) != "" {
		t.Error("after a refused reload: want the configuration in force to stay")
	}

	only2 := partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k2.ID, SHA256: k2.Hash()}}})
	if err := a.Reload(only2); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	if code(k1) != auth.CodeInvalid || code(k2) != "" {
		t.Error("after removing k1: want k1 refused, k2 accepted")
	}
}

// TestKnownPartnerPerRequest refuses the credentials of a partner whose
// partner file went away, without a reload.
func TestKnownPartnerPerRequest(t *testing.T) {
	k, _ := auth.NewAPIKey()
	var gone atomic.Bool
	a := mustNew(t, partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k.ID, SHA256: k.Hash()}}}),
		auth.Options{KnownPartner: func(id string) bool { return id == "ggz-oost" && !gone.Load() }})
	if _, err := a.Authenticate(request("X-API-Key", k.String())); err != nil {
		t.Fatal(err)
	}
	gone.Store(true)
	_, err := a.Authenticate(request("X-API-Key", k.String()))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.CodeForbidden || ae.Status() != http.StatusForbidden {
		t.Fatalf("partner without a file: %v, want %s", err, auth.CodeForbidden)
	}
	if err := a.Reload(partnerConfig(t, map[string][]auth.APIKeyConfig{"ggz-oost": {{ID: k.ID, SHA256: k.Hash()}}})); err == nil {
		t.Error("Reload accepted credentials of a partner without a file")
	}
}

// TestCertificateUnknownStatus: a trusted certificate of no partner is
// refused with 403 and its own code, which the hub's error carries in its
// message.
func TestCertificateUnknownStatus(t *testing.T) {
	e := &auth.Error{Code: auth.CodeCertificateUnknown, Message: "Het clientcertificaat hoort bij geen partner."}
	if e.Status() != http.StatusForbidden || e.Challenge() != "" {
		t.Errorf("status %d, challenge %q; want 403 without a challenge", e.Status(), e.Challenge())
	}
	var he *hub.Error
	if !errors.As(error(e), &he) || he.Code != hub.EFORBIDDEN || he.Message != e.Message+" [AUTH_CERT_UNKNOWN]" {
		t.Errorf("hub error %+v", he)
	}
}
