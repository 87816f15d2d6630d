package identity

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// cand is a candidate registration key of client id.
func cand(key, id string, c sdk.Client) Candidate {
	return Candidate{Ref: Ref{Partner: "ggz", RecordKey: key}, ClientID: id, Norm: Normalise(c)}
}

func TestResolve(t *testing.T) {
	const bsnA = "999993653"
	kier := sdk.Client{Surname: "Kierkegaard", FirstNames: "Søren", BirthDate: "1963-05-05", Gender: "man"}
	vries := sdk.Client{Surname: "de Vries", FirstNames: "Johanna Maria", BirthDate: "1971-04-13", Gender: "vrouw"}
	bos := sdk.Client{Surname: "Bos", FirstNames: "Niels", BirthDate: "1935-08-12", Gender: "man"}
	with := func(c sdk.Client, f func(*sdk.Client)) sdk.Client { f(&c); return c }
	tests := []struct {
		name    string
		n       sdk.Client
		cands   []Candidate
		grade   Grade
		client  string // the linked client, for Certain
		context string // Evidence.Context of the deciding evidence
		review  []string
	}{
		{"NoneNoCandidates", kier, nil, None, "", "", nil},
		{"CertainExact", kier, []Candidate{cand("1", "c1", kier)}, Certain, "c1", "", nil},
		{"NoneTwins", kier, []Candidate{cand("1", "c1", with(kier, func(c *sdk.Client) { c.FirstNames = "Peter" }))}, None, "", "", nil},
		{"NoneParentChild", kier, []Candidate{cand("1", "c1", with(kier, func(c *sdk.Client) { c.BirthDate = "1935-02-11" }))}, None, "", "", nil},
		{"ProbableWrongBSN", with(kier, func(c *sdk.Client) { c.BSN = bsnA }),
			[]Candidate{cand("1", "c1", sdk.Client{BSN: bsnA, Surname: "Yilmaz", FirstNames: "Ayse", BirthDate: "1990-01-20", Gender: "vrouw"})},
			Probable, "", "", []string{"c1"}},
		{"ReviewNotMergeSeveralCertain", kier, []Candidate{cand("1", "c1", kier), cand("2", "c2", kier)}, Certain, "c1", "", []string{"c2"}},
		{"CertainMostCertainRegistrations", kier, []Candidate{cand("1", "c1", kier), cand("2", "c2", kier), cand("3", "c2", with(kier, func(c *sdk.Client) { c.FirstNames = ""; c.Initials = "S." }))},
			Certain, "c2", "", []string{"c1"}},
		{"ProbableOneRegistrationDistinct", kier, []Candidate{cand("1", "c1", kier), cand("2", "c1", with(kier, func(c *sdk.Client) { c.FirstNames = "Peter" }))}, Probable, "", "distinct", []string{"c1"}},
		{"CertainAloneRareSurnameNearDate", with(kier, func(c *sdk.Client) { c.BirthDate = "1963-05-06" }), []Candidate{cand("1", "c1", kier)}, Certain, "c1", "alone", nil},
		{"CertainAloneRareSurnameUnknownDay", with(kier, func(c *sdk.Client) { c.BirthDate = "1963-05" }), []Candidate{cand("1", "c1", kier)}, Certain, "c1", "alone", nil},
		{"ProbableNearDateCompeting", with(kier, func(c *sdk.Client) { c.BirthDate = "1963-05-06" }),
			[]Candidate{cand("1", "c1", kier), cand("2", "c2", with(kier, func(c *sdk.Client) { c.BirthDate = "1963-05-07" }))}, Probable, "", "", []string{"c1", "c2"}},
		{"ProbableNearDateNamesakesInIndex", with(kier, func(c *sdk.Client) { c.BirthDate = "1963-05-06" }),
			[]Candidate{cand("1", "c1", kier), cand("2", "c2", with(kier, func(c *sdk.Client) { c.FirstNames = "Anna"; c.Gender = "vrouw" })),
				cand("3", "c3", with(kier, func(c *sdk.Client) { c.FirstNames = "Sara"; c.Gender = "vrouw" })), cand("4", "c4", with(kier, func(c *sdk.Client) { c.FirstNames = "Simon"; c.BirthDate = "1970-05-06" }))},
			Probable, "", "", []string{"c1"}},
		{"ProbableNearDateCommonSurname", with(bos, func(c *sdk.Client) { c.BirthDate = "1935-08-13" }), []Candidate{cand("1", "c1", bos)}, Probable, "", "", []string{"c1"}},
		{"CertainNearDateCommonSurnameTwoFirstNames", with(vries, func(c *sdk.Client) { c.BirthDate = "1971-04-18" }), []Candidate{cand("1", "c1", vries)}, Certain, "c1", "alone", nil},
		{"CertainMarriedNameAlone", with(vries, func(c *sdk.Client) { c.Surname = "Smit" }), []Candidate{cand("1", "c1", vries)}, Certain, "c1", "alone", nil},
		{"CertainPartnerSurnameInitialsAlone", sdk.Client{Surname: "Smit", Initials: "J.M.", BirthDate: "1971-04-13", Gender: "vrouw"},
			[]Candidate{cand("1", "c1", with(vries, func(c *sdk.Client) { c.PartnerSurname = "Smit" }))}, Certain, "c1", "alone", nil},
		{"CertainAloneInitialNearDate", sdk.Client{Surname: "Kierkegaard", Initials: "S.", BirthDate: "1963-05-06", Gender: "man"},
			[]Candidate{cand("1", "c1", kier)}, Certain, "c1", "alone", nil},
		{"CertainAloneFirstNameUnknownDay", sdk.Client{Surname: "Kierkegaard", FirstNames: "Søren Aabye", BirthDate: "1963-05", Gender: "man"},
			[]Candidate{cand("1", "c1", kier)}, Certain, "c1", "alone", nil},
		{"ProbableInitialNearDateGenderUnknown", sdk.Client{Surname: "Kierkegaard", Initials: "S.", BirthDate: "1963-05-06"},
			[]Candidate{cand("1", "c1", kier)}, Probable, "", "", []string{"c1"}},
		{"ProbableInitialUnknownMonth", sdk.Client{Surname: "Kierkegaard", Initials: "S.", BirthDate: "1963", Gender: "man"},
			[]Candidate{cand("1", "c1", kier)}, Probable, "", "", []string{"c1"}},
		{"ProbableInitialNearDateNamesakeInIndex", sdk.Client{Surname: "Kierkegaard", Initials: "S.", BirthDate: "1963-05-06", Gender: "man"},
			[]Candidate{cand("1", "c1", kier), cand("2", "c2", with(kier, func(c *sdk.Client) { c.FirstNames = "Anna"; c.Gender = "vrouw"; c.BirthDate = "1963-11-30" }))},
			Probable, "", "", []string{"c1"}},
		{"ProbableInitialNearDateCommonSurname", sdk.Client{Surname: "Bos", Initials: "N.", BirthDate: "1935-08-13", Gender: "man"},
			[]Candidate{cand("1", "c1", bos)}, Probable, "", "", []string{"c1"}},
		{"ProbableInitialNearDateRegionalSurname", sdk.Client{Surname: "Hoekman", Initials: "N.", BirthDate: "1935-08-13", Gender: "man"},
			[]Candidate{cand("1", "c1", with(bos, func(c *sdk.Client) { c.Surname = "Hoekman" }))}, Probable, "", "", []string{"c1"}},
		{"ProbableOtherFirstNamesInClient", sdk.Client{Surname: "Hart", SurnamePrefix: "'t", FirstNames: "Henk", BirthDate: "1940-05-21", Gender: "man"},
			[]Candidate{cand("1", "c1", sdk.Client{Surname: "Hart", SurnamePrefix: "'t", Initials: "H.", BirthDate: "1940-05-21", Gender: "man"}),
				cand("2", "c1", sdk.Client{Surname: "Hart", SurnamePrefix: "'t", FirstNames: "Hendrik", BirthDate: "1940-05-27", Gender: "man"})},
			Probable, "", "conflict", []string{"c1"}},
		{"ProbableMisspeltTwin", sdk.Client{Surname: "Veekers", Initials: "A.", BirthDate: "2019-08-08", Gender: "vrouw"},
			[]Candidate{cand("1", "anoeska", sdk.Client{Surname: "Veekers", FirstNames: "Anoeska", BirthDate: "2019-08-08", Gender: "vrouw"}),
				cand("2", "babette", sdk.Client{Surname: "Veekers", FirstNames: "Babette", BirthDate: "2019-08-08", Gender: "vrouw"})},
			Probable, "", "twin", []string{"anoeska"}},
		{"ProbableMisspeltTwinTwoInitials", sdk.Client{Surname: "Kaaggaard", Initials: "A.E.", BirthDate: "1988-02-16", Gender: "vrouw"},
			[]Candidate{cand("1", "anne", sdk.Client{Surname: "Kaaggaard", FirstNames: "Anne", BirthDate: "1988-02-16", Gender: "vrouw"}),
				cand("2", "maria", sdk.Client{Surname: "Kaaggaard", FirstNames: "Maria Elisabeth", BirthDate: "1988-02-16", Gender: "vrouw"})},
			Probable, "", "twin", []string{"anne"}},
		{"ProbableMisspeltTwinInClient", sdk.Client{Surname: "Precise", FirstNames: "Udina", BirthDate: "1996-05-01", Gender: "man"},
			[]Candidate{cand("1", "u", sdk.Client{Surname: "Precise", Initials: "U.", BirthDate: "1996-05-01", Gender: "man"}),
				cand("2", "quinty", sdk.Client{Surname: "Precise", FirstNames: "Quinty", BirthDate: "1996-05-01", Gender: "man"})},
			Probable, "", "twin", []string{"u"}},
		{"ProbableOtherSecondInitialInClient", sdk.Client{Surname: "Kaaggaard", Initials: "A.E.", BirthDate: "1988-02-16", Gender: "vrouw"},
			[]Candidate{cand("1", "anne", sdk.Client{Surname: "Kaaggaard", FirstNames: "Anne", BirthDate: "1988-02-16", Gender: "vrouw"}),
				cand("2", "anne", sdk.Client{Surname: "Kaaggaard", Initials: "A.L.M.", BirthDate: "1988-02-16", Gender: "vrouw"})},
			Probable, "", "conflict", []string{"anne"}},
		{"CertainTwinNotMisspelt", sdk.Client{Surname: "Veekers", Initials: "A.", BirthDate: "2019-08-08", Gender: "vrouw"},
			[]Candidate{cand("1", "anoeska", sdk.Client{Surname: "Veekers", FirstNames: "Anoeska", BirthDate: "2019-08-08", Gender: "vrouw"}),
				cand("2", "ilse", sdk.Client{Surname: "Veekers", FirstNames: "Ilse", BirthDate: "2019-08-08", Gender: "vrouw"})},
			Certain, "anoeska", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Resolve(Normalise(tt.n), tt.cands, DefaultThresholds)
			var review []string
			for _, e := range d.Review {
				review = append(review, e.ClientID)
			}
			if d.Grade != tt.grade || d.ClientID != tt.client || d.Evidence.Context != tt.context || !reflect.DeepEqual(review, tt.review) {
				t.Errorf("got %s client %q context %q review %q (%s); want %s %q %q %q",
					d.Grade, d.ClientID, d.Evidence.Context, review, d.Evidence.Match, tt.grade, tt.client, tt.context, tt.review)
			}
		})
	}
}

