package main

import (
	"context"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdktest"
)

func TestConfigure(t *testing.T) {
	const cols = `"columns": {"nr": "source.record_key", "naam": "client.surname"}`
	tests := []struct {
		name      string
		partner   string
		config    string
		wantField string // JSON pointer of the *sdk.ConfigError; "-" for success
		wantMsg   string
	}{
		{name: "OK/Minimal", config: `{` + cols + `}`, wantField: "-"},
		{name: "OK/Tab", config: `{"delimiter": "tab", ` + cols + `}`, wantField: "-"},
		{name: "OK/QuotingOff", config: `{"quote": "", ` + cols + `}`, wantField: "-"},
		{name: "OK/NoHeader", config: `{"header": false, "columns": {"1": "source.record_key", "3": "client.bsn"}}`, wantField: "-"},
		{name: "OK/PartnerExample", config: string(partnerConfig(t, "ggz-oost")), wantField: "-"},
		{name: "ErrNoJSON", config: `{`, wantField: "", wantMsg: "geen geldige JSON"},
		{name: "ErrPartnerName", partner: "GGZ Oost", config: `{` + cols + `}`, wantField: "", wantMsg: "partnernaam"},
		{name: "ErrUnknownSetting", config: `{"delimitter": ";", ` + cols + `}`, wantField: "/delimitter", wantMsg: "onbekende instelling"},
		{name: "ErrNoColumns", config: `{}`, wantField: "", wantMsg: "columns"},
		{name: "ErrUnknownTarget", config: `{"columns": {"nr": "source.record_key", "naam": "client.achternaam"}}`, wantField: "/columns/naam", wantMsg: "onbekend doelveld"},
		{name: "ErrUnknownTargetInGroup", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "rv": {"pattern": "(?P<n>.*)", "groups": {"n": "worker.name"}}}}`, wantField: "/columns/rv/groups/n", wantMsg: "onbekend doelveld"},
		{name: "ErrBadEncoding", config: `{"encoding": "latin-1", ` + cols + `}`, wantField: "/encoding", wantMsg: "windows-1252"},
		{name: "ErrWrongType", config: `{"header": "ja", ` + cols + `}`, wantField: "/header", wantMsg: "verkeerd soort waarde"},
		{name: "ErrDelimiterTwoChars", config: `{"delimiter": ";;", ` + cols + `}`, wantField: "/delimiter", wantMsg: "één teken"},
		{name: "ErrQuoteIsDelimiter", config: `{"delimiter": "'", "quote": "'", ` + cols + `}`, wantField: "/quote", wantMsg: "verschillen"},
		{name: "ErrBadRegex", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "rv": {"pattern": "(?P<n>[a-", "groups": {"n": "responsible_worker.name"}}}}`, wantField: "/columns/rv/pattern", wantMsg: "reguliere expressie"},
		{name: "ErrGroupWithoutTarget", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "rv": {"pattern": "(?P<n>.*) (?P<o>.*)", "groups": {"n": "responsible_worker.name"}}}}`, wantField: "/columns/rv/groups", wantMsg: "'o'"},
		{name: "ErrTargetWithoutGroup", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "rv": {"pattern": "(?P<n>.*)", "groups": {"n": "responsible_worker.name", "x": "responsible_worker.organisation"}}}}`, wantField: "/columns/rv/groups/x", wantMsg: "benoemde groep"},
		{name: "ErrBadDateLayout", config: `{"date_layouts": ["dd-mm-jjjj"], ` + cols + `}`, wantField: "/date_layouts/0", wantMsg: "02-01-2006 voor dd-mm-jjjj"},
		{name: "ErrTwoDigitYear", config: `{"date_layouts": ["2006-01-02", "02-01-06"], ` + cols + `}`, wantField: "/date_layouts/1", wantMsg: "twee cijfers"},
		{name: "ErrBadDateTimeLayout", config: `{"datetime_layouts": ["15:04"], ` + cols + `}`, wantField: "/datetime_layouts/0", wantMsg: "notatie"},
		{name: "ErrTimezone", config: `{"timezone": "Europe/Tiel", ` + cols + `}`, wantField: "/timezone", wantMsg: "tijdzone"},
		{name: "ErrNoRecordKey", config: `{"columns": {"naam": "client.surname"}}`, wantField: "/columns", wantMsg: "source.record_key"},
		{name: "ErrNoIdentity", config: `{"columns": {"nr": "source.record_key", "gem": "municipality"}}`, wantField: "/columns", wantMsg: "client.bsn of client.surname"},
		{name: "ErrTargetTwice", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "naam2": "client.surname"}}`, wantField: "/columns/naam2", wantMsg: "kolom 'naam'"},
		{name: "ErrColumnTwice", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "NAAM": "client.first_names"}}`, wantField: "/columns/naam", wantMsg: "twee keer"},
		{name: "ErrIndexWithoutHeader", config: `{"header": false, ` + cols + `}`, wantField: "/columns/naam", wantMsg: "positie"},
		{name: "ErrPrefixModeColumnWithoutColumn", config: `{"surname_prefix_mode": "column", ` + cols + `}`, wantField: "/surname_prefix_mode", wantMsg: "client.surname_prefix"},
		{name: "ErrPrefixColumnWithInside", config: `{"surname_prefix_mode": "inside", "columns": {"nr": "source.record_key", "naam": "client.surname", "tv": "client.surname_prefix"}}`, wantField: "/surname_prefix_mode", wantMsg: "column"},
		{name: "ErrDomainDateWithoutStatus", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "d": "life_domains.wonen.date"}}`, wantField: "/columns", wantMsg: "wonen"},
		{name: "ErrBadDomainName", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "w": "life_domains.Wonen.status"}}`, wantField: "/columns/w", wantMsg: "onbekend doelveld"},
		{name: "ErrValueNotAllowed", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "g": "client.gender"}, "values": {"client.gender": {"map": {"M": "mannelijk"}}}}`, wantField: "/values/client.gender/map/M", wantMsg: "man, vrouw, onbekend"},
		{name: "ErrValueCodeTwice", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "g": "client.gender"}, "values": {"client.gender": {"map": {"m": "man", "M": "vrouw"}}}}`, wantField: "/values/client.gender/map/m", wantMsg: "al in de tabel"},
		{name: "ErrValueTableWithoutColumn", config: `{` + cols + `, "values": {"client.gender": {"map": {"M": "man"}}}}`, wantField: "/values/client.gender", wantMsg: "geen kolom"},
		{name: "ErrValueTableUnknownTarget", config: `{` + cols + `, "values": {"client.sex": {"map": {"M": "man"}}}}`, wantField: "/values/client.sex", wantMsg: "onbekend doelveld"},
		{name: "ErrKeepForFixedValues", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "g": "client.gender"}, "values": {"client.gender": {"map": {"M": "man"}, "unknown": "keep"}}}`, wantField: "/values/client.gender/unknown", wantMsg: "keep"},
		{name: "ErrDefaultMissing", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "g": "client.gender"}, "values": {"client.gender": {"map": {"M": "man"}, "unknown": "default"}}}`, wantField: "/values/client.gender/default", wantMsg: "default"},
		{name: "ErrDefaultNotAllowed", config: `{"columns": {"nr": "source.record_key", "naam": "client.surname", "g": "client.gender"}, "values": {"client.gender": {"map": {"M": "man"}, "unknown": "default", "default": "x"}}}`, wantField: "/values/client.gender/default", wantMsg: "toegestaan"},
		{name: "ErrMaxRecordBytes", config: `{"max_record_bytes": 10, ` + cols + `}`, wantField: "/max_record_bytes", wantMsg: "te klein"},
		{name: "ErrPointerEscaped", config: `{"columns": {"nr": "source.record_key", "m/v": "client.gender", "naam": "client.surname"}, "values": {"client.gender": {"map": {"M": "x"}}}}`, wantField: "/values/client.gender/map/M", wantMsg: "toegestane waarde"},
		{name: "ErrPointerEscapedColumn", config: `{"columns": {"nr": "source.record_key", "m/v": "client.sex", "naam": "client.surname"}}`, wantField: "/columns/m~1v", wantMsg: "onbekend doelveld"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			partner := tt.partner
			if partner == "" {
				partner = "test"
			}
			a := newAdapter()
			sdktest.WantConfigError(t, a.Configure(context.Background(), partner, []byte(tt.config)), tt.wantField, tt.wantMsg)
			if tt.wantField == "-" {
				return
			}
			if a.plan.Load() != nil {
				t.Error("a failed Configure installed a configuration")
			}
		})
	}
}

func TestConfigureKeepsPreviousOnError(t *testing.T) {
	a := mustAdapter(t, "test", baseConfig)
	adaptertest.KeepsPrevious(t, a, &a.plan, "test", []byte(`{}`))
}
