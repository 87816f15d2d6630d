package mapping

import "testing"

func TestNormaliseBSN(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"OK", "123456782", "123456782", true},
		{"OK/Dots", "1234.56.782", "123456782", true},
		{"OK/Blanks", "123 456 782", "123456782", true},
		{"OK/LegacyEightDigits", "12345678", "012345678", true},
		{"OK/AllZerosIsUnknown", "000000000", "", true},
		{"ErrShort", "1234567", "", false},
		{"ErrLong", "1234567890", "", false},
		{"ErrLetters", "12345678a", "", false},
		{"ErrExcelNotation", "1.23457E+08", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normaliseBSN(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("normaliseBSN(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
