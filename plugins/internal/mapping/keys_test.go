package mapping

import "testing"

func TestKeyIndex(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []int // per key: the line it was first seen on, 0 for new
	}{
		{"Sorted", []string{"a", "b", "c"}, []int{0, 0, 0}},
		{"RepeatInOrder", []string{"a", "b", "b"}, []int{0, 0, 2}},
		{"RepeatAfterOrderBreaks", []string{"a", "c", "b", "a", "d", "c"}, []int{0, 0, 0, 1, 0, 2}},
		{"Unsorted", []string{"c", "b", "a", "b"}, []int{0, 0, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewKeyIndex()
			for i, k := range tt.keys {
				line, ok := x.First(k)
				switch {
				case tt.want[i] == 0 && ok:
					t.Errorf("key %d (%s) seen before, on line %d", i, k, line)
				case tt.want[i] != 0 && (!ok || line != tt.want[i]):
					t.Errorf("key %d (%s): first line %d, %v; want %d", i, k, line, ok, tt.want[i])
				}
				if !ok {
					x.Add(k, i+1)
				}
			}
		})
	}
}
