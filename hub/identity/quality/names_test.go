package quality

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestSurnameDistribution checks the surname model against the figures of
// the Nederlandse Familienamenbank it is fitted to (docs/identity.md): the
// most common name about 0.5%, the top 100 10–15%, half of the population
// with a name of fewer than 1,000 bearers, and a key of its own for every
// rank.
func TestSurnameDistribution(t *testing.T) {
	buildNames()
	share := func(r int) float64 { // share of rank r, 1-based
		if r == 1 {
			return names.surnames[0]
		}
		return names.surnames[r-1] - names.surnames[r-2]
	}
	if s := share(1); s < 0.0045 || s > 0.0055 {
		t.Errorf("most common surname %.4f of the population, want about 0.005", s)
	}
	if s := names.surnames[99]; s < 0.10 || s > 0.15 {
		t.Errorf("top 100 surnames %.3f of the population, want 0.10–0.15", s)
	}
	rare := 0.0
	for r := 1; r <= nationalSurnames; r++ {
		if share(r)*nationalPopulation < 1000 {
			rare += share(r)
		}
	}
	if rare < 0.45 || rare > 0.55 {
		t.Errorf("%.3f of the population bears a surname of fewer than 1,000 bearers, want about half", rare)
	}
	t.Logf("top 1 %.4f, top 100 %.3f, top 1,000 %.3f; below 1,000 bearers %.3f", share(1), names.surnames[99], names.surnames[999], rare)

	seen := make(map[string]int, nationalSurnames)
	dups := 0
	for i := range nationalSurnames {
		k := surnameKey(surnameOfRank(i))
		if i >= len(commonSurnameRanks) && i%97 == 0 {
			if c := i - len(commonSurnameRanks); composedKey(c) != surnameKey(composedSurname(c)) {
				t.Fatalf("composedKey(%d) = %q, want %q", c, composedKey(c), surnameKey(composedSurname(c)))
			}
		}
		if k == "" {
			t.Fatalf("rank %d (%q) has no key", i, surnameOfRank(i))
		}
		if j, ok := seen[k]; ok {
			if i >= len(commonSurnameRanks) {
				t.Errorf("composed rank %d (%q) has the key of rank %d (%q)", i, surnameOfRank(i), j, surnameOfRank(j))
				if dups++; dups > 20 {
					t.FailNow()
				}
			}
			continue
		}
		seen[k] = i
	}
}

// TestFirstNames checks that first names are drawn with the share of the
// most common name near 4%, and of the rare list near 30%.
func TestFirstNames(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range []string{"man", "vrouw"} {
		count := map[string]int{}
		const n = 100000
		for range n {
			count[firstName(r, g)]++
		}
		top := maleFirstNames[0]
		rare := maleRareNames
		if g == "vrouw" {
			top, rare = femaleFirstNames[0], femaleRareNames
		}
		inRare := 0
		for _, x := range rare {
			inRare += count[x]
		}
		if s := float64(count[top]) / n; s < 0.03 || s > 0.05 {
			t.Errorf("%s: %s %.3f, want about 0.04", g, top, s)
		}
		if s := float64(inRare) / n; s < 0.25 || s > 0.35 {
			t.Errorf("%s: rare names %.3f, want about 0.30", g, s)
		}
	}
}

func BenchmarkBuildNames(b *testing.B) {
	for b.Loop() {
		names.once = sync.Once{}
		buildNames()
	}
}
