package policy_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ketenhub/ketenhub/hub/policy"
)

// grid is a published table as an extended grid (totals last), nil for
// a suppressed count, with the true counts beside it.
type grid struct {
	shown [][]*int
	truth [][]int
}

func extend(t policy.Table, p policy.Published) grid {
	r, c := len(t.Rows), len(t.Columns)
	g := grid{shown: make([][]*int, r+1), truth: make([][]int, r+1)}
	for i := range r + 1 {
		g.shown[i] = make([]*int, c+1)
		g.truth[i] = make([]int, c+1)
	}
	for i := range r {
		for j := range c {
			v := t.Counts[i][j]
			g.truth[i][j] = v
			g.truth[i][c] += v
			g.truth[r][j] += v
			g.truth[r][c] += v
			g.shown[i][j] = p.Cells[i][j]
		}
		g.shown[i][c] = p.RowTotals[i]
	}
	for j := range c {
		g.shown[r][j] = p.ColumnTotals[j]
	}
	g.shown[r][c] = p.Total
	return g
}

// lines gives each row and each column of the extended grid, total last.
func (g grid) lines() [][][2]int {
	r, c := len(g.shown)-1, len(g.shown[0])-1
	var out [][][2]int
	for i := range r + 1 {
		var l [][2]int
		for j := range c + 1 {
			l = append(l, [2]int{i, j})
		}
		out = append(out, l)
	}
	for j := range c + 1 {
		var l [][2]int
		for i := range r + 1 {
			l = append(l, [2]int{i, j})
		}
		out = append(out, l)
	}
	return out
}

// attack solves every line with one unknown until nothing changes, and
// then reports the counts of 1 to min-1 a reader can recover or bound: a
// suppressed cell computed exactly, or a group of suppressed cells whose
// known sum is below min (so each of them is small).
func attack(g grid, min int) []string {
	known := make([][]*int, len(g.shown))
	for i := range g.shown {
		known[i] = append([]*int(nil), g.shown[i]...)
	}
	for changed := true; changed; {
		changed = false
		for _, l := range g.lines() {
			var unknown [][2]int
			sum := 0
			for k, x := range l {
				if known[x[0]][x[1]] == nil {
					unknown = append(unknown, x)
				} else if k < len(l)-1 {
					sum += *known[x[0]][x[1]]
				}
			}
			if len(unknown) != 1 {
				continue
			}
			x := unknown[0]
			var v int
			if x == l[len(l)-1] {
				v = sum
			} else {
				v = *known[l[len(l)-1][0]][l[len(l)-1][1]] - sum
			}
			known[x[0]][x[1]] = &v
			changed = true
		}
	}
	var leaks []string
	for i := range g.shown {
		for j := range g.shown[i] {
			if g.shown[i][j] == nil && known[i][j] != nil && *known[i][j] > 0 && *known[i][j] < min {
				leaks = append(leaks, fmt.Sprintf("cell (%d,%d) = %d recovered", i, j, *known[i][j]))
			}
		}
	}
	for _, l := range g.lines() {
		total := l[len(l)-1]
		if known[total[0]][total[1]] == nil {
			continue
		}
		sum, n := *known[total[0]][total[1]], 0
		for _, x := range l[:len(l)-1] {
			if known[x[0]][x[1]] == nil {
				n++
			} else {
				sum -= *known[x[0]][x[1]]
			}
		}
		if n > 1 && sum > 0 && sum < min {
			leaks = append(leaks, fmt.Sprintf("line ending at (%d,%d): %d unknown cells add up to %d", total[0], total[1], n, sum))
		}
	}
	return leaks
}

// checkSuppressed checks a published table against the rules: true counts
// of 1..min-1 never shown, everything shown equal to the truth, nothing
// recoverable.
func checkSuppressed(t *testing.T, tab policy.Table, p policy.Published, min int) {
	t.Helper()
	g := extend(tab, p)
	hidden := 0
	for i := range g.shown {
		for j := range g.shown[i] {
			v := g.truth[i][j]
			switch s := g.shown[i][j]; {
			case s == nil:
				hidden++
			case v > 0 && v < min:
				t.Errorf("count %d at (%d,%d) published", v, i, j)
			case *s != v:
				t.Errorf("published %d at (%d,%d), true count %d", *s, i, j, v)
			}
		}
	}
	if hidden != p.Suppressed {
		t.Errorf("Suppressed = %d, %d counts hidden", p.Suppressed, hidden)
	}
	for _, leak := range attack(g, min) {
		t.Error(leak)
	}
}

