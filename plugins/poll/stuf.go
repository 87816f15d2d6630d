package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// The cursor of the stuf-bg mode is a StUF tijdstip of 17 digits, the
// tijdstipRegistratie the next request asks from (inclusive), followed by
// ";" and how many objects with exactly that tijdstip the hub already has
// when it has any: "20250301093000000;2". It holds no personal data.

// stufCursor is a parsed cursor.
type stufCursor struct {
	since string // 17 digits
	seen  int
}

func (c stufCursor) String() string {
	if c.seen == 0 {
		return c.since
	}
	return c.since + ";" + strconv.Itoa(c.seen)
}

// parseStUFCursor reads a cursor; "" gives start.
func parseStUFCursor(s, start string) (stufCursor, error) {
	if s == "" {
		return stufCursor{since: start}, nil
	}
	since, seen, found := strings.Cut(s, ";")
	c := stufCursor{since: normaliseTijdstip(since)}
	if c.since == "" {
		return c, errors.New("no tijdstip")
	}
	if found {
		n, err := strconv.Atoi(seen)
		if err != nil || n < 0 || n > 1<<20 {
			return c, errors.New("no count")
		}
		c.seen = n
	}
	return c, nil
}

// normaliseTijdstip returns a StUF tijdstip (8 to 17 digits) padded with
// zeros to 17 digits, or "" for anything else.
func normaliseTijdstip(s string) string {
	if len(s) < 8 || len(s) > 17 || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return ""
	}
	return s + strings.Repeat("0", 17-len(s))
}

// parseTijdstip reads a StUF tijdstip in loc, or an RFC 3339 time.
func parseTijdstip(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	n := normaliseTijdstip(s)
	if n == "" {
		return time.Time{}, errors.New("no StUF tijdstip")
	}
	t, err := time.ParseInLocation("20060102150405", n[:14], loc)
	if err != nil {
		return time.Time{}, err
	}
	ms, _ := strconv.Atoi(n[14:])
	return t.Add(time.Duration(ms) * time.Millisecond), nil
}

