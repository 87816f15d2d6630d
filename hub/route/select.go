package route

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Selection says which clients' registrations a partner receives.
type Selection struct {
	// ClientsServed selects the clients with an active registration of the
	// receiving partner.
	ClientsServed bool
	// TargetGroups and Municipalities select the clients in one of the
	// target groups (when given) that live in one of the municipalities
	// (when given; compared without case). Both empty: none by area.
	TargetGroups   []string
	Municipalities []string
}

// matches reports whether a client with facts f is selected for partner.
func (s Selection) matches(partner string, f policy.ClientFacts) bool {
	if s.ClientsServed && slices.Contains(f.Organisations, partner) {
		return true
	}
	if len(s.TargetGroups) == 0 && len(s.Municipalities) == 0 {
		return false
	}
	if len(s.TargetGroups) > 0 && !slices.ContainsFunc(f.TargetGroups, func(tg string) bool { return slices.Contains(s.TargetGroups, tg) }) {
		return false
	}
	if len(s.Municipalities) > 0 && !slices.ContainsFunc(f.Municipalities, func(m string) bool {
		return slices.ContainsFunc(s.Municipalities, func(sm string) bool { return strings.EqualFold(strings.TrimSpace(sm), strings.TrimSpace(m)) })
	}) {
		return false
	}
	return true
}

// clientFacts gives the policy the facts of the client of rec: those of its
// active registrations, and for a registration that is no longer active
// its own target group and municipality (a delete still concerns them).
func clientFacts(rec store.RouteRecord, f store.ClientFacts) policy.ClientFacts {
	out := policy.ClientFacts{ID: rec.ClientID, TargetGroups: slices.Clone(f.TargetGroups),
		Municipalities: slices.Clone(f.Municipalities), Organisations: slices.Clone(f.Partners)}
	if rec.Status != store.StatusActive {
		addOwnFacts(&out, rec.Data)
	}
	return out
}

// addOwnFacts adds the target group and municipality of a registration.
func addOwnFacts(f *policy.ClientFacts, data []byte) {
	var own struct {
		TargetGroup  string `json:"target_group"`
		Municipality string `json:"municipality"`
	}
	if json.Unmarshal(data, &own) != nil {
		return
	}
	if own.TargetGroup != "" && !slices.Contains(f.TargetGroups, own.TargetGroup) {
		f.TargetGroups = append(f.TargetGroups, own.TargetGroup)
	}
	if own.Municipality != "" && !slices.Contains(f.Municipalities, own.Municipality) {
		f.Municipalities = append(f.Municipalities, own.Municipality)
	}
}
