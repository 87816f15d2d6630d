package main

import (
	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// mapper maps the rows of one document onto registrations: it finds the
// configured columns in a row and hands their values to a mapping.Mapper.
// It is not safe for concurrent use.
type mapper struct {
	p    *plan
	m    *mapping.Mapper
	pos  []int // per plan column: its 0-based position in the row
	cpos []int // per consent column: its 0-based position in the row
}

func newMapper(p *plan, receivedAt string) *mapper {
	return &mapper{p: p, m: mapping.NewMapper(p.Plan, receivedAt), pos: make([]int, len(p.columns)), cpos: make([]int, len(p.consentCols))}
}

// bindHeader finds the configured columns, and the consent columns, in the
// header. It returns the configured names that are missing and those that
// occur more than once.
func (m *mapper) bindHeader(header []string) (missing, doubled []string) {
	index := make(map[string]int, len(header))
	count := make(map[string]int, len(header))
	for i, h := range header {
		k := mapping.Fold(h)
		if _, ok := index[k]; !ok {
			index[k] = i
		}
		count[k]++
	}
	find := func(key string) int {
		k := mapping.Fold(key)
		pos, ok := index[k]
		switch {
		case !ok:
			missing = append(missing, key)
		case count[k] > 1:
			doubled = append(doubled, key)
		}
		return pos
	}
	for i, c := range m.p.columns {
		m.pos[i] = find(c.key)
	}
	for _, c := range m.p.consentCols {
		m.cpos[c.slot] = find(c.key)
	}
	return missing, doubled
}

// bindPositions addresses the columns by position, for a document without
// header. It returns the highest position used.
func (m *mapper) bindPositions() int {
	highest := 0
	for i, c := range m.p.columns {
		m.pos[i] = c.index - 1
		highest = max(highest, c.index)
	}
	for _, c := range m.p.consentCols {
		m.cpos[c.slot] = c.index - 1
		highest = max(highest, c.index)
	}
	return highest
}

// mapRow maps one row. It returns the registration, or nil and the problems
// found, and the record key when the row has a usable one; the problems
// carry that key. The registration and the problems are valid until the
// next call.
func (m *mapper) mapRow(line int, row []string) (reg *sdk.Registration, key string, errs []sdk.RecordError) {
	m.m.Begin(line)
	for i := range m.p.columns {
		m.m.Set(i, row[m.pos[i]], m.pos[i]+1)
	}
	return m.m.Map()
}

// recordKey returns the record key that mapRow gives row, without mapping
// the rest of it.
func (m *mapper) recordKey(row []string) string {
	m.m.Begin(0)
	in := m.p.Fields[mapping.RecordKey].Input
	for i, c := range m.p.columns {
		if c.in == in {
			m.m.Set(i, row[m.pos[i]], m.pos[i]+1)
			break
		}
	}
	return m.m.Key()
}
