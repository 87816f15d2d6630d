package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
)

func TestSelectionMatches(t *testing.T) {
	f := policy.ClientFacts{ID: "kc-1", TargetGroups: []string{"veelpleger", "feitelijk_dakloos"}, Municipalities: []string{"Eindhoven"},
		Organisations: []string{"ggz-oost"}}
	tests := []struct {
		name    string
		sel     Selection
		partner string
		want    bool
	}{
		{"ServedOK", Selection{ClientsServed: true}, "ggz-oost", true},
		{"ServedOther", Selection{ClientsServed: true}, "opvang-zuid", false},
		{"TargetGroupOK", Selection{TargetGroups: []string{"feitelijk_dakloos"}}, "opvang-zuid", true},
		{"TargetGroupOther", Selection{TargetGroups: []string{"zwerfjongere"}}, "opvang-zuid", false},
		{"MunicipalityNoCase", Selection{Municipalities: []string{" eindhoven"}}, "opvang-zuid", true},
		{"BothOK", Selection{TargetGroups: []string{"veelpleger"}, Municipalities: []string{"Eindhoven"}}, "x", true},
		{"BothWrongPlace", Selection{TargetGroups: []string{"veelpleger"}, Municipalities: []string{"Helmond"}}, "x", false},
		{"ServedOrArea", Selection{ClientsServed: true, TargetGroups: []string{"veelpleger"}}, "x", true},
		{"Nothing", Selection{}, "ggz-oost", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.matches(tt.partner, f); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClientFactsOfDelete(t *testing.T) {
	rec := store.RouteRecord{ClientID: "kc-1", Status: store.StatusDeleted, Data: []byte(`{"target_group":"zorgmijder","municipality":"Best"}`)}
	f := clientFacts(rec, store.ClientFacts{Partners: []string{"a"}, TargetGroups: []string{"veelpleger"}})
	if f.ID != "kc-1" || strings.Join(f.TargetGroups, ",") != "veelpleger,zorgmijder" || strings.Join(f.Municipalities, ",") != "Best" {
		t.Fatalf("facts %+v", f)
	}
	rec.Status = store.StatusActive
	if f := clientFacts(rec, store.ClientFacts{}); len(f.TargetGroups) != 0 {
		t.Fatalf("an active registration's facts come from the store: %+v", f)
	}
}

// fakeKeys "encrypts" a BSN by prefixing it.
type fakeKeys struct{}

func (fakeKeys) DecryptBSN(enc []byte) (string, error) {
	s, ok := strings.CutPrefix(string(enc), "enc:")
	if !ok {
		return "", errors.New("not encrypted here")
	}
	return s, nil
}

func (fakeKeys) HashBSN(bsn string) []byte { return []byte("h(" + bsn + ")") }

const stored = `{"schema_version":"1","source":{"partner":"ggz-oost","record_key":"k1"},"operation":"new",` +
	`"client":{"surname":"Berg","surname_prefix":"van den"},"target_group":"feitelijk_dakloos",` +
	`"sensitive":{"diagnosis_present":true,"diagnosis_classification":"F20"}}`

func decision(classes ...policy.Class) policy.Decision {
	return policy.Decision{Allowed: true, Classes: classes, Fields: policy.Fields(classes), Purpose: "zorgcoordinatie", Role: "r",
		ClientID: "kc-1", Basis: &policy.Basis{Kind: policy.BasisConsent, ConsentID: 7, Purpose: "zorgcoordinatie"},
		Reasons: []policy.Reason{{Code: policy.CodeAllowedConsent, Message: "toestemming"}}}
}

func TestView(t *testing.T) {
	idChain := decision(policy.Identity, policy.Chain)
	v, err := view([]byte(stored), opChange, idChain, []byte("enc:111222333"), fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(v.payload, &got); err != nil {
		t.Fatal(err)
	}
	if got["operation"] != "change" || got["sensitive"] != nil || got["target_group"] != "feitelijk_dakloos" {
		t.Fatalf("payload %s", v.payload)
	}
	if bytes.Contains(v.payload, []byte("111222333")) || string(v.bsnEnc) != "enc:111222333" {
		t.Fatalf("the stored view holds the BSN in the clear, or loses its encrypted copy: %s", v.payload)
	}
	// The operation is not part of the view's hash; the BSN is.
	v2, _ := view([]byte(stored), opNew, idChain, []byte("enc:111222333"), fakeKeys{})
	v3, _ := view([]byte(stored), opNew, idChain, []byte("enc:999999999"), fakeKeys{})
	if !bytes.Equal(v.hash, v2.hash) || bytes.Equal(v.hash, v3.hash) {
		t.Fatal("hash: the operation must not count, the BSN must")
	}
	// Neither does the moment of registration, which moves with every export.
	later := strings.Replace(stored, `"operation":"new",`, `"operation":"new","registered_at":"2025-03-02T10:00:00+01:00",`, 1)
	if v6, _ := view([]byte(later), opNew, idChain, []byte("enc:111222333"), fakeKeys{}); !bytes.Equal(v.hash, v6.hash) ||
		!bytes.Contains(v6.payload, []byte("registered_at")) {
		t.Fatal("registered_at must be sent, but not count")
	}
	// A change the recipient cannot see leaves the view as it is.
	changed := strings.Replace(stored, "F20", "F31", 1)
	v4, _ := view([]byte(changed), opNew, idChain, []byte("enc:111222333"), fakeKeys{})
	if !bytes.Equal(v.hash, v4.hash) {
		t.Fatal("a change in a withheld field changes the view")
	}
	// Without identity: no BSN, no name.
	chain := decision(policy.Chain)
	v5, _ := view([]byte(stored), opNew, chain, []byte("enc:111222333"), fakeKeys{})
	if v5.bsnEnc != nil || bytes.Contains(v5.payload, []byte("Berg")) {
		t.Fatalf("chain only: %s %q", v5.payload, v5.bsnEnc)
	}
}

func TestSendable(t *testing.T) {
	v, err := view([]byte(stored), opNew, decision(policy.Identity, policy.Chain, policy.Sensitive), []byte("enc:111222333"), fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := sendable(v.payload, v.bsnEnc, decision(policy.Identity, policy.Chain, policy.Sensitive), fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(reg, []byte(`"bsn":"111222333"`)) || !bytes.Contains(reg, []byte(`"diagnosis_present":true`)) {
		t.Fatalf("sendable %s", reg)
	}
	// A decision just before sending that shows less narrows what is sent.
	reg, _ = sendable(v.payload, v.bsnEnc, decision(policy.Chain), fakeKeys{})
	if bytes.Contains(reg, []byte("bsn")) || bytes.Contains(reg, []byte("sensitive")) || !bytes.Contains(reg, []byte(`"operation":"new"`)) {
		t.Fatalf("narrowed %s", reg)
	}
}

func TestDeliveryID(t *testing.T) {
	h := []byte{1, 2, 3}
	a := deliveryID("opvang-zuid", "ggz-oost", "k1", opNew, h, "")
	if a != deliveryID("opvang-zuid", "ggz-oost", "k1", opNew, h, "") || !strings.HasPrefix(a, "dlv_") || len(a) != 36 {
		t.Fatalf("id %q not stable or not of its form", a)
	}
	for _, other := range []string{
		deliveryID("gemeente-szw", "ggz-oost", "k1", opNew, h, ""),
		deliveryID("opvang-zuid", "ggz-oost", "k2", opNew, h, ""),
		deliveryID("opvang-zuid", "ggz-oost", "k1", opDelete, h, ""),
		deliveryID("opvang-zuid", "ggz-oost", "k1", opNew, []byte{1}, ""),
		deliveryID("opvang-zuid", "ggz-oost", "k1", opNew, h, a),
	} {
		if other == a {
			t.Fatal("different deliveries share an id")
		}
	}
}

func TestSignature(t *testing.T) {
	secret := []byte("geheim")
	now := time.Unix(1_740_000_000, 0)
	body := []byte(`{"batch_id":"bat_1"}`)
	h := Sign(secret, now, body)
	if !strings.HasPrefix(h, "t=1740000000,v1=") {
		t.Fatalf("header %q", h)
	}
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"OK", secret, h, body, now.Add(time.Minute), nil},
		{"OKSecondSignature", secret, "t=1740000000,v1=00," + h[strings.Index(h, "v1="):], body, now, nil},
		{"ErrBody", secret, h, []byte(`{"batch_id":"bat_2"}`), now, ErrSignatureInvalid},
		{"ErrSecret", []byte("ander"), h, body, now, ErrSignatureInvalid},
		{"ErrOld", secret, h, body, now.Add(10 * time.Minute), ErrSignatureExpired},
		{"ErrMissing", secret, "", body, now, ErrSignatureMissing},
		{"ErrMalformed", secret, "v1=abc", body, now, ErrSignatureMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 20: time.Minute} {
		got := backoff(time.Second, time.Minute, n)
		if got > want || got < want*8/10 {
			t.Errorf("backoff(%d) = %s, want %s less at most 20%%", n, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Unix(1_740_000_000, 0)
	if got := retryAfter("120", now); !got.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("seconds: %s", got)
	}
	if got := retryAfter(now.Add(time.Hour).UTC().Format(http.TimeFormat), now); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("date: %s", got)
	}
	if got := retryAfter("soon", now); !got.IsZero() {
		t.Errorf("nonsense: %s", got)
	}
}

// TestAuditEvents: every event routing writes passes the audit trail's
// own checks, with a BSN-like record key nowhere in it.
func TestAuditEvents(t *testing.T) {
	d := decision(policy.Identity, policy.Chain)
	denied := policy.Decision{ClientID: "kc-1", Purpose: "zorgcoordinatie", Role: "r", Classes: []policy.Class{},
		Reasons: []policy.Reason{{Code: policy.CodeConsentWithdrawn, Message: "ingetrokken"}}}
	events := []audit.Event{
		allowedEvent("opvang-zuid", "ggz-oost", "01HZDOC", "dlv_0123", opNew, []string{"pickup", "webhook"}, d),
		cancelledEvent("opvang-zuid", "ggz-oost", "dlv_0123", opChange, denied),
	}
	purpose := d
	purpose.Basis = &policy.Basis{Kind: policy.BasisPurpose, Purpose: "aanmelding"}
	events = append(events, allowedEvent("x", "y", "doc", "dlv_1", opNew, nil, purpose))
	for i, e := range events {
		if err := e.Validate(); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	if events[0].Basis != (audit.Basis{Kind: audit.BasisConsent, Ref: "consent-7"}) || events[0].Outcome != audit.OutcomeSuccess {
		t.Errorf("allowed: %+v", events[0])
	}
	if events[1].Outcome != audit.OutcomeDenied || !strings.Contains(string(events[1].Detail), policy.CodeConsentWithdrawn) ||
		!strings.Contains(string(events[1].Detail), `"stage":"cancelled"`) {
		t.Errorf("cancelled: %+v", events[1])
	}
	if events[2].Basis.Kind != audit.BasisLegal || events[2].Basis.Ref != "purpose:aanmelding" {
		t.Errorf("purpose ground: %+v", events[2].Basis)
	}
}

func TestSanitize(t *testing.T) {
	if got := sanitize("a\n\tb  c"); got != "a b c" {
		t.Errorf("sanitize = %q", got)
	}
	long := strings.Repeat("é", 200)
	if got := sanitize(long); len(got) > 300 || !strings.HasPrefix(long, got) {
		t.Errorf("sanitize cuts a rune: %d bytes", len(got))
	}
}
