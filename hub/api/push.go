package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/audit"
	"github.com/ketenhub/ketenhub/hub/auth"
	"github.com/ketenhub/ketenhub/hub/ingest"
	"github.com/ketenhub/ketenhub/hub/policy"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Defaults of the pushes (Config.PushMaxBytes, Config.PushWait).
const (
	DefaultPushMaxBytes = 10 << 20
	DefaultPushWait     = 10 * time.Second
)

// Intake takes the registrations that partner systems push (POST
// /v1/partners/{partner}/registrations) and reads what became of them.
type Intake interface {
	// Accepts returns nil when partner takes pushed registrations now: an
	// *hub.Error with ENOTFOUND for a partner the hub does not run,
	// ECONFLICT for one whose adapter reads no pushes, EUNAVAILABLE for one
	// that is off or whose adapter does not work.
	Accepts(ctx context.Context, partner string) error
	// Push stores the body durably as a document of the partner and hands
	// it to the pipeline (see ingest.Pusher).
	Push(ctx context.Context, p ingest.Push) (ingest.Pushed, error)
	// Results returns what became of every record of a pushed document of
	// partner, and its record errors and warnings.
	Results(ctx context.Context, partner, documentID string) ([]store.RecordResult, []store.RecordError, error)
}

// Statuses of a pushed record (PushRecord.Status).
const (
	RecordAccepted  = "accepted"  // stored: new, changed or deleted
	RecordUnchanged = "unchanged" // equal to what the hub held; nothing stored
	RecordRejected  = "rejected"  // not stored; see its errors
)

// The status of a push result while the document is processed.
const pushProcessing = "processing"

