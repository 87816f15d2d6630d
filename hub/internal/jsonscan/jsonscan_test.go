package jsonscan

import "testing"

func TestValueEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		end  int // the index just past the value; -1 for none
	}{
		{"String", `"a\"}]" ,`, 7},
		{"Object", `{"a":[1,{"b":"}]"}]} ,`, 20},
		{"Array", `[1, [2], "]"]}`, 13},
		{"Number", `-1.5e3,`, 6},
		{"LiteralBeforeBrace", `true}`, 4},
		{"LiteralBeforeSpace", "false\n,", 5},
		{"ErrEmpty", ``, -1},
		{"ErrNothingAtAll", `,`, -1},
		{"ErrUnclosedString", `"abc`, -1},
		{"ErrUnclosedObject", `{"a":1`, -1},
		{"ErrStringInObjectUnclosed", `{"a":"}`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end, ok := ValueEnd([]byte(tc.in), 0)
			if tc.end < 0 {
				if ok {
					t.Fatalf("ValueEnd(%q) = %d, want none", tc.in, end)
				}
				return
			}
			if !ok || end != tc.end {
				t.Fatalf("ValueEnd(%q) = %d, %v, want %d", tc.in, end, ok, tc.end)
			}
		})
	}
}

func TestSkipSpace(t *testing.T) {
	for in, want := range map[string]int{"": 0, "x": 0, " \t\r\n x": 5, "   ": 3} {
		if got := SkipSpace([]byte(in), 0); got != want {
			t.Errorf("SkipSpace(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestStringEnd(t *testing.T) {
	b := []byte(`x"a\\"b"`)
	if end, ok := StringEnd(b, 1); !ok || end != 6 {
		t.Fatalf("StringEnd = %d, %v, want 6", end, ok)
	}
	if _, ok := StringEnd([]byte(`"a\"`), 0); ok {
		t.Fatal("an unclosed string has an end")
	}
}
