package identity

// Consistent reports whether two clients may be one person by everything
// their registrations say: no pair across them is of different people by a
// hard rule (twins, parent/child, another BSN), no pair carries two valid
// BSNs or one BSN with another person's names or birth date
// ("bsn-differ-review", "bsn-conflict": a person must sort those out), and
// every pair across them is at least Probable. The hub merges two clients automatically only when a
// new registration is a Certain match with both and Consistent holds: then
// the order in which partners deliver does not decide who is one client.
func Consistent(a, b []Normalised, th Thresholds) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, x := range a {
		for _, y := range b {
			m := compare(x, y, th)
			if hardDistinct(m) || m.grade < Probable || m.rule == "bsn-differ-review" || m.rule == "bsn-conflict" {
				return false
			}
		}
	}
	return true
}
