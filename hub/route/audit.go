package route

import (
	"encoding/json"
	"strconv"

	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// auditDetail is the detail of a routing audit event: codes and ids, never
// a record key (a partner may use a BSN as its dossier number) or content.
type auditDetail struct {
	Stage         string   `json:"stage"` // routed | cancelled
	DeliveryID    string   `json:"delivery_id,omitempty"`
	SourcePartner string   `json:"source_partner"`
	Operation     string   `json:"operation"`
	Channels      []string `json:"channels,omitempty"`
	Code          string   `json:"code"`
}

// allowedEvent is the disclosure of a new delivery.
func allowedEvent(recipient, source, documentID, deliveryID, op string, channels []string, d policy.Decision) audit.Event {
	e := event(recipient, documentID, d, auditDetail{Stage: "routed", DeliveryID: deliveryID, SourcePartner: source,
		Operation: op, Channels: channels, Code: d.Code()})
	e.Outcome = audit.OutcomeSuccess
	e.Basis = basis(d.Basis)
	return e
}

// cancelledEvent is a pending delivery that the decision just before
// sending no longer allowed.
func cancelledEvent(recipient, source, deliveryID, op string, d policy.Decision) audit.Event {
	e := event(recipient, "", d, auditDetail{Stage: "cancelled", DeliveryID: deliveryID, SourcePartner: source, Operation: op, Code: d.Code()})
	e.Outcome = audit.OutcomeDenied
	e.Source = auditSourceSend
	return e
}

// Source of the audit events of sending.
const auditSourceSend = "route deliver"

func event(recipient, documentID string, d policy.Decision, detail auditDetail) audit.Event {
	b, _ := json.Marshal(detail) // plain strings: cannot fail
	return audit.Event{
		Type:         audit.TypeDisclosure,
		Client:       d.ClientID,
		User:         recipient,
		Organisation: recipient,
		Role:         d.Role,
		Purpose:      d.Purpose,
		Categories:   classNames(d.Classes),
		Source:       auditSource,
		RequestID:    documentID,
		Detail:       b,
	}
}

// basis maps the ground of a decision onto the audit trail's bases.
func basis(b *policy.Basis) audit.Basis {
	if b == nil {
		return audit.Basis{}
	}
	ref := func(prefix string) string {
		if b.ConsentID == 0 {
			return ""
		}
		return prefix + "-" + strconv.FormatInt(b.ConsentID, 10)
	}
	switch b.Kind {
	case policy.BasisConsent:
		return audit.Basis{Kind: audit.BasisConsent, Ref: ref("consent")}
	case policy.BasisBemoeizorg:
		return audit.Basis{Kind: audit.BasisBemoeizorg, Ref: ref("grant")}
	case policy.BasisLegalGround:
		return audit.Basis{Kind: audit.BasisLegal, Ref: ref("grant")}
	default:
		// A purpose that needs no consent (its legal ground in roles.yaml),
		// or a role rule.
		return audit.Basis{Kind: audit.BasisLegal, Ref: "purpose:" + b.Purpose}
	}
}