// PushResult answers a push: what became of the pushed document and of
// every record in it.
type PushResult struct {
	DocumentID string `json:"document_id"`
	// Status is processing, done or failed.
	Status string `json:"status"`
	// Duplicate is set when the partner pushed the same content (or used
	// the same Idempotency-Key) before: nothing was taken again, and this
	// is the result of that earlier push.
	Duplicate  bool       `json:"duplicate"`
	ReceivedAt time.Time  `json:"received_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Location is where this result can be read again.
	Location string `json:"location"`
	// Counts are those of the receipt, once the document is done.
	Counts *hub.ReceiptCounts `json:"counts,omitempty"`
	// Records are the records of the push, in the order they came.
	Records []PushRecord `json:"records"`
	// Errors and Warnings are about the document as a whole.
	Errors   []PushIssue `json:"errors"`
	Warnings []PushIssue `json:"warnings"`
	// Failure says why a failed document could not be processed.
	Failure string `json:"failure,omitempty"`
}

// PushRecord is what became of one pushed record.
type PushRecord struct {
	// Index is the record's place in the push, from 0.
	Index     int    `json:"index"`
	RecordKey string `json:"record_key,omitempty"`
	// Status is accepted, unchanged or rejected; Outcome says more:
	// inserted, updated, deleted, unchanged or rejected.
	Status  string `json:"status"`
	Outcome string `json:"outcome"`
	// ClientID is the chain client the record is linked to: only when the
	// push named a purpose for which the partner may see it.
	ClientID string      `json:"client_id,omitempty"`
	Errors   []PushIssue `json:"errors,omitempty"`
	Warnings []PushIssue `json:"warnings,omitempty"`
}

// PushIssue is one problem with a pushed record or document: the field (a
// JSON pointer within the record for what the adapter found, or a field of
// the shared schema for what the hub found), a stable code and a Dutch
// message without the value.
type PushIssue struct {
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PushProblem is the problem+json answer to a push whose body is no
// well-formed JSON: it names the document the body was stored as and
// where the body goes wrong.
type PushProblem struct {
	Problem
	DocumentID string `json:"document_id"`
	// Offset is the 0-based byte offset of the first byte that does not
	// fit; Line and Column (1-based, in bytes) say where it is.
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
	Column int   `json:"column"`
}

// pushMediaTypes are the media types of pushes, with the document name each
// gives: the adapter reads NDJSON by it.
var pushMediaTypes = map[string]string{
	"application/json":     "registraties.json",
	"application/x-ndjson": "registraties.ndjson",
	"application/ndjson":   "registraties.ndjson",
	"application/jsonl":    "registraties.ndjson",
}

// pushRegistrations takes the registrations a partner system pushes: it
// stores the body durably as a document of the partner, lets the pipeline
// process it like a dropped file and answers with the result per record
// (200), or, when that takes longer than the push wait, with where to read
// it (202). Only the partner's own system may push. A body that is no JSON
// is stored and refused at once (400, with where it goes wrong); the same
// content pushed again is answered with the earlier result.
func (s *server) pushRegistrations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, partner, purpose, ok := s.pushCaller(w, r)
	if !ok {
		return
	}
	if err := s.intake.Accepts(ctx, partner); err != nil {
		s.fail(w, r, err)
		return
	}
	name, err := pushName(r.Header.Get("Content-Type"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := idempotencyKey(r.Header.Values("Idempotency-Key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := s.readPush(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pushed, err := s.intake.Push(ctx, ingest.Push{Partner: partner, Name: name, Body: body, IdempotencyKey: key})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if se := pushed.Syntax; se != nil {
		w.Header().Set("Content-Language", "nl")
		w.Header().Set("Location", resultPath(partner, pushed.Document.ID))
		s.writeJSON(w, r, http.StatusBadRequest, "application/problem+json", PushProblem{
			Problem: Problem{Type: ProblemTypeBase + hub.EINVALID, Title: codeTable[hub.EINVALID].title, Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("De inhoud is geen goed gevormde JSON (of NDJSON): fout op regel %d, kolom %d (byte %d). De inhoud is bewaard als document %s en niet verwerkt.",
					se.Line, se.Column, se.Offset, pushed.Document.ID),
				Instance: r.URL.EscapedPath(), Code: hub.EINVALID},
			DocumentID: pushed.Document.ID, Offset: se.Offset, Line: se.Line, Column: se.Column})
		return
	}
	s.answerPush(w, r, c, purpose, partner, pushed.Document.ID, pushed.Duplicate, s.pushWait)
}

// pushResult returns what became of a document the partner pushed (GET
// /v1/partners/{partner}/documents/{id}): 200 with the result per record
// once it is processed, 202 while it is. Only for the partner's own system;
// another partner's document is not found.
func (s *server) pushResult(w http.ResponseWriter, r *http.Request) {
	c, partner, purpose, ok := s.pushCaller(w, r)
	if !ok {
		return
	}
	doc, err := s.lookupDocument(r)
	if err == nil && doc.Partner != partner {
		err = hub.Errorf(hub.ENOTFOUND, "Dit document bestaat niet.")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerPush(w, r, c, purpose, partner, doc.ID, false, 0)
}

// pushCaller checks the caller of a push path: only the partner's own
// system, on a hub that takes pushes, and for the purpose it names (if it
// names one) allowed to read its own registrations. It returns the caller,
// the partner and the purpose, or answers the request itself and returns
// false.
func (s *server) pushCaller(w http.ResponseWriter, r *http.Request) (caller, string, string, bool) {
	partner, err := partnerID(r)
	if err != nil {
		s.fail(w, r, err)
		return caller{}, "", "", false
	}
	c, err := s.callerOf(r)
	if err == nil {
		err = auth.RequirePartner(c.Subject, partner)
	}
	if err == nil && s.intake == nil {
		err = hub.Errorf(hub.EUNAVAILABLE, "Aanleveren via de API is op deze hub niet beschikbaar.")
	}
	purpose := r.URL.Query().Get("purpose")
	if err == nil && purpose != "" {
		_, err = s.allowOperation(r, c, purpose, policy.ReadFeed)
	}
	if err != nil {
		s.fail(w, r, err)
		return caller{}, "", "", false
	}
	return c, partner, purpose, true
}

// resultPath is where the result of a pushed document is read.
func resultPath(partner, documentID string) string {
	return "/v1/partners/" + partner + "/documents/" + documentID
}

// pushName checks the media type of a push and returns the name the
// document gets.
func pushName(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if name, ok := pushMediaTypes[mt]; ok && err == nil {
		return name, nil
	}
	if err == nil && strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
		return "registraties.json", nil
	}
	return "", hub.Errorf(hub.EUNSUPPORTED, "Lever registraties aan als JSON (Content-Type: application/json) of NDJSON (application/x-ndjson).")
}

// maxIdempotencyKey is the longest Idempotency-Key taken.
const maxIdempotencyKey = 200

// idempotencyKey checks the Idempotency-Key header values: at most one, of
// printable ASCII, at most maxIdempotencyKey characters. A key in quotes (a
// structured-field string) is taken without them.
func idempotencyKey(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", hub.Errorf(hub.EINVALID, "Geef hoogstens één Idempotency-Key.")
	}
	k := strings.TrimSpace(values[0])
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	ok := k != "" && len(k) <= maxIdempotencyKey
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] > ' ' && k[i] < 0x7f && k[i] != '"'
	}
	if !ok {
		return "", hub.Errorf(hub.EINVALID, "De Idempotency-Key bestaat uit 1 tot %d zichtbare ASCII-tekens, zonder spaties en aanhalingstekens.", maxIdempotencyKey)
	}
	return k, nil
}

// readPush reads the body of a push: at most the push limit (413 above it),
// not empty, within the request's time.
func (s *server) readPush(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := hub.Errorf(hub.ETOOLARGE, "De inhoud is groter dan het maximum van %d bytes; lever in delen aan. Er is niets bewaard.", s.pushMaxBytes)
	if r.ContentLength > s.pushMaxBytes {
		return nil, tooLarge
	}
	if deadline, ok := r.Context().Deadline(); ok {
		_ = http.NewResponseController(w).SetReadDeadline(deadline)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.pushMaxBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge
	case err != nil:
		return nil, &hub.Error{Code: hub.EINVALID, Message: "De inhoud kan niet worden gelezen (afgebroken?); er is niets bewaard.", Err: err}
	case len(body) == 0:
		return nil, hub.Errorf(hub.EINVALID, "De inhoud is leeg; er is niets bewaard.")
	}
	return body, nil
}

// waitDocument reads a document until it is done or failed, at most wait
// (and never past the request's time).
func (s *server) waitDocument(ctx context.Context, id string, wait time.Duration) (hub.Document, error) {
	deadline := time.Now().Add(wait)
	pause := 20 * time.Millisecond
	for {
		doc, err := s.store.Document(ctx, id)
		if err != nil || doc.Status == hub.DocDone || doc.Status == hub.DocFailed || !time.Now().Add(pause).Before(deadline) {
			return doc, err
		}
		select {
		case <-ctx.Done():
			return doc, nil
		case <-time.After(pause):
		}
		pause = min(pause*3/2, 250*time.Millisecond)
	}
}

// answerPush answers with the result of a pushed document, after waiting
// at most wait for it to be processed: 200 when it is, 202 when not yet.
func (s *server) answerPush(w http.ResponseWriter, r *http.Request, c caller, purpose, partner, id string, duplicate bool, wait time.Duration) {
	ctx := r.Context()
	if deadline, ok := ctx.Deadline(); ok {
		// Leave time to answer within the request's time.
		wait = min(wait, time.Until(deadline)-time.Second)
	}
	doc, err := s.waitDocument(ctx, id, wait)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := PushResult{DocumentID: doc.ID, Status: doc.Status, Duplicate: duplicate, ReceivedAt: doc.ReceivedAt, FinishedAt: doc.FinishedAt,
		Location: resultPath(partner, doc.ID), Records: []PushRecord{}, Errors: []PushIssue{}, Warnings: []PushIssue{}}
	if doc.Status != hub.DocDone && doc.Status != hub.DocFailed {
		res.Status = pushProcessing
		w.Header().Set("Location", res.Location)
		w.Header().Set("Retry-After", "1")
		s.writeJSON(w, r, http.StatusAccepted, "application/json", res)
		return
	}
	if rc := doc.Receipt; rc != nil {
		counts := rc.Counts
		res.Counts, res.Failure = &counts, rc.Failure
	}
	results, issues, err := s.intake.Results(ctx, partner, doc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res.Records = pushRecords(results, issues, &res)
	if rc := doc.Receipt; doc.Status == hub.DocFailed && rc != nil {
		// The receipt of a failed document says why (DOC_FAILED, DOC_SYNTAX).
		for _, e := range rc.Errors {
			if e.Line == 0 {
				res.Errors = append(res.Errors, PushIssue{Field: e.Field, Code: e.Code, Message: e.Message})
			}
		}
	}
	if err := s.showClients(ctx, c, purpose, partner, res.Records); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Location", res.Location)
	s.writeJSON(w, r, http.StatusOK, "application/json", res)
}

// pushRecords puts the records' outcomes and issues together by record, in
// order; issues about the document as a whole go to res. A failed document
// did not get to all of its records: only those it reached are listed.
func pushRecords(results []store.RecordResult, issues []store.RecordError, res *PushResult) []PushRecord {
	byLine := map[int]*PushRecord{}
	var lines []int
	at := func(line int) *PushRecord {
		pr, ok := byLine[line]
		if !ok {
			pr = &PushRecord{Index: line - 1, Status: RecordRejected, Outcome: store.OutcomeRejected}
			byLine[line] = pr
			lines = append(lines, line)
		}
		return pr
	}
	for _, rr := range results {
		pr := at(rr.Line)
		pr.RecordKey, pr.Outcome, pr.ClientID = rr.RecordKey, rr.Outcome, rr.ClientID
		pr.Status = recordStatus(rr.Outcome)
	}
	for _, e := range issues {
		is := PushIssue{Field: e.Field, Code: e.Code, Message: e.Message}
		if e.Line <= 0 {
			if e.Severity == "warning" {
				res.Warnings = append(res.Warnings, is)
			} else {
				res.Errors = append(res.Errors, is)
			}
			continue
		}
		pr := at(e.Line)
		if pr.RecordKey == "" {
			pr.RecordKey = e.RecordKey
		}
		if e.Severity == "warning" {
			pr.Warnings = append(pr.Warnings, is)
		} else {
			pr.Errors = append(pr.Errors, is)
		}
	}
	slices.Sort(lines)
	out := make([]PushRecord, len(lines))
	for i, line := range lines {
		out[i] = *byLine[line]
	}
	return out
}

// recordStatus is the status of a record with outcome.
func recordStatus(outcome string) string {
	switch outcome {
	case store.OutcomeInserted, store.OutcomeUpdated, store.OutcomeDeleted:
		return RecordAccepted
	case store.OutcomeUnchanged:
		return RecordUnchanged
	}
	return RecordRejected
}

// showClients keeps the chain client of each record only where the push
// named a purpose and the decision point lets the partner see its own
// registration of that client for it (the link is the partner's own data;
// nothing of other partners is shown), and logs every client shown in the
// audit trail before the answer leaves the hub. Without a purpose no
// client is shown.
func (s *server) showClients(ctx context.Context, c caller, purpose, partner string, recs []PushRecord) error {
	var ids []string
	for _, pr := range recs {
		if pr.ClientID != "" && !slices.Contains(ids, pr.ClientID) {
			ids = append(ids, pr.ClientID)
		}
	}
	if purpose == "" || len(ids) == 0 {
		for i := range recs {
			recs[i].ClientID = ""
		}
		return nil
	}
	facts, err := s.facts(ctx, ids)
	if err != nil {
		return err
	}
	reqs := make([]policy.Request, len(ids))
	for i, id := range ids {
		reqs[i] = policy.Request{Subject: c.policy, Purpose: purpose, Operation: policy.ReadFeed, Client: facts[id], Source: partner}
	}
	ds, err := s.decide(ctx, reqs)
	if err != nil {
		return err
	}
	allowed := map[string]bool{}
	for i, d := range ds {
		allowed[ids[i]] = d.Allowed
	}
	for i := range recs {
		if !allowed[recs[i].ClientID] {
			recs[i].ClientID = ""
		}
	}
	events := disclosures(c.event(ctx, audit.TypeDisclosure), purpose, ds)
	for i := range events {
		events[i].Categories = []string{"link"}
	}
	if err := s.audit.Record(ctx, events...); err != nil {
		return fmt.Errorf("audit push result: %w", err)
	}
	return nil
}
