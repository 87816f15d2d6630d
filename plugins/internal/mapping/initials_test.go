package mapping

import "testing"

func TestNormaliseInitials(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"Normal", "A.H.", "A.H.", true},
		{"LastDotMissing", "A.H", "A.H.", true},
		{"NoDots", "AH", "A.H.", true},
		{"Blanks", "A H", "A.H.", true},
		{"GluedWithDot", "CS.", "C.S.", true},
		{"Mixed", "T.TS.", "T.T.S.", true},
		{"ThreeGlued", "SEG", "S.E.G.", true},
		{"Single", "M", "M.", true},
		{"LowerCase", "a.h.", "A.H.", true},
		{"DigraphIJ", "IJ.M.", "IJ.M.", true},
		{"DigraphIj", "Ij.M", "IJ.M.", true},
		{"IJWithoutDotIsTwo", "IJM", "I.J.M.", true},
		{"MultiLetter", "Th.J.", "Th.J.", true},
		{"WrittenOutName", "Jan", "J.", true},
		{"Hyphen", "A.-M.", "A.M.", true},
		{"Accent", "É.A.", "É.A.", true},
		{"Empty", "", "", true},
		{"Digit", "A1", "", false},
		{"Comma", "A,B", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := normaliseInitials(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("normaliseInitials(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestInitialsOf(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ThreeNames", "Karel Cornelis Pieter", "K.C.P."},
		{"Hyphenated", "Anne-Marie", "A.M."},
		{"IJ", "IJsbrand Jan", "IJ.J."},
		{"Accent", "Ayşe Hanneke", "A.H."},
		{"LowerCase", "karel", "K."},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := initialsOf(tt.in); got != tt.want {
				t.Errorf("initialsOf(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
