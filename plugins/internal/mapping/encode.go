package mapping

import (
	"strconv"
	"strings"
	"time"
)

// Reverse returns the inverse of the field's value table, for writing the
// partner's own format: per value of the shared schema the partner's code.
// When several codes give one value, the first in sorted order is written
// (a non-empty one for a non-empty value). Boolean values are keyed "true"
// and "false". It returns nil for a field without a table.
func (f *Field) Reverse() map[string]string {
	t := f.table
	if t == nil {
		return nil
	}
	out := map[string]string{}
	for _, code := range t.codes {
		v := t.m[Fold(code)]
		if f.spec.kind == kindBool {
			b, ok := ParseBool(v)
			if !ok {
				continue
			}
			v = strconv.FormatBool(b)
		}
		prev, ok := out[v]
		if !ok || prev == "" && code != "" && v != "" {
			out[v] = code
		}
	}
	return out
}

// Layout returns the Go layout.
func (l DateLayout) Layout() string { return l.layout }

// Format writes a date of the shared schema ("YYYY-MM-DD", "YYYY-MM" or
// "YYYY") in the layout. A partial date is written with zeros for the
// unknown parts in a fixed-width numeric layout, which is how the Mapper
// reads it back; other layouts cannot hold one and give "".
func (l DateLayout) Format(v string) string {
	y, m, d, ok := splitISODate(v)
	if !ok {
		return ""
	}
	if m > 0 && d > 0 {
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Format(l.layout)
	}
	if l.year < 0 {
		return ""
	}
	b := []byte(time.Date(y, time.Month(max(m, 1)), 1, 0, 0, 0, 0, time.UTC).Format(l.layout))
	copy(b[l.day:], "00")
	if m == 0 {
		copy(b[l.month:], "00")
	}
	return string(b)
}

// splitISODate reads "YYYY-MM-DD", "YYYY-MM" or "YYYY"; month and day are 0
// when unknown.
func splitISODate(v string) (y, m, d int, ok bool) {
	parts := strings.Split(v, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return 0, 0, 0, false
	}
	nums := make([]int, 3)
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || i > 0 && len(s) != 2 {
			return 0, 0, 0, false
		}
		nums[i] = n
	}
	y, m, d = nums[0], nums[1], nums[2]
	if m > 12 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}
