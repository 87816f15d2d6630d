package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/ketenhub/ketenhub/hub/auth"
)

func TestPartnerKeyNew(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"partner", "key", "new", "ggz-oost", "--config", "../../config/ketenhub.yaml", "--expires", "2026-12-31"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	m := regexp.MustCompile(`(?s)  (khp_([0-9a-f]{16})_[0-9a-f]{64})\n.*- id: ([0-9a-f]{16})\n        sha256: ([0-9a-f]{64})\n        expires: 2026-12-31\n$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output:\n%s", out.String())
	}
	if m[2] != m[3] || auth.HashAPIKey(m[1]) != m[4] {
		t.Errorf("the printed id and hash do not belong to the key:\n%s", out.String())
	}
	var ue usageError
	if err := run(context.Background(), []string{"partner", "key", "new", "nobody", "--config", "../../config/ketenhub.yaml"}, &out, &errOut); !errors.As(err, &ue) {
		t.Errorf("unknown partner: %v", err)
	}
}
