package config_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ketenhub/ketenhub/hub/config"
)

func TestLoadReceive(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "receive-ok"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join("testdata", "receive-ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*config.Receive{}
	for _, p := range cfg.Partners {
		got[p.ID] = p.Receive
	}
	want := map[string]*config.Receive{
		"opvang": {Purpose: "zorgcoordinatie", BatchSize: 50,
			Select:  config.Selection{ClientsServed: true, TargetGroups: []string{"feitelijk_dakloos", "dreigend_dakloos"}, Municipalities: []string{"Eindhoven", "Helmond"}},
			Pickup:  &config.Pickup{Folder: filepath.Join(dir, "data", "uit", "opvang"), Format: config.PickupAdapter},
			Webhook: &config.Webhook{URL: "https://opvang.example/ketenhub", SecretEnv: "KETENHUB_WEBHOOK_OPVANG", Timeout: 3 * time.Second}},
		"ggz": {Purpose: "aanmelding", BatchSize: config.DefaultBatchSize, Select: config.Selection{ClientsServed: true},
			Pickup: &config.Pickup{Folder: filepath.Join(dir, "data", "pickup", "ggz"), Format: config.PickupAdapter}},
		"wijkteam": {Purpose: "zorgcoordinatie", BatchSize: config.DefaultBatchSize, Select: config.Selection{Municipalities: []string{"Best"}},
			Webhook: &config.Webhook{URL: "http://127.0.0.1:9999/in", SecretEnv: "WIJKTEAM_SECRET", Timeout: config.DefaultWebhookTimeout}},
	}
	for id, w := range want {
		if !reflect.DeepEqual(got[id], w) {
			t.Errorf("%s: receive\n%+v\nwant\n%+v", id, got[id], w)
		}
	}
	if !want["opvang"].Select.ByArea() || want["ggz"].Select.ByArea() {
		t.Error("ByArea")
	}
}

// TestExampleReceive: the example region routes.
func TestExampleReceive(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "config", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range cfg.Partners {
		if p.Receive != nil {
			n++
		}
	}
	if n == 0 {
		t.Error("no partner of the example region receives anything")
	}
}
