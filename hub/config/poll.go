package config

import (
	"fmt"
	"strings"
	"time"
)

// CodePoll means a poll section or adapter.env cannot work as written.
const CodePoll = "CONFIG_POLL"

// Defaults of a poll section.
const (
	DefaultPollInterval   = 5 * time.Minute
	DefaultPollTimeout    = time.Minute
	DefaultPollMaxPages   = 20
	DefaultPollMaxBackoff = 30 * time.Minute
)

// Poll is how the hub polls a partner's webservice through its adapter
// (hub/poll): how often, how long one poll may take and how it backs off.
type Poll struct {
	Interval time.Duration
	// Jitter moves every poll randomly by up to this much, earlier or
	// later; below Interval.
	Jitter  time.Duration
	Timeout time.Duration
	// MaxPages bounds the pages fetched one after the other in one round.
	MaxPages int
	// MaxBackoff bounds the wait after failed polls; at least Interval.
	MaxBackoff time.Duration
}

// pollFile mirrors the poll section for decoding.
type pollFile struct {
	Interval   string `json:"interval"`
	Jitter     string `json:"jitter"`
	Timeout    string `json:"timeout"`
	MaxPages   int    `json:"max_pages"`
	MaxBackoff string `json:"max_backoff"`
}

// loadPoll reads the poll section of a partner file into p.Poll and checks
// the adapter's environment variables. bad holds the fields with schema
// problems.
func (p *Partner) loadPoll(bad map[string]bool) Errors {
	var errs Errors
	for i, name := range p.Adapter.Env {
		if strings.HasPrefix(name, "KETENHUB_") {
			errs = append(errs, p.doc.at("", fmt.Sprintf("/adapter/env/%d", i), false, CodePoll,
				"KETENHUB_-variabelen zijn van de hub zelf (database, sleutels) en gaan nooit naar een adapter; kies een eigen naam"))
		}
	}
	v := valueAt(p.doc.value, "/poll")
	if v == nil || bad["poll"] {
		return errs
	}
	var pf pollFile
	decode(v, &pf)
	pl := &Poll{Interval: DefaultPollInterval, Timeout: DefaultPollTimeout, MaxPages: DefaultPollMaxPages}
	if pf.MaxPages > 0 {
		pl.MaxPages = pf.MaxPages
	}
	durations := []struct {
		name, text string
		dst        *time.Duration
	}{
		{"interval", pf.Interval, &pl.Interval},
		{"timeout", pf.Timeout, &pl.Timeout},
		{"jitter", pf.Jitter, &pl.Jitter},
		{"max_backoff", pf.MaxBackoff, &pl.MaxBackoff},
	}
	set := map[string]bool{}
	for _, d := range durations {
		if d.text == "" || bad["poll."+d.name] {
			continue
		}
		if val, e, ok := parseDuration(p.doc, "/poll/"+d.name, d.text, d.name != "jitter"); ok {
			*d.dst, set[d.name] = val, true
		} else {
			errs = append(errs, e)
		}
	}
	if !set["jitter"] {
		pl.Jitter = pl.Interval / 10
	}
	if !set["max_backoff"] {
		pl.MaxBackoff = max(DefaultPollMaxBackoff, pl.Interval)
	}
	if p.Export.Kind == ExportFull && p.Export.Missing == MissingEnd {
		errs = append(errs, p.doc.at("", "/export/missing", false, CodePoll,
			"een bevraagde partner levert pagina's, geen volledige bestanden: missing: end zou de registraties beëindigen die op een andere pagina staan; gebruik keep of kind: delta"))
	}
	switch {
	case pl.Jitter >= pl.Interval:
		errs = append(errs, p.doc.at("", "/poll/jitter", false, CodePoll, "jitter moet kleiner zijn dan interval"))
	case pl.MaxBackoff < pl.Interval:
		errs = append(errs, p.doc.at("", "/poll/max_backoff", false, CodePoll, "max_backoff mag niet kleiner zijn dan interval"))
	}
	p.Poll = pl
	return errs
}

// PollProblem builds a problem about the poll section of p (the whole
// partner file when it has none), located in the partner's YAML file.
func (p *Partner) PollProblem(code, message string) Error {
	if p.doc == nil {
		return Error{File: p.shownFile(), Field: "poll", Code: code, Message: message}
	}
	return p.doc.at("", "/poll", true, code, message)
}
