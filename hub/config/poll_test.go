package config_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

func TestLoadPoll(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "poll-ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*config.Poll{}
	env := map[string][]string{}
	for _, p := range cfg.Partners {
		got[p.ID], env[p.ID] = p.Poll, p.Adapter.Env
	}
	want := map[string]*config.Poll{
		"ggz-noord": {Interval: 10 * time.Minute, Jitter: time.Minute, Timeout: 20 * time.Second, MaxPages: 5, MaxBackoff: 30 * time.Minute},
		"brp": {Interval: config.DefaultPollInterval, Jitter: config.DefaultPollInterval / 10, Timeout: config.DefaultPollTimeout,
			MaxPages: config.DefaultPollMaxPages, MaxBackoff: config.DefaultPollMaxBackoff},
		"opvang": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("poll\n%+v\nwant\n%+v", got, want)
	}
	if !reflect.DeepEqual(env["ggz-noord"], []string{"GGZ_NOORD_TOKEN"}) || env["brp"] != nil {
		t.Errorf("adapter.env %v", env)
	}
}
