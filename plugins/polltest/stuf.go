package polltest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// StUF is a fake StUF-BG person service: it answers npsLv01 with npsLa01.
type StUF struct {
	*service
	// lastRequest is the body of the latest request, for the tests.
	lastRequest []byte
}

// NewStUF starts a StUF-BG service over persons; their Gemeente is a
// gemeentecode. Close it when done.
func NewStUF(persons ...Person) *StUF {
	s := &StUF{service: newService(persons)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewStUFTLS is NewStUF over TLS; the server asks for a client certificate
// when clientCAs is set and refuses a connection without one.
func NewStUFTLS(configure func(*httptest.Server), persons ...Person) *StUF {
	s := &StUF{service: newService(persons)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if configure != nil {
		configure(s.Server)
	}
	s.StartTLS()
	return s
}

// LastRequest returns the body of the latest request.
func (s *StUF) LastRequest() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRequest
}

// lv01 is the part of an npsLv01 the fake reads.
type lv01 struct {
	Body struct {
		Lv01 struct {
			XMLName    xml.Name
			Parameters struct {
				MaximumAantal int `xml:"maximumAantal"`
			} `xml:"parameters"`
			Vanaf struct {
				TijdstipRegistratie string `xml:"tijdstipRegistratie"`
			} `xml:"vanaf"`
		} `xml:",any"`
	} `xml:"Body"`
}

func (s *StUF) serve(w http.ResponseWriter, r *http.Request) {
	f, persons := s.begin()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.lastRequest = body
	s.mu.Unlock()
	if s.misbehave(w, r, f) {
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if f == Fault {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, faultAnswer)
		return
	}
	var req lv01
	if err := xml.Unmarshal(body, &req); err != nil || req.Body.Lv01.XMLName.Local != "npsLv01" ||
		r.Header.Get("SOAPAction") == "" {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, faultAnswer)
		return
	}
	since := req.Body.Lv01.Vanaf.TijdstipRegistratie
	limit := req.Body.Lv01.Parameters.MaximumAantal
	if limit < 1 {
		limit = 15
	}
	var hits []Person
	for _, p := range persons {
		if tijdstip(p.Changed) >= since {
			hits = append(hits, p)
		}
	}
	more := len(hits) > limit
	hits = hits[:min(limit, len(hits))]
	answer := la01(hits, more)
	if f == Malformed {
		answer = answer[:len(answer)/2]
	}
	_, _ = io.WriteString(w, answer)
}

// tijdstip writes t as a StUF tijdstip of 17 digits, in Dutch time.
func tijdstip(t time.Time) string {
	t = t.In(amsterdam)
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func la01(persons []Person, more bool) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:BG="http://www.egem.nl/StUF/sector/bg/0310" xmlns:StUF="http://www.egem.nl/StUF/StUF0301">
<soapenv:Body><BG:npsLa01>
<BG:stuurgegevens><StUF:berichtcode>La01</StUF:berichtcode><StUF:entiteittype>NPS</StUF:entiteittype></BG:stuurgegevens>
<BG:parameters><StUF:indicatorVervolgvraag>` + strconv.FormatBool(more) + `</StUF:indicatorVervolgvraag></BG:parameters>
<BG:antwoord>
`)
	for _, p := range persons {
		fmt.Fprintf(&b, `<BG:object StUF:entiteittype="NPS" StUF:sleutelVerzendend="%s">`, esc(p.Key))
		elem(&b, "BG:inp.bsn", p.BSN)
		elem(&b, "BG:geslachtsnaam", p.Surname)
		elem(&b, "BG:voorvoegselGeslachtsnaam", p.Prefix)
		elem(&b, "BG:voorletters", p.Initials)
		elem(&b, "BG:voornamen", p.FirstNames)
		elem(&b, "BG:geslachtsaanduiding", p.Gender)
		birth, ind := stufDate(p.BirthDate)
		if birth != "" {
			fmt.Fprintf(&b, `<BG:geboortedatum StUF:indOnvolledigeDatum="%s">%s</BG:geboortedatum>`, ind, birth)
		}
		elem(&b, "BG:inp.gemeenteVanInschrijving", p.Gemeente)
		elem(&b, "StUF:tijdstipRegistratie", tijdstip(p.Changed))
		b.WriteString("</BG:object>\n")
	}
	b.WriteString("</BG:antwoord>\n</BG:npsLa01></soapenv:Body></soapenv:Envelope>\n")
	return b.String()
}

// stufDate writes jjjj-mm-dd (with 00 for unknown parts) as a StUF date
// with its StUF:indOnvolledigeDatum: M when only the year is known, D when
// the day is not.
func stufDate(d string) (string, string) {
	v := strings.ReplaceAll(d, "-", "")
	switch {
	case len(v) != 8:
		return "", ""
	case v[4:] == "0000":
		return v, "M"
	case v[6:] == "00":
		return v, "D"
	}
	return v, "V"
}

func elem(b *strings.Builder, name, v string) {
	if v == "" {
		fmt.Fprintf(b, `<%s xsi:nil="true" StUF:noValue="geenWaarde"/>`, name)
		return
	}
	fmt.Fprintf(b, "<%s>%s</%s>", name, esc(v), name)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// faultAnswer is a SOAP fault with a StUF Fo02, whose texts name a person
// (as real ones do): the adapter must not pass them on.
const faultAnswer = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:StUF="http://www.egem.nl/StUF/StUF0301">
<soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Fout bij BSN 999990007</faultstring>
<detail><StUF:Fo02Bericht><StUF:stuurgegevens><StUF:berichtcode>Fo02</StUF:berichtcode></StUF:stuurgegevens>
<StUF:body><StUF:code>StUF046</StUF:code><StUF:plek>server</StUF:plek><StUF:omschrijving>Persoon 999990007 niet leesbaar</StUF:omschrijving></StUF:body>
</StUF:Fo02Bericht></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>
`
