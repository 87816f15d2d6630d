package identity

import (
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

func TestConsistent(t *testing.T) {
	const bsnA, bsnB = "999993653", "999990639"
	kier := sdk.Client{Surname: "Kierkegaard", FirstNames: "Søren", BirthDate: "1963-05-05", Gender: "man"}
	with := func(f func(*sdk.Client)) Normalised { c := kier; f(&c); return Normalise(c) }
	k := Normalise(kier)
	initial := with(func(c *sdk.Client) { c.FirstNames, c.Initials, c.Gender = "", "S.", "" })
	tests := []struct {
		name string
		a, b []Normalised
		want bool
	}{
		{"SamePerson", []Normalised{k}, []Normalised{initial}, true},
		{"SamePersonSeveral", []Normalised{k, with(func(c *sdk.Client) { c.BirthDate = "1963-05" })}, []Normalised{initial}, true},
		{"Empty", nil, []Normalised{k}, false},
		{"Twins", []Normalised{k}, []Normalised{initial, with(func(c *sdk.Client) { c.FirstNames = "Peter" })}, false},
		{"TwoValidBSNs", []Normalised{with(func(c *sdk.Client) { c.BSN = bsnA })}, []Normalised{with(func(c *sdk.Client) { c.BSN = bsnB })}, false},
		{"BSNOfAnotherPerson", []Normalised{with(func(c *sdk.Client) { c.BSN = bsnA })},
			[]Normalised{Normalise(sdk.Client{BSN: bsnA, Surname: "Yilmaz", FirstNames: "Ayse", BirthDate: "1990-01-20", Gender: "vrouw"})}, false},
		{"NoEvidence", []Normalised{k}, []Normalised{with(func(c *sdk.Client) { c.BirthDate = "1971-11-23" })}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Consistent(tt.a, tt.b, DefaultThresholds); got != tt.want {
				t.Errorf("Consistent = %v, want %v", got, tt.want)
			}
		})
	}
}
