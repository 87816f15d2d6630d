package config

import "testing"

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{name: "Equal", a: "a\nb\n", b: "a\nb\n", want: ""},
		{name: "FromNothing", a: "", b: "id: x\nname: X\n", want: "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+id: x\n+name: X\n"},
		{name: "ToNothing", a: "id: x\n", b: "", want: "--- old\n+++ new\n@@ -1 +0,0 @@\n-id: x\n"},
		{
			name: "ChangeWithContext",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			b:    "1\n2\n3\n4\nvijf\n6\n7\n8\n9\n",
			want: "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+vijf\n 6\n 7\n 8\n",
		},
		{
			name: "TwoHunks",
			a:    "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			want: "--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n",
		},
		{
			name: "JoinedHunk",
			a:    "a\n1\n2\n3\n4\n5\n6\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\nB\n",
			want: "--- old\n+++ new\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n",
		},
		{
			name: "NoNewlineAtEnd",
			a:    "a\nb",
			b:    "a\nc\n",
			want: "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff("old", "new", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("Diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDiffLarge(t *testing.T) {
	var a, b []byte
	for i := range 3000 {
		a = append(a, byte('a'+i%26), '\n')
		b = append(b, byte('A'+i%26), '\n')
	}
	d := Diff("old", "new", a, b)
	if want := "--- old\n+++ new\n@@ -1,3000 +1,3000 @@\n-a\n"; d[:len(want)] != want {
		t.Errorf("Diff of large inputs starts %q", d[:40])
	}
}
