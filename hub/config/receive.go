package config

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// CodeReceive means a receive section cannot work as written: it selects
// nothing, delivers nowhere, or sends client data over plain HTTP.
const CodeReceive = "CONFIG_RECEIVE"

// Pickup formats.
const (
	// PickupAdapter writes the partner's own format with its adapter's Encode.
	PickupAdapter = "adapter"
	// PickupJSONL writes one JSON line per registration in the shared schema.
	PickupJSONL = "jsonl"
)

// Defaults of a receive section.
const (
	DefaultWebhookTimeout = 10 * time.Second
	DefaultBatchSize      = 200
	DefaultPickupDir      = "pickup"
)

// Receive is what a partner receives from the other partners (outbound
// routing, hub/route): which registrations, for which purpose, and how
// they are delivered.
type Receive struct {
	// Purpose is the purpose of roles.yaml the registrations are received
	// for; the policy decision is taken for it.
	Purpose string
	Select  Selection
	// Pickup delivers files in a folder; nil when not configured.
	Pickup *Pickup
	// Webhook delivers by HTTP POST; nil when not configured.
	Webhook *Webhook
	// BatchSize bounds the registrations of one file or request.
	BatchSize int
}

// Selection says which clients' registrations a partner receives: those it
// serves already, and those in its target groups and municipalities.
type Selection struct {
	// ClientsServed selects clients with an active registration of the partner.
	ClientsServed bool
	// TargetGroups and Municipalities select clients in one of the target
	// groups (when given) and living in one of the municipalities (when
	// given). Both empty: no client by area.
	TargetGroups   []string
	Municipalities []string
}

// ByArea reports whether the selection selects clients by target group or
// municipality.
func (s Selection) ByArea() bool { return len(s.TargetGroups) > 0 || len(s.Municipalities) > 0 }

// Pickup is delivery as files in a folder the partner collects from.
type Pickup struct {
	// Folder is the absolute pickup folder.
	Folder string
	// Format is PickupAdapter or PickupJSONL.
	Format string
}

// Webhook is delivery by HTTP POST.
type Webhook struct {
	URL string
	// SecretEnv names the environment variable holding the HMAC secret.
	SecretEnv string
	Timeout   time.Duration
}

// receiveFile mirrors the receive section for decoding.
type receiveFile struct {
	Purpose string `json:"purpose"`
	Select  struct {
		ClientsServed  bool     `json:"clients_served"`
		TargetGroups   []string `json:"target_groups"`
		Municipalities []string `json:"municipalities"`
	} `json:"select"`
	Pickup *struct {
		Folder string `json:"folder"`
		Format string `json:"format"`
	} `json:"pickup"`
	Webhook *struct {
		URL       string `json:"url"`
		SecretEnv string `json:"secret_env"`
		Timeout   string `json:"timeout"`
	} `json:"webhook"`
	BatchSize int `json:"batch_size"`
}

// loadReceive reads the receive section of a partner file into p.Receive
// and checks what the schema cannot: that it selects and delivers, that a
// webhook uses https (http only to this machine) and that the pickup
// folder is no drop folder. bad holds the fields with schema problems.
func (p *Partner) loadReceive(bad map[string]bool) Errors {
	v := valueAt(p.doc.value, "/receive")
	if v == nil || bad["receive"] {
		return nil
	}
	var rf receiveFile
	decode(v, &rf)
	r := &Receive{Purpose: rf.Purpose, BatchSize: cmp.Or(rf.BatchSize, DefaultBatchSize),
		Select: Selection{ClientsServed: rf.Select.ClientsServed, TargetGroups: rf.Select.TargetGroups, Municipalities: rf.Select.Municipalities}}
	var errs Errors
	if !r.Select.ClientsServed && !r.Select.ByArea() && !bad["receive.select"] {
		errs = append(errs, p.doc.at("", "/receive/select", true, CodeReceive,
			"select kiest geen enkele cliënt: zet clients_served: true, of noem target_groups en/of municipalities"))
	}
	if rf.Pickup == nil && rf.Webhook == nil {
		errs = append(errs, p.doc.at("", "/receive", true, CodeReceive,
			"receive levert nergens af: geef pickup (een ophaalmap) en/of webhook"))
	}
	if rf.Pickup != nil {
		r.Pickup = &Pickup{Format: cmp.Or(rf.Pickup.Format, PickupAdapter)}
		if rf.Pickup.Folder != "" {
			r.Pickup.Folder = resolve(p.dataDir, rf.Pickup.Folder)
		} else if p.ID != "" {
			r.Pickup.Folder = filepath.Join(p.dataDir, DefaultPickupDir, p.ID)
		}
		if r.Pickup.Folder != "" && p.Drop.Folder != "" && overlaps(r.Pickup.Folder, p.Drop.Folder) {
			errs = append(errs, p.at(p.pickupPtr(), "receive.pickup.folder", CodeDuplicate,
				"de ophaalmap mag niet (in) de eigen dropmap liggen: de hub zou zijn eigen leveringen weer inlezen"))
		}
	}
	if w := rf.Webhook; w != nil {
		r.Webhook = &Webhook{URL: w.URL, SecretEnv: w.SecretEnv, Timeout: DefaultWebhookTimeout}
		if w.URL != "" && !bad["receive.webhook.url"] {
			if msg := checkWebhookURL(w.URL); msg != "" {
				errs = append(errs, p.doc.at("", "/receive/webhook/url", false, CodeReceive, msg))
			}
		}
		if w.Timeout != "" && !bad["receive.webhook.timeout"] {
			if d, e, ok := parseDuration(p.doc, "/receive/webhook/timeout", w.Timeout, true); ok {
				r.Webhook.Timeout = d
			} else {
				errs = append(errs, e)
			}
		}
	}
	p.Receive = r
	return errs
}

