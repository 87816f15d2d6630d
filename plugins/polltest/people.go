package polltest

import (
	"fmt"
	"time"
)

// People returns n made-up persons, changed one after another from first
// on, step apart, with keys prefix-0001 and on. Their BSNs are 9999xxxxx
// numbers that pass the elfproef and belong to no one; one in five has a
// partly unknown birth date and one in four a voorvoegsel.
func People(prefix string, n int, first time.Time, step time.Duration) []Person {
	surnames := []string{"Jansen", "Berg", "Yilmaz", "Bruin", "Visser", "Haan", "Bakker", "Hoek", "El Amrani", "Smit"}
	prefixes := []string{"", "van den", "", "de"}
	givens := []string{"Pieter Jan", "Anna", "Mehmet", "Cornelia Sofia", "Johannes", "Fatima", "Sanne", "Kees"}
	gemeenten := []string{"0772", "0794", "0363", "0855"}
	out := make([]Person, n)
	bsn := 999900000
	for i := range out {
		for bsn++; !elfproef(bsn); bsn++ {
		}
		birth := fmt.Sprintf("19%02d-%02d-%02d", 50+i%50, 1+i%12, 1+i%28)
		switch i % 5 {
		case 3:
			birth = birth[:8] + "00"
		case 4:
			birth = birth[:5] + "00-00"
		}
		out[i] = Person{
			Key:        fmt.Sprintf("%s-%04d", prefix, i+1),
			BSN:        fmt.Sprint(bsn),
			Surname:    surnames[i%len(surnames)],
			Prefix:     prefixes[i%len(prefixes)],
			FirstNames: givens[i%len(givens)],
			BirthDate:  birth,
			Gender:     []string{"M", "V", "O"}[i%3],
			Gemeente:   gemeenten[i%len(gemeenten)],
			Changed:    first.Add(time.Duration(i) * step),
		}
	}
	return out
}

// elfproef reports whether the 9 digits of n pass the BSN check.
func elfproef(n int) bool {
	sum := -(n % 10)
	n /= 10
	for w := 2; w <= 9; w++ {
		sum += w * (n % 10)
		n /= 10
	}
	return sum != 0 && sum%11 == 0
}
