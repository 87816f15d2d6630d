package mapping

import "testing"

func TestSplitSurname(t *testing.T) {
	tests := []struct {
		name, in, prefix, surname string
	}{
		{"NoPrefix", "Jansen", "", "Jansen"},
		{"Empty", "  ", "", ""},
		{"PrefixBefore", "van den Berg", "van den", "Berg"},
		{"PrefixBeforeCapitalised", "Van Den Bosch", "van den", "Bosch"},
		{"PrefixBeforeUpperSurname", "van der MOLEN", "van der", "MOLEN"},
		{"LongestMatchFirst", "van der Veen", "van der", "Veen"},
		{"SingleWordPrefix", "de Vries", "de", "Vries"},
		{"Ter", "Ter Oost", "ter", "Oost"},
		{"Comma", "Berg, van den", "van den", "Berg"},
		{"CommaUpperSurname", "BRUIN, de", "de", "BRUIN"},
		{"CommaNoSpace", "Veen,van der", "van der", "Veen"},
		{"CommaApostrophe", "Angelo, d'", "d'", "Angelo"},
		{"CommaEmptyPrefix", "Jansen,", "", "Jansen"},
		{"CommaNotAPrefix", "Jansen, Piet", "", "Jansen, Piet"},
		{"PrefixAfter", "Berg van den", "van den", "Berg"},
		{"PrefixAfterSingle", "Vries de", "de", "Vries"},
		{"ApostropheSpaced", "d' Angelo", "d'", "Angelo"},
		{"ApostropheGlued", "d'Angelo", "d'", "Angelo"},
		{"ApostropheCapital", "D' Angelo", "d'", "Angelo"},
		{"ApostropheTypographic", "d\u2019Angelo", "d'", "Angelo"},
		{"LeGlued", "l'Espoir", "l'", "Espoir"},
		{"InHetT", "in 't Veld", "in 't", "Veld"},
		{"VanT", "van 't Hof", "van 't", "Hof"},
		{"VanTGlued", "van't Hof", "van 't", "Hof"},
		{"T", "'t Hart", "'t", "Hart"},
		{"OpDe", "Op de Beek", "op de", "Beek"},
		{"UitDen", "uit den Bogaard", "uit den", "Bogaard"},
		{"French", "du Pont", "du", "Pont"},
		{"FrenchLa", "la Rivière", "la", "Rivière"},
		{"Portuguese", "dos Santos", "dos", "Santos"},
		{"German", "von der Heide", "von der", "Heide"},
		{"OnlyPrefix", "Van", "", "Van"},
		{"OnlyPrefixWords", "van den", "", "van den"},
		{"DoubleBarrel", "Mulder-de Ridder", "", "Mulder-de Ridder"},
		{"DoubleBarrelWithPrefix", "van Rijn-Vink", "van", "Rijn-Vink"},
		{"BlanksCollapsed", "  van   der  Linden ", "van der", "Linden"},
		{"NonBreakingSpace", "van\u00a0Dijk", "van", "Dijk"},
		{"Tab", "van\tDijk", "van", "Dijk"},
		{"NotAPrefixWord", "Dekker", "", "Dekker"},
		{"ArabicParticleKept", "El Amrani", "", "El Amrani"},
		{"ExoticKept", "Öztürk", "", "Öztürk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := splitSurname(tt.in)
			if p != tt.prefix || s != tt.surname {
				t.Errorf("splitSurname(%q) = %q, %q; want %q, %q", tt.in, p, s, tt.prefix, tt.surname)
			}
		})
	}
}

func TestPrefixTable(t *testing.T) {
	for _, p := range prefixList {
		t.Run(p, func(t *testing.T) {
			if p != normalisePrefix(p) {
				t.Errorf("prefix %q is not in normal form", p)
			}
			if got, s := splitSurname(p + " Achternaam"); got != p || s != "Achternaam" {
				t.Errorf("prefix %q before the surname: got %q, %q", p, got, s)
			}
			if got, s := splitSurname("Achternaam, " + p); got != p || s != "Achternaam" {
				t.Errorf("prefix %q after a comma: got %q, %q", p, got, s)
			}
		})
	}
}

func TestNormalisePrefix(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"LowerCase", "Van Den", "van den"},
		{"Blanks", " van  der ", "van der"},
		{"Apostrophe", "D\u2019", "d'"},
		{"InT", "In 'T", "in 't"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalisePrefix(tt.in); got != tt.want {
				t.Errorf("normalisePrefix(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStripPrefix(t *testing.T) {
	tests := []struct{ name, prefix, surname, want string }{
		{"Repeated", "van", "van Dijk", "Dijk"},
		{"RepeatedCapital", "van den", "Van den Berg", "Berg"},
		{"NotRepeated", "van", "Veen-Vos", "Veen-Vos"},
		{"OnlyPrefix", "van", "van", "van"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stripPrefix(tt.prefix, tt.surname); got != tt.want {
				t.Errorf("stripPrefix(%q, %q) = %q, want %q", tt.prefix, tt.surname, got, tt.want)
			}
		})
	}
}