// TestResolveDeterministic checks that the order of the candidates does not
// change the decision, on a block with several near and certain clients.
func TestResolveDeterministic(t *testing.T) {
	n, cands := block(300)
	extra := sdk.Client{Surname: "de Vries", FirstNames: "Johanna Maria", BirthDate: "1971-04-18", Gender: "vrouw"}
	cands = append(cands, cand("x1", "near", extra), cand("x2", "copy", sdk.Client{Surname: "Vries", SurnamePrefix: "de", Initials: "J.M.", BirthDate: "1971-04-13", Gender: "vrouw"}))
	want := Resolve(n, cands, DefaultThresholds)
	if want.Grade != Certain || len(want.Review) == 0 {
		t.Fatalf("block gives %s with %d review items; want a link and review items", want.Grade, len(want.Review))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		if got := Resolve(n, cands, DefaultThresholds); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the decision: %+v, want %+v", got, want)
		}
	}
}

// block returns k candidates as a common surname's block holds them: the
// same surname and first initial, other first names and birth dates, three
// registrations per client, and the registration's own client among them.
func block(k int) (Normalised, []Candidate) {
	n := Normalise(sdk.Client{Surname: "de Vries", FirstNames: "Johanna Maria", BirthDate: "1971-04-13", Gender: "vrouw"})
	names := []string{"Jan", "Johannes", "Joke", "Jolanda", "Joost", "Julia", "Jesse", "Johanna"}
	cands := make([]Candidate, 0, k)
	for i := range k {
		c := sdk.Client{Surname: "Vries", SurnamePrefix: "de", FirstNames: names[i%len(names)],
			BirthDate: fmt.Sprintf("%04d-%02d-%02d", 1940+i%60, 1+i%12, 1+i%28), Gender: []string{"man", "vrouw"}[i%2]}
		if i%3 == 0 {
			c.FirstNames, c.Initials = "", "J."
		}
		if i == k/2 {
			c = sdk.Client{Surname: "Vries, de", Initials: "J.M.", BirthDate: "1971-04-13", Gender: "vrouw"}
		}
		cands = append(cands, cand(fmt.Sprint(i), fmt.Sprint(i/3), c))
	}
	return n, cands
}

// BenchmarkResolve measures Resolve on blocks of 10, 100 and 1,000
// candidates; divide ns/op by the candidates for the cost of one.
func BenchmarkResolve(b *testing.B) {
	for _, k := range []int{10, 100, 1000} {
		n, cands := block(k)
		b.Run(fmt.Sprintf("candidates=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Resolve(n, cands, DefaultThresholds)
			}
		})
	}
}
