package api

import (
	"context"
	"net/http"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/policy"
)

// Partners is what the API asks of the partners the hub runs: their state
// and the history of their configuration files. These show configuration
// only, never client data: every partner is for those who operate the hub
// (operate_hub), one partner also for that partner's own system.
type Partners interface {
	// Partners returns every partner the hub runs, by id.
	Partners(ctx context.Context) ([]hub.PartnerStatus, error)
	// Partner returns one partner, or an *hub.Error with ENOTFOUND.
	Partner(ctx context.Context, id string) (hub.PartnerStatus, error)
	// Revisions returns up to limit entries of a partner's configuration
	// history, newest first; an *hub.Error with ENOTFOUND for a partner the
	// hub does not know.
	Revisions(ctx context.Context, id string, limit int) ([]hub.PartnerRevision, error)
}

func (s *server) needPartners(w http.ResponseWriter, r *http.Request) bool {
	if s.partners == nil {
		s.fail(w, r, hub.Errorf(hub.EUNAVAILABLE, "De partnerstatus is op deze hub niet beschikbaar."))
		return false
	}
	return true
}

// partnerID returns the partner named in the path.
func partnerID(r *http.Request) (string, error) {
	id := r.PathValue("partner")
	if !partnerPattern.MatchString(id) {
		return "", hub.Errorf(hub.EINVALID, "Een partner-id bestaat uit kleine letters, cijfers en '-', begint met een letter of cijfer en is hoogstens 63 tekens lang.")
	}
	return id, nil
}

// listPartners lists every partner with its state, adapter and revision,
// for those who operate the hub. A partner system reads only its own
// partner (/v1/partners/{partner}).
func (s *server) listPartners(w http.ResponseWriter, r *http.Request) {
	c, err := s.callerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c.Kind == auth.KindPartner {
		s.fail(w, r, auth.RequirePartner(c.Subject, ""))
		return
	}
	if _, _, ok := s.begin(w, r, policy.OperateHub); !ok {
		return
	}
	if !s.needPartners(w, r) {
		return
	}
	items, err := s.partners.Partners(r.Context())
	s.respond(w, r, http.StatusOK, List[hub.PartnerStatus]{Items: nonNil(items)}, err)
}

// partner returns one partner's state: why it does not run when it does
// not, its adapter process, the revision of its file that runs and a newer
// one that was refused, with every problem found in it. For the partner's
// own system and for those who operate the hub.
func (s *server) partner(w http.ResponseWriter, r *http.Request) {
	id, err := partnerID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.allowPartner(w, r, id) {
		return
	}
	if !s.needPartners(w, r) {
		return
	}
	p, err := s.partners.Partner(r.Context(), id)
	s.respond(w, r, http.StatusOK, p, err)
}

// partnerRevisions lists the history of a partner's file, newest first,
// each entry with its unified diff against the revision that ran before.
// For the partner's own system and for those who operate the hub.
func (s *server) partnerRevisions(w http.ResponseWriter, r *http.Request) {
	id, limit, ok := s.partnerList(w, r)
	if !ok {
		return
	}
	if !s.needPartners(w, r) {
		return
	}
	revs, err := s.partners.Revisions(r.Context(), id, limit)
	s.respond(w, r, http.StatusOK, List[hub.PartnerRevision]{Items: nonNil(revs)}, err)
}