func TestSuppressExample(t *testing.T) {
	// Clients per target group (rows) and municipality (columns).
	tab := policy.Table{
		Rows:    []string{"feitelijk_dakloos", "veelpleger", "zorgmijder"},
		Columns: []string{"Eindhoven", "Helmond", "Best"},
		Counts: [][]int{
			{40, 12, 3},
			{25, 0, 8},
			{17, 9, 6},
		},
	}
	p, err := policy.Suppress(tab, policy.MinCell)
	if err != nil {
		t.Fatal(err)
	}
	checkSuppressed(t, tab, p, policy.MinCell)
	if p.Cells[0][2] != nil {
		t.Error("the cell of 3 is published")
	}
	if p.Cells[1][1] == nil || *p.Cells[1][1] != 0 {
		t.Error("a zero is suppressed")
	}
	if p.Total == nil || *p.Total != 120 {
		t.Errorf("grand total %v", p.Total)
	}
	// The 3 takes the smallest non-zero count of its row (12) and of its
	// column (6) along; the 12 needs a second count in its column and takes
	// the 9, not the published zero.
	//    40  -  - |  55
	//    25  0  8 |  33
	//    17  -  - |  32
	//    82 21 17 | 120
	for _, x := range [][2]int{{0, 1}, {0, 2}, {2, 1}, {2, 2}} {
		if p.Cells[x[0]][x[1]] != nil {
			t.Errorf("cell %v published", x)
		}
	}
	if p.Suppressed != 4 {
		t.Errorf("%d counts suppressed, want 4", p.Suppressed)
	}
	if p.MinCell != policy.MinCell {
		t.Errorf("MinCell %d", p.MinCell)
	}
}

// TestAttack checks the attacker of these tests: it must see through
// primary suppression alone.
func TestAttack(t *testing.T) {
	tab := policy.Table{Rows: []string{"a", "b"}, Columns: []string{"x", "y"}, Counts: [][]int{{3, 10}, {20, 30}}}
	v := func(n int) *int { return &n }
	primaryOnly := policy.Published{Cells: [][]*int{{nil, v(10)}, {v(20), v(30)}},
		RowTotals: []*int{v(13), v(50)}, ColumnTotals: []*int{v(23), v(40)}, Total: v(63)}
	if leaks := attack(extend(tab, primaryOnly), policy.MinCell); len(leaks) == 0 {
		t.Error("the attacker does not recover a cell suppressed alone")
	}
	tab = policy.Table{Rows: []string{"a"}, Columns: []string{"x", "y", "z"}, Counts: [][]int{{3, 1, 40}}}
	bothSmall := policy.Published{Cells: [][]*int{{nil, nil, v(40)}}, RowTotals: []*int{v(44)},
		ColumnTotals: []*int{nil, nil, v(40)}, Total: v(44)}
	if leaks := attack(extend(tab, bothSmall), policy.MinCell); len(leaks) == 0 {
		t.Error("the attacker does not see that two suppressed cells add up to a small count")
	}
}

func TestSuppressNothingSmall(t *testing.T) {
	tab := policy.Table{Rows: []string{"a", "b"}, Columns: []string{"x", "y"}, Counts: [][]int{{5, 0}, {7, 100}}}
	p, err := policy.Suppress(tab, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Suppressed != 0 {
		t.Errorf("%d counts suppressed in a table without small counts", p.Suppressed)
	}
	checkSuppressed(t, tab, p, policy.MinCell)
}

func TestSuppressOneWay(t *testing.T) {
	tab := policy.Table{Rows: []string{"totaal"}, Columns: []string{"wonen", "inkomen", "zorg", "dagbesteding"},
		Counts: [][]int{{30, 2, 11, 0}}}
	p, err := policy.Suppress(tab, policy.MinCell)
	if err != nil {
		t.Fatal(err)
	}
	checkSuppressed(t, tab, p, policy.MinCell)
	if p.Cells[0][1] != nil || p.Cells[0][2] != nil || p.Cells[0][0] == nil {
		t.Errorf("one-way table: %v %v %v", p.Cells[0][0], p.Cells[0][1], p.Cells[0][2])
	}
}

func TestSuppressAllSmall(t *testing.T) {
	tab := policy.Table{Rows: []string{"a"}, Columns: []string{"x"}, Counts: [][]int{{3}}}
	p, err := policy.Suppress(tab, policy.MinCell)
	if err != nil {
		t.Fatal(err)
	}
	checkSuppressed(t, tab, p, policy.MinCell)
	if p.Total != nil {
		t.Error("a total of 3 is published")
	}
}

func TestSuppressRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		r, c := 1+rng.IntN(6), 1+rng.IntN(6)
		tab := policy.Table{Rows: make([]string, r), Columns: make([]string, c), Counts: make([][]int, r)}
		for i := range r {
			tab.Counts[i] = make([]int, c)
			for j := range c {
				switch rng.IntN(4) {
				case 0:
					tab.Counts[i][j] = 0
				case 1:
					tab.Counts[i][j] = 1 + rng.IntN(4)
				default:
					tab.Counts[i][j] = rng.IntN(60)
				}
			}
		}
		min := policy.MinCell
		if n%5 == 0 {
			min = 10
		}
		p, err := policy.Suppress(tab, min)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("%d_%dx%d", n, r, c), func(t *testing.T) { checkSuppressed(t, tab, p, min) })
	}
}

func TestSuppressErrors(t *testing.T) {
	for name, tab := range map[string]policy.Table{
		"RowsLabels": {Rows: []string{"a", "b"}, Columns: []string{"x"}, Counts: [][]int{{1}}},
		"Ragged":     {Rows: []string{"a"}, Columns: []string{"x", "y"}, Counts: [][]int{{1}}},
		"Negative":   {Rows: []string{"a"}, Columns: []string{"x"}, Counts: [][]int{{-1}}},
	} {
		if _, err := policy.Suppress(tab, policy.MinCell); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
