package identity

import (
	"reflect"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestCheckBSN(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"OK", "999993653", "999993653", true},
		{"OKWithDotsAndSpaces", "9999.93 653", "999993653", true},
		{"OKLegacyEightDigits", "11222335", "011222335", true},
		{"OKLegacyEightDigitsWithDots", "1122.23.35", "011222335", true},
		{"OKLeadingZeroGiven", "011222335", "011222335", true},
		{"ErrLegacyEightDigitsWrong", "11222336", "", false},
		{"ErrSevenDigitsNotPadded", "1222335", "", false},
		{"ErrOneDigitWrong", "999993654", "", false},
		{"ErrNeighboursSwapped", "999996353", "", false},
		{"ErrAllZeros", "000000000", "", false},
		{"ErrAllZerosLegacy", "00000000", "", false},
		{"ErrTooShort", "1234567", "", false},
		{"ErrTooLong", "9999936530", "", false},
		{"ErrLetters", "99999365a", "", false},
		{"ErrEmpty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CheckBSN(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CheckBSN(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormaliseSurname(t *testing.T) {
	tests := []struct {
		name                string
		c                   sdk.Client
		surname, prefix     string
		parts, partnerParts []string
	}{
		{"PrefixSeparate", sdk.Client{Surname: "Berg", SurnamePrefix: "van den"}, "berg", "van den", []string{"berg"}, nil},
		{"PrefixInSurname", sdk.Client{Surname: "Van den Berg"}, "berg", "van den", []string{"berg"}, nil},
		{"PrefixAfterComma", sdk.Client{Surname: "Berg, van den"}, "berg", "van den", []string{"berg"}, nil},
		{"PrefixTwice", sdk.Client{Surname: "van den Berg", SurnamePrefix: "van den"}, "berg", "van den", []string{"berg"}, nil},
		{"PrefixApostrophe", sdk.Client{Surname: "'t Hart"}, "hart", "'t", []string{"hart"}, nil},
		{"PrefixOnlyWordKept", sdk.Client{Surname: "De"}, "de", "", []string{"de"}, nil},
		{"CaseAndDiacritics", sdk.Client{Surname: "ÇELİK"}, "celik", "", []string{"celik"}, nil},
		{"SpecialLetters", sdk.Client{Surname: "Łøðß"}, "lodss", "", []string{"lodss"}, nil},
		{"IJAsY", sdk.Client{Surname: "Bijl"}, "byl", "", []string{"byl"}, nil},
		{"DoubleName", sdk.Client{Surname: "Jansen-de Vries"}, "jansenvries", "", []string{"jansen", "vries"}, nil},
		{"MarriedCombinedWithPartner", sdk.Client{Surname: "van den Berg-Jansen", PartnerSurname: "Berg", PartnerSurnamePrefix: "van den"},
			"jansen", "", []string{"jansen"}, []string{"berg"}},
		{"MarriedCombinedNoPartner", sdk.Client{Surname: "van den Berg-Jansen"}, "bergjansen", "van den", []string{"berg", "jansen"}, nil},
		{"MarriedNameOnly", sdk.Client{Surname: "Berg", SurnamePrefix: "van den", PartnerSurname: "van den Berg"}, "", "", nil, []string{"berg"}},
		{"OwnWithPartner", sdk.Client{Surname: "Jansen", PartnerSurname: "Berg", PartnerSurnamePrefix: "van den"}, "jansen", "", []string{"jansen"}, []string{"berg"}},
		{"PrefixCaseAndSpaces", sdk.Client{Surname: "de  Vries", SurnamePrefix: "De"}, "vries", "de", []string{"vries"}, nil},
		{"PrefixWithApostropheInside", sdk.Client{Surname: "van 't Hof"}, "hof", "van 't", []string{"hof"}, nil},
		{"PrefixWithApostropheAfterComma", sdk.Client{Surname: "Hof, van 't"}, "hof", "van 't", []string{"hof"}, nil},
		{"PrefixJoinedByHyphen", sdk.Client{Surname: "'s-Gravesande"}, "gravesande", "'s", []string{"gravesande"}, nil},
		{"ApostropheInName", sdk.Client{Surname: "D'Ancona"}, "dancona", "", []string{"dancona"}, nil},
		{"IJAtStart", sdk.Client{Surname: "IJzerman"}, "yzerman", "", []string{"yzerman"}, nil},
		{"LigatureAndSlashedO", sdk.Client{Surname: "Æbelø"}, "aebelo", "", []string{"aebelo"}, nil},
		{"DoubleNameDiacritics", sdk.Client{Surname: "Müller-Lüdenscheidt"}, "mullerludenscheidt", "", []string{"muller", "ludenscheidt"}, nil},
		{"DoubleNameSpacedHyphen", sdk.Client{Surname: "Jansen - de Vries"}, "jansenvries", "", []string{"jansen", "vries"}, nil},
		{"MarriedCombinedPartnerAfter", sdk.Client{Surname: "van der Berg-van Dijk", PartnerSurname: "van Dijk"}, "berg", "", []string{"berg"}, []string{"dyk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Normalise(tt.c)
			if n.Surname != tt.surname || n.Prefix != tt.prefix || !reflect.DeepEqual(n.SurnameParts, tt.parts) ||
				!reflect.DeepEqual(n.PartnerParts, tt.partnerParts) {
				t.Errorf("got surname %q prefix %q parts %q partner %q; want %q %q %q %q",
					n.Surname, n.Prefix, n.SurnameParts, n.PartnerParts, tt.surname, tt.prefix, tt.parts, tt.partnerParts)
			}
		})
	}
}

func TestNormaliseGivenDateGender(t *testing.T) {
	tests := []struct {
		name     string
		c        sdk.Client
		first    []string
		initials string
		y, m, d  int
		gender   string
	}{
		{"InitialsDotted", sdk.Client{Initials: "A.H.", BirthDate: "1985-12-01", Gender: "vrouw"}, nil, "ah", 1985, 12, 1, "v"},
		{"InitialsTh", sdk.Client{Initials: "Th.J.", Gender: "man"}, nil, "tj", 0, 0, 0, "m"},
		{"InitialsCapitals", sdk.Client{Initials: "AH", Gender: "M"}, nil, "ah", 0, 0, 0, "m"},
		{"InitialsFromFirstNames", sdk.Client{FirstNames: "Peter-Jan Élise", BirthDate: "1985-12"}, []string{"peterjan", "elise"}, "pje", 1985, 12, 0, ""},
		{"InitialsWinOverFirstNames", sdk.Client{FirstNames: "Anna", Initials: "A.M."}, []string{"anna"}, "am", 0, 0, 0, ""},
		{"YearOnly", sdk.Client{BirthDate: "1968", Gender: "onbekend"}, nil, "", 1968, 0, 0, ""},
		{"CompactDate", sdk.Client{BirthDate: "19680300"}, nil, "", 1968, 3, 0, ""},
		{"DutchDate", sdk.Client{BirthDate: "07-03-1985", Gender: "2"}, nil, "", 1985, 3, 7, "v"},
		{"UnknownDate", sdk.Client{BirthDate: "00000000"}, nil, "", 0, 0, 0, ""},
		{"BadMonth", sdk.Client{BirthDate: "1985-13-01"}, nil, "", 1985, 0, 0, ""},
		{"ZeroMonth", sdk.Client{BirthDate: "1985-00-07"}, nil, "", 1985, 0, 0, ""},
		{"BadDay", sdk.Client{BirthDate: "1985-03-32"}, nil, "", 1985, 3, 0, ""},
		{"ZeroYear", sdk.Client{BirthDate: "0000-03-07"}, nil, "", 0, 0, 0, ""},
		{"YearOutOfRange", sdk.Client{BirthDate: "1799-01-01"}, nil, "", 0, 0, 0, ""},
		{"NotADate", sdk.Client{BirthDate: "onbekend"}, nil, "", 0, 0, 0, ""},
		{"SlashDate", sdk.Client{BirthDate: "1985/03/07"}, nil, "", 1985, 3, 7, ""},
		{"DottedDutchDate", sdk.Client{BirthDate: "07.03.1985"}, nil, "", 1985, 3, 7, ""},
		{"DateWithSpaces", sdk.Client{BirthDate: " 1985-03-07 "}, nil, "", 1985, 3, 7, ""},
		{"FirstNamesComma", sdk.Client{FirstNames: "Jan, Pieter"}, []string{"jan", "pieter"}, "jp", 0, 0, 0, ""},
		{"FirstNamesFolded", sdk.Client{FirstNames: "ÉLISE  Marie-José"}, []string{"elise", "mariejose"}, "emj", 0, 0, 0, ""},
		{"FirstNamesIJ", sdk.Client{FirstNames: "IJsbrand"}, []string{"ysbrand"}, "y", 0, 0, 0, ""},
		{"InitialsSpaced", sdk.Client{Initials: "J P"}, nil, "jp", 0, 0, 0, ""},
		{"InitialsLowerDotted", sdk.Client{Initials: "j.p."}, nil, "jp", 0, 0, 0, ""},
		{"GenderMan", sdk.Client{Gender: "Man"}, nil, "", 0, 0, 0, "m"},
		{"GenderMale", sdk.Client{Gender: "male"}, nil, "", 0, 0, 0, "m"},
		{"GenderOne", sdk.Client{Gender: "1"}, nil, "", 0, 0, 0, "m"},
		{"GenderJongen", sdk.Client{Gender: "jongen"}, nil, "", 0, 0, 0, "m"},
		{"GenderVrouwelijk", sdk.Client{Gender: "Vrouwelijk"}, nil, "", 0, 0, 0, "v"},
		{"GenderF", sdk.Client{Gender: "F"}, nil, "", 0, 0, 0, "v"},
		{"GenderW", sdk.Client{Gender: "W"}, nil, "", 0, 0, 0, "v"},
		{"GenderMeisje", sdk.Client{Gender: "meisje"}, nil, "", 0, 0, 0, "v"},
		{"GenderUnknown", sdk.Client{Gender: "onbekend"}, nil, "", 0, 0, 0, ""},
		{"GenderOther", sdk.Client{Gender: "x"}, nil, "", 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Normalise(tt.c)
			if !reflect.DeepEqual(n.FirstNames, tt.first) || n.Initials != tt.initials ||
				n.Year != tt.y || n.Month != tt.m || n.Day != tt.d || n.Gender != tt.gender {
				t.Errorf("got %q %q %d-%d-%d %q", n.FirstNames, n.Initials, n.Year, n.Month, n.Day, n.Gender)
			}
		})
	}
}

