package policy

import (
	"cmp"
	"fmt"
)

// MinCell is the smallest number of clients a published cell may count:
// cells of 1 to MinCell-1 clients are suppressed.
const MinCell = 5

// Table is a two-way frequency table of clients for /v1/stats: Counts[i][j]
// is the number of clients in row i and column j. Every client is counted
// in exactly one cell, so that the totals are the sums of the cells. A
// one-way table has one row.
type Table struct {
	Rows    []string `json:"rows"`
	Columns []string `json:"columns"`
	Counts  [][]int  `json:"counts"`
}

// Published is a table after small-cell suppression, with its row,
// column and grand totals. A nil count is suppressed.
type Published struct {
	Rows         []string `json:"rows"`
	Columns      []string `json:"columns"`
	Cells        [][]*int `json:"cells"`
	RowTotals    []*int   `json:"row_totals"`
	ColumnTotals []*int   `json:"column_totals"`
	Total        *int     `json:"total"`
	// MinCell is the threshold applied.
	MinCell int `json:"min_cell"`
	// Suppressed counts the suppressed cells and totals.
	Suppressed int `json:"suppressed"`
}

// Suppress publishes a table with small-cell suppression:
//
//   - primary: every cell or total counting 1 to minCell-1 clients is
//     suppressed (0 is published: no client can be recognised in it);
//   - complementary: in every row and column (each with its total), a
//     suppressed cell must not be computable from the others: a line never
//     has exactly one suppressed count, and where its total is published
//     the suppressed cells of the line add up to at least minCell, so that
//     a reader cannot even tell that they are all small.
//
// Complements are taken from the cells of the line, non-zero ones first
// and the smallest first (to publish as much as possible); totals only
// when no cell is left. A minCell below 2 means MinCell. It returns an
// error when the table is not rectangular or has a negative count.
func Suppress(t Table, minCell int) (Published, error) {
	if minCell < 2 {
		minCell = MinCell
	}
	r, c := len(t.Rows), len(t.Columns)
	if len(t.Counts) != r {
		return Published{}, fmt.Errorf("suppress: %d rows of counts for %d row labels", len(t.Counts), r)
	}
	// The extended grid: row r holds the column totals, column c the row
	// totals, [r][c] the grand total.
	grid := make([][]int, r+1)
	for i := range grid {
		grid[i] = make([]int, c+1)
	}
	for i, row := range t.Counts {
		if len(row) != c {
			return Published{}, fmt.Errorf("suppress: row %d has %d counts for %d columns", i, len(row), c)
		}
		for j, v := range row {
			if v < 0 {
				return Published{}, fmt.Errorf("suppress: negative count in row %d, column %d", i, j)
			}
			grid[i][j] = v
			grid[i][c] += v
			grid[r][j] += v
			grid[r][c] += v
		}
	}
	s := suppressor{grid: grid, r: r, c: c, min: minCell, hidden: make([][]bool, r+1)}
	for i := range s.hidden {
		s.hidden[i] = make([]bool, c+1)
		for j := range s.hidden[i] {
			if v := grid[i][j]; v > 0 && v < minCell {
				s.hidden[i][j] = true
			}
		}
	}
	s.complete()

	p := Published{Rows: t.Rows, Columns: t.Columns, MinCell: minCell, Cells: make([][]*int, r),
		RowTotals: make([]*int, r), ColumnTotals: make([]*int, c)}
	show := func(i, j int) *int {
		if s.hidden[i][j] {
			p.Suppressed++
			return nil
		}
		v := grid[i][j]
		return &v
	}
	for i := range r {
		p.Cells[i] = make([]*int, c)
		for j := range c {
			p.Cells[i][j] = show(i, j)
		}
		p.RowTotals[i] = show(i, c)
	}
	for j := range c {
		p.ColumnTotals[j] = show(r, j)
	}
	p.Total = show(r, c)
	return p, nil
}

// suppressor runs complementary suppression on the extended grid.
type suppressor struct {
	grid   [][]int
	hidden [][]bool
	r, c   int
	min    int
}

// cell is a position in the extended grid.
type cell struct{ i, j int }

// lines returns every line of the extended grid: each row with its row
// total last, each column with its column total last.
func (s *suppressor) lines() [][]cell {
	var out [][]cell
	for i := 0; i <= s.r; i++ {
		line := make([]cell, 0, s.c+1)
		for j := 0; j <= s.c; j++ {
			line = append(line, cell{i, j})
		}
		out = append(out, line)
	}
	for j := 0; j <= s.c; j++ {
		line := make([]cell, 0, s.r+1)
		for i := 0; i <= s.r; i++ {
			line = append(line, cell{i, j})
		}
		out = append(out, line)
	}
	return out
}

// complete suppresses complements until every line is safe. Every round
// suppresses at least one more count, so it ends.
func (s *suppressor) complete() {
	lines := s.lines()
	for changed := true; changed; {
		changed = false
		for _, line := range lines {
			if s.unsafe(line) && s.complement(line) {
				changed = true
			}
		}
	}
}

// unsafe reports whether a line gives a suppressed count away.
func (s *suppressor) unsafe(line []cell) bool {
	n, sum := 0, 0
	for _, x := range line[:len(line)-1] {
		if s.hidden[x.i][x.j] {
			n++
			sum += s.grid[x.i][x.j]
		}
	}
	total := line[len(line)-1]
	if s.hidden[total.i][total.j] {
		return n == 0 // only the total: it is the sum of the published cells
	}
	return n == 1 || n > 1 && sum < s.min
}

// complement suppresses one more count of a line: a published cell, the
// non-zero and smallest first, else the total. It reports whether it
// found one.
func (s *suppressor) complement(line []cell) bool {
	best := -1
	for k, x := range line[:len(line)-1] {
		if s.hidden[x.i][x.j] {
			continue
		}
		if best < 0 || better(s.grid[x.i][x.j], s.grid[line[best].i][line[best].j]) {
			best = k
		}
	}
	if best < 0 {
		total := line[len(line)-1]
		if s.hidden[total.i][total.j] {
			return false
		}
		best = len(line) - 1
	}
	x := line[best]
	s.hidden[x.i][x.j] = true
	return true
}

// better orders complement candidates: non-zero before zero, then smaller.
func better(a, b int) bool {
	if (a == 0) != (b == 0) {
		return a != 0
	}
	return cmp.Less(a, b)
}
