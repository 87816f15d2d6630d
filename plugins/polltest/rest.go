package polltest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// REST is a fake JSON REST service that pages by cursor.
type REST struct {
	*service
	token string
}

// NewREST starts a REST service over persons that wants the header
// "Authorization: Bearer <token>" (any or none when token is empty).
// Close it when done.
func NewREST(token string, persons ...Person) *REST {
	s := &REST{service: newService(persons), token: token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// restItem is one item of a page.
type restItem struct {
	Dossiernummer string   `json:"dossiernummer"`
	BSN           *string  `json:"bsn"`
	Naam          restName `json:"naam"`
	Geboortedatum string   `json:"geboortedatum,omitempty"`
	Geslacht      string   `json:"geslacht,omitempty"`
	Gemeente      string   `json:"gemeente,omitempty"`
	GewijzigdOp   string   `json:"gewijzigd_op"`
}

type restName struct {
	Achternaam  string `json:"achternaam"`
	Voorvoegsel string `json:"voorvoegsel,omitempty"`
	Voorletters string `json:"voorletters,omitempty"`
	Voornamen   string `json:"voornamen,omitempty"`
}

type restPage struct {
	Data []restItem `json:"data"`
	Meta struct {
		NextCursor *string `json:"next_cursor"`
		HasMore    bool    `json:"has_more"`
	} `json:"meta"`
}

func (s *REST) serve(w http.ResponseWriter, r *http.Request) {
	f, persons := s.begin()
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "niet aangemeld", http.StatusUnauthorized)
		return
	}
	if s.misbehave(w, r, f) {
		return
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 {
		limit = 100
	}
	from := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		if from, err = decodeCursor(c); err != nil {
			http.Error(w, "onbekende cursor", http.StatusBadRequest)
			return
		}
	}
	from = min(from, len(persons))
	end := min(from+limit, len(persons))
	var page restPage
	page.Data = []restItem{}
	for _, p := range persons[from:end] {
		page.Data = append(page.Data, restItemOf(p))
	}
	next := encodeCursor(end)
	page.Meta.NextCursor = &next
	page.Meta.HasMore = end < len(persons)
	body, err := json.Marshal(page)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if f == Malformed {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func restItemOf(p Person) restItem {
	it := restItem{Dossiernummer: p.Key, Naam: restName{Achternaam: p.Surname, Voorvoegsel: p.Prefix, Voorletters: p.Initials,
		Voornamen: p.FirstNames}, Geboortedatum: p.BirthDate, Geslacht: p.Gender, Gemeente: p.Gemeente,
		GewijzigdOp: p.Changed.UTC().Format(time.RFC3339Nano)}
	if p.BSN != "" {
		bsn := p.BSN
		it.BSN = &bsn
	}
	return it
}

// The cursor is the offset of the next person, opaque to the client.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o=" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimPrefix(string(b), "o="))
}
