package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// invalidConfigs are configurations Configure must refuse, with the JSON
// pointer of the problem.
var invalidConfigs = []struct {
	name, config, field string
}{
	{"NoJSON", `{`, ""},
	{"UnknownSetting", `{"mode": "rest", "url": "https://x.example/", "kolommen": {}}`, "/kolommen"},
	{"Mode", `{"mode": "soap", "url": "https://x.example/"}`, "/mode"},
	{"PlainHTTP", `{"mode": "stuf-bg", "url": "http://bsn.example/", "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}}}`, "/url"},
	{"UserInURL", `{"mode": "rest", "url": "https://u:p@x.example/"}`, "/url"},
	{"RESTWithoutRest", `{"mode": "rest", "url": "https://x.example/", "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/rest"},
	{"RESTWithoutMapping", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "next": "/n"}}}`, "/mapping"},
	{"CursorTwoKinds", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "next": "/n", "since_field": "/t"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/rest/cursor"},
	{"CursorPointer", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "next": "meta.next"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/rest/cursor/next"},
	{"SinceStart", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "since_field": "/t", "start": "gisteren"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/rest/cursor/start"},
	{"MappingKey", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/n": "client.surname"}}}`, "/mapping/fields"},
	{"MappingPointer", `{"mode": "rest", "url": "https://x.example/", "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"id": "source.record_key", "/n": "client.surname"}}}`, "/mapping/fields/id"},
	{"SecretInHeaders", `{"mode": "rest", "url": "https://x.example/", "headers": {"Authorization": "Bearer abc"}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/headers/Authorization"},
	{"SecretEnvUnset", `{"mode": "rest", "url": "https://x.example/", "auth": {"secret_env": "POLL_TEST_UNSET"}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/auth/secret_env"},
	{"SecretHubVariable", `{"mode": "rest", "url": "https://x.example/", "auth": {"secret_env": "KETENHUB_API_TOKEN"}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/auth/secret_env"},
	{"SecretTwice", `{"mode": "rest", "url": "https://x.example/", "auth": {"secret_env": "A", "secret_file": "/x"}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/auth"},
	{"SecretFileMissing", `{"mode": "rest", "url": "https://x.example/", "auth": {"secret_file": "/niet/aanwezig"}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/auth/secret_file"},
	{"TLSKeyWithoutCert", `{"mode": "stuf-bg", "url": "https://x.example/", "tls": {"key_file": "/k"}, "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}}}`, "/tls"},
	{"TLSRelative", `{"mode": "stuf-bg", "url": "https://x.example/", "tls": {"ca_file": "ca.pem"}, "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}}}`, "/tls/ca_file"},
	{"TLSCAMissing", `{"mode": "stuf-bg", "url": "https://x.example/", "tls": {"ca_file": "/niet/aanwezig.pem"}, "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}}}`, "/tls/ca_file"},
	{"StUFWithoutZender", `{"mode": "stuf-bg", "url": "https://x.example/", "stuf": {"ontvanger": {"organisatie": "c", "applicatie": "d"}}}`, "/stuf"},
	{"StUFStart", `{"mode": "stuf-bg", "url": "https://x.example/", "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}, "start": "1 januari"}}`, "/stuf/start"},
	{"StUFMappingValue", `{"mode": "stuf-bg", "url": "https://x.example/", "stuf": {"zender": {"organisatie": "a", "applicatie": "b"}, "ontvanger": {"organisatie": "c", "applicatie": "d"}}, "mapping": {"values": {"client.gender": {"map": {"M": "mannelijk"}}}}}`, "/mapping/values/client.gender/map/M"},
	{"RestAndStUF", `{"mode": "rest", "url": "https://x.example/", "stuf": {}, "rest": {"cursor": {"param": "c", "next": "/n"}}, "mapping": {"fields": {"/id": "source.record_key", "/n": "client.surname"}}}`, "/stuf"},
}

func TestConfigure(t *testing.T) {
	withSecret(t)
	for _, tt := range invalidConfigs {
		t.Run("Err"+tt.name, func(t *testing.T) {
			err := newAdapter().Configure(context.Background(), testPartner, []byte(tt.config))
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Configure = %v, want a *sdk.ConfigError", err)
			}
			if ce.Field != tt.field || ce.Message == "" {
				t.Errorf("ConfigError at %q: %s; want at %q", ce.Field, ce.Message, tt.field)
			}
		})
	}
	t.Run("OKSecretFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(testToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := strings.Replace(string(readFile(t, "config/rest.json")), `"secret_env": "GGZ_NOORD_TOKEN"`, `"secret_file": "`+path+`"`, 1)
		a := mustAdapter(t, []byte(cfg))
		v, err := a.plan.Load().cfg.Auth.value()
		if err != nil || v != "Bearer "+testToken {
			t.Fatalf("header value %q, %v", v, err)
		}
	})
	t.Run("OKKeepsPrevious", func(t *testing.T) {
		a := mustAdapter(t, readFile(t, "config/stuf-bg.json"))
		if err := a.Configure(context.Background(), testPartner, []byte(`{"mode": "rest"}`)); err == nil {
			t.Fatal("Configure accepts a configuration without url")
		}
		if a.plan.Load().mode != modeStUF {
			t.Error("a refused configuration replaced the one in force")
		}
	})
}

func TestDescribe(t *testing.T) {
	d, err := newAdapter().Describe(context.Background())
	if err != nil || d.Name != "poll" || d.Version == "" || len(d.ConfigSchema) == 0 {
		t.Fatalf("Describe = %+v, %v", d, err)
	}
	if strings.Join(d.Capabilities, ",") != "decode,poll" {
		t.Errorf("capabilities %q", d.Capabilities)
	}
}