// checkWebhookURL returns a problem with a webhook address, or "": client
// data goes over https only, except to this machine (tests, a local relay).
func checkWebhookURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "geen geldig adres; schrijf bijvoorbeeld https://partner.example/ketenhub"
	}
	if u.User != nil {
		return "zet geen gebruikersnaam of wachtwoord in het adres; de hub ondertekent elk verzoek met secret_env"
	}
	if u.Scheme == "https" {
		return ""
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return ""
	}
	return "cliëntgegevens gaan alleen over https; http mag alleen naar deze machine (localhost)"
}

// overlaps reports whether one folder is the other or lies inside it.
func overlaps(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	return a == b || strings.HasPrefix(a, b+string(filepath.Separator)) || strings.HasPrefix(b, a+string(filepath.Separator))
}

// pickupPtr is where a problem with the pickup folder points.
func (p *Partner) pickupPtr() string {
	if valueAt(p.doc.value, "/receive/pickup/folder") != nil {
		return "/receive/pickup/folder"
	}
	return "/receive/pickup"
}

// at builds a problem at ptr with the field named as field.
func (p *Partner) at(ptr, field, code, msg string) Error {
	e := p.doc.at("", ptr, false, code, msg)
	e.Field = field
	return e
}

// crossCheckReceive reports a pickup folder of p that is (inside) another
// partner's drop or pickup folder, or holds one.
func crossCheckReceive(p *Partner, o *Partner) Errors {
	if p.Receive == nil || p.Receive.Pickup == nil || p.Receive.Pickup.Folder == "" || p.doc == nil {
		return crossCheckDrop(p, o)
	}
	folder := p.Receive.Pickup.Folder
	var errs Errors
	if o.Drop.Folder != "" && overlaps(folder, o.Drop.Folder) {
		errs = append(errs, p.at(p.pickupPtr(), "receive.pickup.folder", CodeDuplicate,
			fmt.Sprintf("de ophaalmap valt samen met de dropmap van partner %q (%s); de hub zou zijn eigen leveringen inlezen", o.ID, o.display)))
	}
	if o.Receive != nil && o.Receive.Pickup != nil && o.Receive.Pickup.Folder != "" && overlaps(folder, o.Receive.Pickup.Folder) {
		errs = append(errs, p.at(p.pickupPtr(), "receive.pickup.folder", CodeDuplicate,
			fmt.Sprintf("de ophaalmap valt samen met die van partner %q (%s); elke partner heeft een eigen ophaalmap", o.ID, o.display)))
	}
	return append(errs, crossCheckDrop(p, o)...)
}

// crossCheckDrop reports a drop folder of p that is (inside) the pickup
// folder of partner o, or holds it.
func crossCheckDrop(p *Partner, o *Partner) Errors {
	var errs Errors
	if p.Drop.Folder != "" && p.doc != nil && o.Receive != nil && o.Receive.Pickup != nil && o.Receive.Pickup.Folder != "" &&
		overlaps(p.Drop.Folder, o.Receive.Pickup.Folder) {
		e := p.doc.at("", p.dropPtr, false, CodeDuplicate,
			fmt.Sprintf("de dropmap valt samen met de ophaalmap van partner %q (%s)", o.ID, o.display))
		e.Field = "drop.folder"
		errs = append(errs, e)
	}
	return errs
}
