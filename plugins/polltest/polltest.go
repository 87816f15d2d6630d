// Package polltest has fake partner webservices for the tests of the poll
// adapter and of the hub: a JSON REST service that pages by cursor and a
// StUF-BG person service that answers npsLv01 with npsLa01. Both serve a
// list of made-up persons over real HTTP (httptest), can be told to fail
// (HTTP 500, hang, a malformed answer, a SOAP fault), and count their
// requests.
//
// The REST service answers GET with ?cursor= and ?limit= (default 100):
//
//	{"data": [{"dossiernummer": "...", "bsn": "...", "naam": {"achternaam": "...",
//	  "voorvoegsel": "...", "voorletters": "...", "voornamen": "..."}, "geboortedatum": "jjjj-mm-dd",
//	  "geslacht": "M|V|O", "gemeente": "...", "gewijzigd_op": "RFC 3339"}, ...],
//	 "meta": {"next_cursor": "..." or null, "has_more": true|false}}
//
// in the order of Person.Changed, the cursor being an opaque token. The
// StUF-BG service answers a POST of an npsLv01 with the persons whose
// tijdstipRegistratie is at or after the one in its vanaf selection, in
// that order, at most maximumAantal, with indicatorVervolgvraag set when
// there are more.
package polltest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Person is one made-up person of a fake service.
type Person struct {
	Key        string // the record key: dossiernummer (REST), StUF:sleutelVerzendend (StUF-BG)
	BSN        string
	Surname    string
	Prefix     string // voorvoegsel
	Initials   string
	FirstNames string
	// BirthDate is jjjj-mm-dd; jjjj-mm-00 or jjjj-00-00 for a partly
	// unknown date.
	BirthDate string
	Gender    string // M, V or O
	Gemeente  string // a name (REST) or a gemeentecode (StUF-BG)
	Changed   time.Time
}

// Failure is how a fake service misbehaves.
type Failure string

// The failures of a fake service.
const (
	OK        Failure = ""          // answer normally
	Status500 Failure = "500"       // HTTP 500 without a body worth reading
	Hang      Failure = "hang"      // never answer (until the request is cancelled or the server closes)
	Malformed Failure = "malformed" // HTTP 200 with an answer that is cut off in the middle
	Fault     Failure = "fault"     // a SOAP fault (StUF-BG only) with a StUF Fo02
	Refuse    Failure = "refuse"    // HTTP 401
)

// service is what both fakes share: the persons, the failure mode and the
// request count.
type service struct {
	*httptest.Server
	mu       sync.Mutex
	persons  []Person
	failure  Failure
	requests int
	hanging  chan struct{} // closed by Close, to release hanging requests
}

func newService(persons []Person) *service {
	return &service{persons: sortedPersons(persons), hanging: make(chan struct{})}
}

func sortedPersons(ps []Person) []Person {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Person) int { return a.Changed.Compare(b.Changed) })
	return out
}

// Add adds persons (or, for a known Key, their new state).
func (s *service) Add(ps ...Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.persons = slices.DeleteFunc(s.persons, func(q Person) bool { return q.Key == p.Key })
		s.persons = append(s.persons, p)
	}
	s.persons = sortedPersons(s.persons)
}

// SetFailure makes the service misbehave from the next request on.
func (s *service) SetFailure(f Failure) {
	s.mu.Lock()
	s.failure = f
	s.mu.Unlock()
}

// Requests returns how many requests the service got.
func (s *service) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Close releases hanging requests and shuts the server down.
func (s *service) Close() {
	s.mu.Lock()
	select {
	case <-s.hanging:
	default:
		close(s.hanging)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// begin counts a request and returns the failure mode and a snapshot of the
// persons.
func (s *service) begin() (Failure, []Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	return s.failure, slices.Clone(s.persons)
}

// misbehave handles the failures that are the same for both fakes; it
// reports whether it answered.
func (s *service) misbehave(w http.ResponseWriter, r *http.Request, f Failure) bool {
	switch f {
	case Status500:
		http.Error(w, "interne fout", http.StatusInternalServerError)
	case Refuse:
		http.Error(w, "niet aangemeld", http.StatusUnauthorized)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.hanging:
		}
	default:
		return false
	}
	return true
}