func TestNormaliseBSN(t *testing.T) {
	if n := Normalise(sdk.Client{BSN: "999993654"}); n.BSN != "" || !n.BSNInvalid {
		t.Errorf("invalid BSN used: %+v", n)
	}
	if n := Normalise(sdk.Client{BSN: "11222335"}); n.BSN != "011222335" || n.BSNInvalid {
		t.Errorf("legacy BSN: %+v", n)
	}
	if n := Normalise(sdk.Client{BSN: " 9999.93.653 "}); n.BSN != "999993653" || n.BSNInvalid {
		t.Errorf("BSN with separators: %+v", n)
	}
	if n := Normalise(sdk.Client{BSN: "  "}); n.BSN != "" || n.BSNInvalid {
		t.Errorf("blank BSN counts as invalid: %+v", n)
	}
}

func TestBlockingKeys(t *testing.T) {
	base := Normalise(sdk.Client{Surname: "Jansen", Initials: "J.", BirthDate: "1985-03-07"})
	tests := []struct {
		name string
		c    sdk.Client
	}{
		{"SurnameTypo", sdk.Client{Surname: "Jasnen", Initials: "J.", BirthDate: "1985-03-07"}},
		{"DayMonthSwapped", sdk.Client{Surname: "Jansssen", Initials: "J.", BirthDate: "1985-07-03"}},
		{"YearTypo", sdk.Client{Surname: "Jansen", FirstNames: "Jan", BirthDate: "1958-03-07"}},
		{"DayTypo", sdk.Client{Surname: "Jansen", Initials: "P.J.", BirthDate: "1985-03-08"}},
		{"MarriedName", sdk.Client{Surname: "Berg", SurnamePrefix: "van den", Initials: "J.", BirthDate: "1985-03-07"}},
		{"DateUnknown", sdk.Client{Surname: "Jansen", Initials: "J."}},
		{"SurnameTypoAndDayTypo", sdk.Client{Surname: "Jannsen", Initials: "J.", BirthDate: "1985-03-08"}},
		{"BSN", sdk.Client{BSN: "999993653", Surname: "X", BirthDate: "2000"}},
	}
	base.BSN = "999993653"
	bk := BlockingKeys(base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !shareKey(bk, BlockingKeys(Normalise(tt.c))) {
				t.Errorf("no shared key between %q and %q", bk, BlockingKeys(Normalise(tt.c)))
			}
		})
	}
}

