package config

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxDiffCells bounds the work of one diff (lines of a times lines of b);
// larger inputs are shown as one hunk that replaces everything.
const maxDiffCells = 4_000_000

// Diff returns the unified diff (as diff -u writes it, three lines of
// context) that turns a into b, with oldName and newName in the --- and +++
// headers. Equal inputs give "". A side that does not end in a newline is
// marked with "\ No newline at end of file".
func Diff(oldName, newName string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	x, y := splitLines(string(a)), splitLines(string(b))
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range hunks(ops) {
		writeHunk(&out, ops[h[0]:h[1]])
	}
	return out.String()
}

// diffOp is one line of a diff: kept (' '), removed ('-') or added ('+'),
// with its 0-based line numbers in a and b at that point.
type diffOp struct {
	kind byte
	text string
	ai   int
	bi   int
}

// splitLines cuts s after every newline; the last line may lack one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffLines computes a shortest edit script from the longest common
// subsequence of the lines, removals before additions within a change.
func diffLines(x, y []string) []diffOp {
	// Common head and tail need no table.
	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	var ops []diffOp
	for i := 0; i < head; i++ {
		ops = append(ops, diffOp{' ', x[i], i, i})
	}
	mx, my := x[head:len(x)-tail], y[head:len(y)-tail]
	n, m := len(mx), len(my)
	if n*m > maxDiffCells {
		for i, l := range mx {
			ops = append(ops, diffOp{'-', l, head + i, head})
		}
		for j, l := range my {
			ops = append(ops, diffOp{'+', l, head + n, head + j})
		}
	} else {
		// lcs[i][j] is the LCS length of mx[i:] and my[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && mx[i] == my[j]:
				ops = append(ops, diffOp{' ', mx[i], head + i, head + j})
				i++
				j++
			case j == m || i < n && lcs[i+1][j] >= lcs[i][j+1]:
				ops = append(ops, diffOp{'-', mx[i], head + i, head + j})
				i++
			default:
				ops = append(ops, diffOp{'+', my[j], head + i, head + j})
				j++
			}
		}
	}
	for k := 0; k < tail; k++ {
		ops = append(ops, diffOp{' ', x[len(x)-tail+k], len(x) - tail + k, len(y) - tail + k})
	}
	return ops
}

// hunks returns the [start, end) ranges of ops to print: every change with
// up to diffContext kept lines around it, close changes joined.
func hunks(ops []diffOp) [][2]int {
	var out [][2]int
	for i := 0; i < len(ops); i++ {
		if ops[i].kind == ' ' {
			continue
		}
		start := max(0, i-diffContext)
		end := i
		// Extend while the next change is near enough to share context.
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			k := end
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k < len(ops) && k-end <= 2*diffContext {
				end = k
				continue
			}
			end = min(len(ops), end+diffContext)
			break
		}
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = end
		} else {
			out = append(out, [2]int{start, end})
		}
		i = end - 1
	}
	return out
}

func writeHunk(out *strings.Builder, ops []diffOp) {
	var na, nb int
	for _, op := range ops {
		if op.kind != '+' {
			na++
		}
		if op.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(ops[0].ai, na), hunkRange(ops[0].bi, nb))
	for _, op := range ops {
		out.WriteByte(op.kind)
		out.WriteString(op.text)
		if !strings.HasSuffix(op.text, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange writes a hunk's range as diff -u does: 1-based start and count,
// the count left out when it is 1, and the line before for an empty range.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
