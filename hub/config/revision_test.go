package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ketenhub/ketenhub/hub/config"
)

func TestLoadHub(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		hub, err := config.LoadHub(filepath.Join("testdata", "ok", "ketenhub.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(hub.Partners) != 0 || len(hub.Adapters) == 0 {
			t.Errorf("partners %d, adapters %d; want none and the catalog", len(hub.Partners), len(hub.Adapters))
		}
		path, shown := hub.PartnerFile("ggz-oost")
		if want := filepath.Join(hub.PartnersDir, "ggz-oost.yaml"); path != want {
			t.Errorf("path %s, want %s", path, want)
		}
		if want := filepath.Join("testdata", "ok", "partners", "ggz-oost.yaml"); shown != want {
			t.Errorf("shown %s, want %s", shown, want)
		}
	})
	t.Run("ErrHubFile", func(t *testing.T) {
		_, err := config.LoadHub(filepath.Join("testdata", "hub-yaml-syntax", "ketenhub.yaml"))
		var problems config.Errors
		if err == nil || !errorsAs(err, &problems) || len(problems) == 0 {
			t.Fatalf("err = %v, want problems", err)
		}
	})
	t.Run("PartnerFilesNotRead", func(t *testing.T) {
		// A broken partner file does not keep the hub file from loading.
		if _, err := config.LoadHub(filepath.Join("testdata", "partner-id", "ketenhub.yaml")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParsePartner(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, shown := cfg.PartnerFile("wijkteam")
	t.Run("OK", func(t *testing.T) {
		data := []byte("id: wijkteam\nname: Wijkteam Noord\nadapter: {name: csv}\n")
		p, err := config.ParsePartner(cfg, "wijkteam", data)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Wijkteam Noord" || p.Revision != config.RevisionOf(data) || string(p.Source()) != string(data) || p.Shown() != shown {
			t.Errorf("got %+v, shown %s", *p, p.Shown())
		}
	})
	t.Run("ErrPartnerID", func(t *testing.T) {
		_, err := config.ParsePartner(cfg, "wijkteam", []byte("id: ander\nname: X\nadapter: {name: csv}\n"))
		wantProblems(t, err, shown+`:1:5: id: id "ander" moet gelijk zijn aan de bestandsnaam zonder .yaml ("wijkteam"); hernoem het bestand of pas het id aan [CONFIG_PARTNER_ID]`)
	})
	t.Run("ErrYAML", func(t *testing.T) {
		_, err := config.ParsePartner(cfg, "wijkteam", []byte("id: wijkteam\n  name: X\n"))
		var problems config.Errors
		if !errorsAs(err, &problems) || problems[0].Code != config.CodeYAML || problems[0].Line == 0 {
			t.Fatalf("err = %v, want a positioned CONFIG_YAML problem", err)
		}
	})
}

func TestWithPartners(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "ok", "ketenhub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.WithPartners([]config.Partner{cfg.Partners[1], cfg.Partners[0]})
	if c == cfg || len(c.Partners) != 2 || c.Partners[0].ID != cfg.Partners[0].ID || c.File != cfg.File {
		t.Errorf("WithPartners: %+v", c.Partners)
	}
	if _, err := os.Stat(c.PartnersDir); err != nil {
		t.Error(err)
	}
}

func errorsAs(err error, target *config.Errors) bool { return errors.As(err, target) }