// formatTijdstip writes t in loc as a StUF tijdstip of 17 digits.
func formatTijdstip(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// pollStUF asks a StUF-BG person service for the persons registered or
// changed from the cursor's tijdstip on (npsLv01 with a vanaf selection on
// tijdstipRegistratie), and reads the npsLa01 answer. A SOAP fault is a
// POLL_FAULT error; an answer with nothing the hub does not have yet is not
// written.
func pollStUF(ctx context.Context, p *plan, cursor string, out io.Writer) (sdk.PollResult, error) {
	loc := p.mapping.Loc
	start := defaultStUFStart
	if s := p.cfg.StUF.Start; s != "" {
		t, _ := parseTijdstip(s, loc)
		start = formatTijdstip(t, loc)
	}
	cur, err := parseStUFCursor(cursor, start)
	if err != nil {
		return sdk.PollResult{}, &sdk.PollError{Code: sdk.CodePollCursor,
			Message: "de cursor die de hub bewaart is geen StUF-cursor (tijdstip[;aantal]); is de modus veranderd?"}
	}
	now := time.Now()
	body := stufRequest(p, cur, now)
	req, err := http.NewRequest(http.MethodPost, p.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return sdk.PollResult{}, fmt.Errorf("poll: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+*p.cfg.StUF.SOAPAction+`"`)
	ans, err := p.client.do(ctx, req)
	if err != nil {
		return sdk.PollResult{}, err
	}
	var stamps []string // the tijdstipRegistratie of every object; "" when it has none
	a, rerr := readStUF(ctx, bytes.NewReader(ans.body), func(o *stufObject) error {
		stamps = append(stamps, normaliseTijdstip(o.leaves["/tijdstipRegistratie"]))
		return nil
	})
	if a.fault != nil {
		return sdk.PollResult{}, &sdk.PollError{Code: sdk.CodePollFault, Message: a.fault.message()}
	}
	if ans.status/100 != 2 {
		return sdk.PollResult{}, statusError(ans.status)
	}
	if ctx.Err() != nil {
		return sdk.PollResult{}, timeoutError()
	}
	res := sdk.PollResult{Name: pageName("stuf-bg", ".xml"), MediaType: ans.contentType, NextCursor: cur.String(), Items: len(stamps)}
	if rerr != nil {
		res.Problem = &sdk.PollError{Code: sdk.CodePollResponse, Message: "het antwoord is geen leesbaar npsLa01-bericht (" + describeXMLError(rerr) +
			"); de cursor blijft staan tot de webservice een leesbaar antwoord geeft"}
	} else {
		nextStUF(&res, a, cur, stamps, ans.date, now, loc)
	}
	if res.Items > 0 || res.Problem != nil {
		if _, err := out.Write(ans.body); err != nil {
			return sdk.PollResult{}, fmt.Errorf("poll: write page: %w", err)
		}
	}
	return res, nil
}

// nextStUF sets the next cursor, and whether more follows, from the
// tijdstippen of an answer's objects. An answer with only the objects the
// hub has (at the cursor's tijdstip) gives Items 0: nothing is stored.
func nextStUF(res *sdk.PollResult, a stufAnswer, cur stufCursor, stamps []string, served, asked time.Time, loc *time.Location) {
	if len(stamps) == 0 {
		return
	}
	if slices.Contains(stamps, "") {
		// Without tijdstippen the answer cannot be continued from an
		// object: go on from the service's time of the answer.
		if a.vervolg {
			res.Problem = &sdk.PollError{Code: sdk.CodePollResponse, Message: "het antwoord is afgekapt (indicatorVervolgvraag) maar niet elk object heeft een tijdstipRegistratie, zodat de hub niet verder kan vragen; verhoog page_size of vraag de partner tijdstipRegistratie mee te geven"}
			return
		}
		at := normaliseTijdstip(a.tijdstipBericht)
		if at == "" {
			at = formatTijdstip(cmpTime(served, asked), loc)
		}
		if at > cur.since {
			res.NextCursor = stufCursor{since: at}.String()
		}
		return
	}
	latest, atLatest, newer, atCursor := "", 0, 0, 0
	for _, s := range stamps {
		switch {
		case s > latest:
			latest, atLatest = s, 1
		case s == latest:
			atLatest++
		}
		if s > cur.since {
			newer++
		} else if s == cur.since {
			atCursor++
		}
	}
	if newer == 0 && atCursor <= cur.seen {
		res.Items = 0
		return
	}
	res.NextCursor = stufCursor{since: latest, seen: atLatest}.String()
	res.More = a.vervolg
}

// cmpTime returns t, or else when t is zero.
func cmpTime(t, orElse time.Time) time.Time {
	if t.IsZero() {
		return orElse
	}
	return t
}

// describeXMLError says in Dutch what is wrong with an answer.
func describeXMLError(err error) string {
	var se *xml.SyntaxError
	var st errStructure
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("geen goed gevormde XML vanaf regel %d", se.Line)
	case errors.As(err, &st):
		return st.msg
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "de XML houdt midden in op"
	}
	return "niet te lezen"
}

// stufRequest writes the npsLv01 of a poll: the persons with a
// tijdstipRegistratie from the cursor's on, at most page_size more than the
// cursor's count of objects already held, with the elements the mapping
// reads in the scope.
func stufRequest(p *plan, cur stufCursor, now time.Time) []byte {
	s := p.cfg.StUF
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + nsSOAP11 + `" xmlns:StUF="` + nsStUF + `" xmlns:BG="` + nsBG + `" xmlns:xsi="` + nsXSI + `">` + "\n")
	b.WriteString("<soapenv:Header/>\n<soapenv:Body>\n<BG:npsLv01>\n<BG:stuurgegevens>\n<StUF:berichtcode>Lv01</StUF:berichtcode>\n")
	writeSystem(&b, "zender", s.Zender)
	writeSystem(&b, "ontvanger", s.Ontvanger)
	writeElem(&b, "StUF:referentienummer", newReference())
	writeElem(&b, "StUF:tijdstipBericht", formatTijdstip(now, p.mapping.Loc))
	b.WriteString("<StUF:entiteittype>NPS</StUF:entiteittype>\n</BG:stuurgegevens>\n<BG:parameters>\n")
	writeElem(&b, "StUF:sortering", strconv.Itoa(s.Sortering))
	b.WriteString("<StUF:indicatorVervolgvraag>false</StUF:indicatorVervolgvraag>\n")
	writeElem(&b, "StUF:maximumAantal", strconv.Itoa(p.cfg.PageSize+cur.seen))
	b.WriteString("<StUF:indicatorAfnemerIndicatie>false</StUF:indicatorAfnemerIndicatie>\n<StUF:indicatorAantal>false</StUF:indicatorAantal>\n</BG:parameters>\n")
	b.WriteString(`<BG:gelijk StUF:entiteittype="NPS"/>` + "\n")
	b.WriteString(`<BG:vanaf StUF:entiteittype="NPS">` + "\n")
	writeElem(&b, "StUF:tijdstipRegistratie", cur.since)
	b.WriteString("</BG:vanaf>\n" + `<BG:scope>` + "\n" + `<BG:object StUF:entiteittype="NPS">` + "\n")
	writeScope(&b, scopeTree(p))
	b.WriteString("</BG:object>\n</BG:scope>\n</BG:npsLv01>\n</soapenv:Body>\n</soapenv:Envelope>\n")
	return b.Bytes()
}

func writeSystem(b *bytes.Buffer, name string, s System) {
	b.WriteString("<StUF:" + name + ">\n")
	for _, f := range []struct{ el, v string }{{"organisatie", s.Organisatie}, {"applicatie", s.Applicatie},
		{"administratie", s.Administratie}, {"gebruiker", s.Gebruiker}} {
		if f.v != "" {
			writeElem(b, "StUF:"+f.el, f.v)
		}
	}
	b.WriteString("</StUF:" + name + ">\n")
}

func writeElem(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">\n")
}

// scopeNode is an element of the scope: the elements the mapping reads.
type scopeNode struct {
	name     string
	children []*scopeNode
}

// scopeTree returns the elements of the mapping's sources, plus inp.bsn and
// tijdstipRegistratie, which the adapter itself reads, in a stable order.
func scopeTree(p *plan) []*scopeNode {
	var root []*scopeNode
	add := func(path string) {
		level := &root
		for _, name := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			i := slices.IndexFunc(*level, func(n *scopeNode) bool { return n.name == name })
			if i < 0 {
				*level = append(*level, &scopeNode{name: name})
				i = len(*level) - 1
			}
			level = &(*level)[i].children
		}
	}
	add("/inp.bsn")
	for _, src := range p.mapping.Inputs {
		if src.Key != keySource && src.Key != "/tijdstipRegistratie" {
			add(src.Key)
		}
	}
	add("/tijdstipRegistratie")
	return root
}

// stufElements are the elements of an object in the StUF namespace rather
// than the sector model's.
var stufElements = map[string]bool{"tijdstipRegistratie": true, "tijdvakGeldigheid": true, "tijdvakObject": true,
	"beginGeldigheid": true, "eindGeldigheid": true, "extraElementen": true}

func writeScope(b *bytes.Buffer, nodes []*scopeNode) {
	for _, n := range nodes {
		var name strings.Builder
		if stufElements[n.name] {
			name.WriteString("StUF:")
		} else {
			name.WriteString("BG:")
		}
		_ = xml.EscapeText(&name, []byte(n.name))
		if len(n.children) == 0 {
			b.WriteString("<" + name.String() + ` xsi:nil="true"/>` + "\n")
			continue
		}
		b.WriteString("<" + name.String() + ">\n")
		writeScope(b, n.children)
		b.WriteString("</" + name.String() + ">\n")
	}
}

// newReference returns a fresh StUF referentienummer.
func newReference() string {
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
