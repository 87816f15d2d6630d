package sdktest

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
)

// brokenCase names a fake that breaks rules and the subtests of the suite
// that must fail for it.
type brokenCase struct {
	fake string
	want []string
}

// runBroken runs the test named test in a child process per case, with the
// environment variable env naming the case's fake, and checks that exactly
// the wanted top-level subtests of test fail.
func runBroken(t *testing.T, test, env string, cases []brokenCase) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	failed := regexp.MustCompile(`--- FAIL: ` + test + `/(\w+) \(`)
	for _, tc := range cases {
		t.Run(tc.fake, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), env+"="+tc.fake)
			out, err := cmd.CombinedOutput()
			var got []string
			for _, m := range failed.FindAllStringSubmatch(string(out), -1) {
				got = append(got, m[1])
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) || err == nil {
				t.Errorf("%s against fake %s: failed subtests %q (exit: %v), want %q\n%s", test, tc.fake, got, err, want, out)
			}
		})
	}
}
