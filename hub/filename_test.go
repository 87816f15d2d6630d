package hub

import "testing"

func TestSafeFileName(t *testing.T) {
	tests := map[string]string{
		"export.csv":          "export.csv",
		"../../etc/passwd":    "passwd",
		`..\..\boot.ini`:      "boot.ini",
		"..":                  "document",
		"":                    "document",
		".hidden":             "hidden",
		"klant lijst (1).csv": "klant_lijst__1_.csv",
		"naïef.csv":           "na_ef.csv",
		"a\nb":                "a_b",
	}
	for in, want := range tests {
		if got := SafeFileName(in); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