func shareKey(a, b []string) bool {
	for _, k := range a {
		if contains(b, k) {
			return true
		}
	}
	return false
}

func TestCompare(t *testing.T) {
	const bsnA, bsnB = "999993653", "999990639"
	jan := sdk.Client{Surname: "Berg", SurnamePrefix: "van den", FirstNames: "Jan Pieter", BirthDate: "1985-03-07", Gender: "man"}
	with := func(f func(*sdk.Client)) sdk.Client { c := jan; f(&c); return c }
	tests := []struct {
		name  string
		a, b  sdk.Client
		grade Grade
		rule  string
	}{
		{"CertainBSNNameDOB", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnA; c.FirstNames = ""; c.Initials = "J.P." }), Certain, "bsn+name+dob"},
		{"CertainBSNMarriedName", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnA; c.Surname = "Smit"; c.SurnamePrefix = "" }), Certain, "bsn+dob"},
		{"ProbableWrongBSN", with(func(c *sdk.Client) { c.BSN = bsnA }), sdk.Client{BSN: bsnA, Surname: "Yilmaz", FirstNames: "Jan", BirthDate: "1960-11-23", Gender: "man"}, Probable, "bsn-conflict"},
		{"ProbableBSNOfTwin", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnA; c.FirstNames = "Kees" }), Probable, "bsn-conflict"},
		{"NoneDifferentBSN", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnB; c.FirstNames = "Jan" }), None, "bsn-differ"},
		{"ProbableDifferentBSNAllEqual", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnB }), Probable, "bsn-differ-review"},
		{"InvalidBSNIgnored", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = "999993654" }), Certain, "name+dob"},
		{"CertainVoorvoegselPlacement", jan, with(func(c *sdk.Client) { c.Surname = "Berg, van den"; c.SurnamePrefix = "" }), Certain, "name+dob"},
		{"CertainVoorvoegselInSurname", jan, with(func(c *sdk.Client) { c.Surname = "VAN DEN BERG"; c.SurnamePrefix = "" }), Certain, "name+dob"},
		{"CertainInitials", jan, with(func(c *sdk.Client) { c.FirstNames = ""; c.Initials = "J.P." }), Certain, "name+dob"},
		{"CertainSurnameTypo", jan, with(func(c *sdk.Client) { c.Surname = "Bergh" }), Certain, "name+dob"},
		{"CertainDoubleName", with(func(c *sdk.Client) { c.Surname = "Jansen-de Vries"; c.SurnamePrefix = "" }), with(func(c *sdk.Client) { c.Surname = "Jansen"; c.SurnamePrefix = "" }), Certain, "name+dob"},
		{"ProbableMarriedNameOnly", with(func(c *sdk.Client) { c.Gender = "vrouw" }), with(func(c *sdk.Client) { c.Gender = "vrouw"; c.Surname = "Smit"; c.SurnamePrefix = "" }), Probable, "given+dob"},
		{"ProbableMarriedNameOneFirstName", with(func(c *sdk.Client) { c.Gender = "vrouw"; c.FirstNames = "Anna" }), with(func(c *sdk.Client) {
			c.Gender = "vrouw"
			c.FirstNames = "Anna"
			c.Surname = "Smit"
			c.SurnamePrefix = ""
		}), Probable, "score"},
		{"ProbableMarriedNameInitials", with(func(c *sdk.Client) { c.Gender = "vrouw" }), with(func(c *sdk.Client) {
			c.Gender = "vrouw"
			c.FirstNames = ""
			c.Initials = "J.P."
			c.Surname = "Smit"
			c.SurnamePrefix = ""
		}), Probable, "score"},
		{"ProbablePartnerSurnameInitials", with(func(c *sdk.Client) { c.PartnerSurname = "Smit" }), with(func(c *sdk.Client) {
			c.Surname = "Smit"
			c.SurnamePrefix = ""
			c.FirstNames = ""
			c.Initials = "J.P."
		}), Probable, "given+dob"},
		{"CertainMarriedNameWithPartnerField", jan, with(func(c *sdk.Client) { c.Surname = "Smit-van den Berg"; c.SurnamePrefix = ""; c.PartnerSurname = "Smit" }), Certain, "name+dob"},
		{"CertainDayMonthSwapped", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03" }), Certain, "name+dob-swapped"},
		{"CertainDayMonthSwappedInitials", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03"; c.FirstNames = ""; c.Initials = "J.P." }), Certain, "name+dob-swapped"},
		{"ProbableSwappedGenderUnknown", with(func(c *sdk.Client) { c.FirstNames = "Jurian Pieter" }), with(func(c *sdk.Client) { c.FirstNames = "Jurian Pieter"; c.BirthDate = "1985-07-03"; c.Gender = "" }), Probable, "name+dob-near"},
		{"CertainSwappedGenderFromFirstName", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03"; c.Gender = "" }), Certain, "name+dob-swapped"},
		{"NoneTwinsGenderFromFirstName", sdk.Client{Surname: "Klaasing", FirstNames: "Cornelia", BirthDate: "1982-12-28", Gender: "vrouw"},
			sdk.Client{Surname: "Klaasing", FirstNames: "Cornelis", BirthDate: "1982-12-28"}, None, "twins"},
		{"ProbableSwappedSurnameTypo", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03"; c.Surname = "Bergh" }), Probable, "score"},
		{"ProbableSwappedInitialsPrefix", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03"; c.FirstNames = ""; c.Initials = "J." }), Probable, "score"},
		{"NoneSwappedTwinsSameInitial", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03"; c.FirstNames = "Johan Pieter" }), None, "score"},
		{"ProbableSwappedOtherGender", jan, with(func(c *sdk.Client) {
			c.BirthDate = "1985-07-03"
			c.FirstNames = ""
			c.Initials = "J.P."
			c.Gender = "vrouw"
		}), Probable, "score"},
		{"NoneSwappedDifferentBSN", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) { c.BSN = bsnB; c.BirthDate = "1985-07-03" }), None, "bsn-differ"},
		{"ProbableSingleInitialGenderUnknown", jan, with(func(c *sdk.Client) { c.FirstNames = ""; c.Initials = "J."; c.Gender = "" }), Probable, "score"},
		{"NoneTwinsSingleInitialOtherGender", sdk.Client{Surname: "Kooyman", FirstNames: "Stefano", BirthDate: "2003-03-03", Gender: "man"},
			sdk.Client{Surname: "Kooyman", FirstNames: "Serena", BirthDate: "2003-03-03", Gender: "vrouw"}, None, "twins"},
		{"ProbableTwinInitialGenderUnknown", sdk.Client{Surname: "Kooyman", FirstNames: "Stefano", BirthDate: "2003-03-03", Gender: "man"},
			sdk.Client{Surname: "Kooyman", Initials: "S.", BirthDate: "2003-03-03"}, Probable, "score"},
		{"CertainSingleInitialGenderEqual", jan, with(func(c *sdk.Client) { c.FirstNames = "Jan"; c.Initials = "" }), Certain, "name+dob"},
		{"ProbableOneDigitDateNamesakes", sdk.Client{Surname: "Bos", FirstNames: "Niels", BirthDate: "1935-08-12", Gender: "man"},
			sdk.Client{Surname: "Bos", FirstNames: "Niels", BirthDate: "1935-08-13", Gender: "man"}, Probable, "name+dob-near"},
		{"ProbableOneDigitDate", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-03-09" }), Probable, "name+dob-near"},
		{"ProbableOneDigitYear", jan, with(func(c *sdk.Client) { c.BirthDate = "1955-03-07" }), Probable, "score"},
		{"ProbableUnknownDay", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-03" }), Probable, "name+dob-near"},
		{"ProbableUnknownMonth", jan, with(func(c *sdk.Client) { c.BirthDate = "1985" }), Probable, "name+dob-near"},
		{"ProbableOneDigitDateSingleInitial", with(func(c *sdk.Client) { c.FirstNames = "Jan" }), with(func(c *sdk.Client) { c.BirthDate = "1985-03-09"; c.FirstNames = ""; c.Initials = "J." }), Probable, "initial+dob-near"},
		{"ProbableOneDigitDateFirstName", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-03-09"; c.FirstNames = "Jan Willem" }), Probable, "initial+dob-near"},
		{"ProbableOneDigitDateSingleInitialGenderUnknown", with(func(c *sdk.Client) { c.FirstNames = "Jurian" }), with(func(c *sdk.Client) { c.BirthDate = "1985-03-09"; c.FirstNames = ""; c.Initials = "J."; c.Gender = "" }), Probable, "score"},
		{"ProbableUnknownMonthSingleInitial", with(func(c *sdk.Client) { c.FirstNames = "Jan" }), with(func(c *sdk.Client) { c.BirthDate = "1985"; c.FirstNames = ""; c.Initials = "J." }), Probable, "score"},
		{"ProbableOneDigitDateInitialsPrefix", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-03-09"; c.FirstNames = ""; c.Initials = "J.P.K." }), Probable, "score"},
		{"ProbableOneDigitDecade", jan, with(func(c *sdk.Client) { c.BirthDate = "1995-03-07" }), Probable, "score"},
		{"ProbableOneDigitDateGenderUnknownOneName", with(func(c *sdk.Client) { c.FirstNames = "Jurian" }), with(func(c *sdk.Client) { c.FirstNames = "Jurian"; c.BirthDate = "1985-03-09"; c.Gender = "" }), Probable, "score"},
		{"ProbableOneDigitDateGenderFromFirstName", with(func(c *sdk.Client) { c.FirstNames = "Jan" }), with(func(c *sdk.Client) { c.FirstNames = "Jan"; c.BirthDate = "1985-03-09"; c.Gender = "" }), Probable, "name+dob-near"},
		{"CertainSwappedCommonSurnameTwoNames", jan, with(func(c *sdk.Client) { c.BirthDate = "1985-07-03" }), Certain, "name+dob-swapped"},
		{"ProbableSwappedCommonSurnameOneName", with(func(c *sdk.Client) { c.FirstNames = "Jan" }), with(func(c *sdk.Client) { c.FirstNames = "Jan"; c.BirthDate = "1985-07-03" }), Probable, "name+dob-near"},
		{"CertainSwappedRareSurnameOneName", with(func(c *sdk.Client) { c.FirstNames = "Jan"; c.Surname = "Kierkegaard"; c.SurnamePrefix = "" }), with(func(c *sdk.Client) {
			c.FirstNames = "Jan"
			c.Surname = "Kierkegaard"
			c.SurnamePrefix = ""
			c.BirthDate = "1985-07-03"
		}), Certain, "name+dob-swapped"},
		{"ProbableTwinsFirstNameTypoOtherInitial", sdk.Client{Surname: "Maas", FirstNames: "Hanna", BirthDate: "1989-09-25", Gender: "vrouw"},
			sdk.Client{Surname: "Maas", FirstNames: "Anna", BirthDate: "1989-09-25", Gender: "vrouw"}, Probable, "score"},
		{"CertainFirstNameTypo", with(func(c *sdk.Client) { c.FirstNames = "Johannes Pieter" }), with(func(c *sdk.Client) { c.FirstNames = "Johnanes Pieter" }), Certain, "name+dob"},
		{"ProbableBSNOfOtherNearDate", with(func(c *sdk.Client) { c.BSN = bsnA }), sdk.Client{BSN: bsnA, Surname: "Hoekstra", Initials: "J.", BirthDate: "1985-03-08", Gender: "man"}, Probable, "bsn-conflict"},
		{"CertainBSNMarriedNameSwapped", with(func(c *sdk.Client) { c.BSN = bsnA }), with(func(c *sdk.Client) {
			c.BSN = bsnA
			c.Surname = "Smit"
			c.SurnamePrefix = ""
			c.BirthDate = "1985-07-03"
		}), Certain, "bsn+dob"},
		{"NoneTwinsInitials", jan, with(func(c *sdk.Client) { c.FirstNames = ""; c.Initials = "K." }), None, "twins"},
		{"NoneTwinsFirstNames", jan, with(func(c *sdk.Client) { c.FirstNames = "Johan" }), None, "twins"},
		{"NoneTwinsGender", jan, with(func(c *sdk.Client) { c.FirstNames = ""; c.Initials = "J.P."; c.Gender = "vrouw" }), None, "twins"},
		{"NoneParentChild", jan, with(func(c *sdk.Client) { c.BirthDate = "1958-10-21" }), None, "parent-child"},
		{"NoneStranger", jan, sdk.Client{Surname: "Yilmaz", Initials: "A.", BirthDate: "1960-11-23", Gender: "vrouw"}, None, "score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Compare(Normalise(tt.a), Normalise(tt.b))
			if m.Grade != tt.grade || m.Rule != tt.rule {
				t.Errorf("got %s; want %s (%s)", m, tt.grade, tt.rule)
			}
			if r := Compare(Normalise(tt.b), Normalise(tt.a)); r.Grade != m.Grade || r.Rule != m.Rule {
				t.Errorf("not symmetric: %s versus %s", m, r)
			}
		})
	}
}

func TestStringMetrics(t *testing.T) {
	if d := EditDistance("jansen", "jasnen"); d != 1 {
		t.Errorf("EditDistance transposition = %d", d)
	}
	if d := EditDistance("berg", "bergh"); d != 1 {
		t.Errorf("EditDistance insertion = %d", d)
	}
	if s := JaroWinkler("martha", "marhta"); s < 0.96 || s > 0.962 {
		t.Errorf("JaroWinkler(martha, marhta) = %f, want 0.961", s)
	}
	if s := JaroWinkler("jan", "kees"); s != 0 {
		t.Errorf("JaroWinkler(jan, kees) = %f", s)
	}
}

func BenchmarkCompare(b *testing.B) {
	x := Normalise(sdk.Client{Surname: "van den Berg-Jansen", FirstNames: "Anna Hendrika", BirthDate: "1985-03-07", Gender: "vrouw"})
	y := Normalise(sdk.Client{Surname: "Jansen", Initials: "A.H.", BirthDate: "1985-07-03", Gender: "vrouw"})
	for b.Loop() {
		Compare(x, y)
	}
}

func BenchmarkBlockingKeys(b *testing.B) {
	c := sdk.Client{BSN: "999993653", Surname: "van den Berg-Jansen", FirstNames: "Anna Hendrika", BirthDate: "1985-03-07", Gender: "vrouw"}
	for b.Loop() {
		BlockingKeys(Normalise(c))
	}
}
