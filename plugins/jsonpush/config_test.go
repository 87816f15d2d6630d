package main

import (
	"context"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

func TestConfigure(t *testing.T) {
	const fields = `"fields": {"/nr": "source.record_key", "/naam": "client.surname"}`
	tests := []struct {
		name      string
		config    string
		wantField string // JSON pointer of the *sdk.ConfigError; "-" for success
		wantMsg   string
	}{
		{name: "OK/Minimal", config: `{` + fields + `}`, wantField: "-"},
		{name: "OK/Example", config: "", wantField: "-"},
		{name: "OK/EscapedPointer", config: `{"fields": {"/nr": "source.record_key", "/a~1b/c~0d": "client.surname"}}`, wantField: "-"},
		{name: "OK/DomainTableWithoutDomainFields", config: `{` + fields + `, "life_domains": {"array": "/lg", "name": "/n", "status": "/s"}, "values": {"life_domains.*.status": {"map": {"?": "onbekend"}}}}`, wantField: "-"},
		{name: "ErrNoJSON", config: `{`, wantField: "", wantMsg: "geen geldige JSON"},
		{name: "ErrNoFields", config: `{}`, wantField: "", wantMsg: "fields"},
		{name: "ErrUnknownSetting", config: `{"kolommen": {}, ` + fields + `}`, wantField: "/kolommen", wantMsg: "onbekende instelling"},
		{name: "ErrNotAPointer", config: `{"fields": {"nr": "source.record_key", "/naam": "client.surname"}}`, wantField: "/fields/nr", wantMsg: "geen JSON-pointer"},
		{name: "ErrBadTilde", config: `{"fields": {"/nr~2": "source.record_key", "/naam": "client.surname"}}`, wantField: "/fields/~1nr~02", wantMsg: "geen JSON-pointer"},
		{name: "ErrUnknownTarget", config: `{"fields": {"/nr": "source.record_key", "/naam": "client.achternaam"}}`, wantField: "/fields/~1naam", wantMsg: "onbekend doelveld"},
		{name: "ErrTargetTwice", config: `{"fields": {"/nr": "source.record_key", "/naam": "client.surname", "/naam2": "client.surname"}}`, wantField: "/fields/~1naam2", wantMsg: "uit /naam"},
		{name: "ErrNoRecordKey", config: `{"fields": {"/naam": "client.surname"}}`, wantField: "/fields", wantMsg: "geen veld voor source.record_key"},
		{name: "ErrNoIdentity", config: `{"fields": {"/nr": "source.record_key", "/gem": "municipality"}}`, wantField: "/fields", wantMsg: "client.bsn of client.surname"},
		{name: "ErrBadRegex", config: `{"fields": {"/nr": "source.record_key", "/naam": "client.surname", "/rv": {"pattern": "(?P<n>[a-", "groups": {"n": "responsible_worker.name"}}}}`, wantField: "/fields/~1rv/pattern", wantMsg: "reguliere expressie"},
		{name: "ErrRecordsWithNDJSON", config: `{"format": "ndjson", "records": "/r", ` + fields + `}`, wantField: "/records", wantMsg: "ndjson"},
		{name: "ErrRecordsNotAPointer", config: `{"records": "registraties", ` + fields + `}`, wantField: "/records", wantMsg: "vorm"},
		{name: "ErrDomainPointer", config: `{` + fields + `, "life_domains": {"array": "lg", "name": "/n", "status": "/s"}}`, wantField: "/life_domains/array", wantMsg: "geen JSON-pointer"},
		{name: "ErrFormat", config: `{"format": "xml", ` + fields + `}`, wantField: "/format", wantMsg: "toegestaan"},
		{name: "ErrMaxRecordBytes", config: `{"max_record_bytes": 10, ` + fields + `}`, wantField: "/max_record_bytes", wantMsg: "te klein"},
		{name: "ErrDomainsWithoutStatus", config: `{` + fields + `, "life_domains": {"array": "/lg", "name": "/n"}}`, wantField: "/life_domains", wantMsg: "status"},
		{name: "ErrDomainName", config: `{` + fields + `, "life_domains": {"array": "/lg", "name": "/n", "status": "/s", "names": {"Huisvesting": "Wonen"}}}`, wantField: "/life_domains/names/Huisvesting", wantMsg: "vorm"},
		{name: "ErrDomainNameTwice", config: `{` + fields + `, "life_domains": {"array": "/lg", "name": "/n", "status": "/s", "names": {"Huisvesting": "wonen", "huisvesting": "inkomen"}}}`, wantField: "/life_domains/names/huisvesting", wantMsg: "al in de tabel"},
		{name: "ErrDomainTableWithoutDomains", config: `{` + fields + `, "values": {"life_domains.*.status": {"map": {"?": "onbekend"}}}}`, wantField: "/values/life_domains.*.status", wantMsg: "geen veld"},
		{name: "ErrValueNotAllowed", config: `{"fields": {"/nr": "source.record_key", "/naam": "client.surname", "/g": "client.gender"}, "values": {"client.gender": {"map": {"M": "mannelijk"}}}}`, wantField: "/values/client.gender/map/M", wantMsg: "man, vrouw, onbekend"},
		{name: "ErrPrefixModeColumn", config: `{"surname_prefix_mode": "column", ` + fields + `}`, wantField: "/surname_prefix_mode", wantMsg: "een veld voor client.surname_prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := []byte(tt.config)
			if tt.config == "" {
				config = exampleConfig(t)
			}
			a := newAdapter()
			sdktest.WantConfigError(t, a.Configure(context.Background(), testPartner, config), tt.wantField, tt.wantMsg)
			if tt.wantField == "-" {
				return
			}
			if a.plan.Load() != nil {
				t.Error("a failed Configure installed a configuration")
			}
		})
	}
}
