package mapping

import (
	"errors"
	"strings"
	"time"
)

// errDate is the cause of every date that cannot be read.
var errDate = errors.New("no date layout matches")

// minYear is the earliest year taken as real; earlier years are the
// placeholders of systems that had no empty date (0000, 0001).
const minYear = 1800

// DateLayout is a Go time layout for dates, prepared for partly unknown dates.
type DateLayout struct {
	layout string
	// For a fixed-width numeric layout (2006, 01 and 02 with separators,
	// such as "02-01-2006" or "20060102") the offsets of year, month and
	// day; year is -1 for other layouts, which then take only full dates.
	year, month, day int
	// plain is set for such a layout whose separators are only '-', '/'
	// and '.', which time.Parse matches literally: parseDate reads a date of
	// its shape itself.
	plain bool
}

// NewDateLayout checks that layout is a Go layout with a four-digit year, a
// month and a day, and prepares it.
func NewDateLayout(layout string) (DateLayout, error) {
	ref := time.Date(1987, time.November, 23, 0, 0, 0, 0, time.UTC)
	got, err := time.Parse(layout, ref.Format(layout))
	readsBack := err == nil && got.Year() == ref.Year() && got.Month() == ref.Month() && got.Day() == ref.Day()
	switch {
	case readsBack && !strings.Contains(layout, "2006"):
		return DateLayout{}, errors.New("een jaartal van twee cijfers (06) is niet eenduidig; gebruik 2006")
	case !readsBack:
		return DateLayout{}, errors.New("geen Go-notatie met jaar (2006), maand (01) en dag (02); schrijf bijvoorbeeld 02-01-2006 voor dd-mm-jjjj")
	}
	d := DateLayout{layout: layout, year: -1, month: -1, day: -1}
	y, m, dd := -1, -1, -1
	for i := 0; i < len(layout); {
		switch {
		case strings.HasPrefix(layout[i:], "2006") && y < 0:
			y, i = i, i+4
		case strings.HasPrefix(layout[i:], "01") && m < 0:
			m, i = i, i+2
		case strings.HasPrefix(layout[i:], "02") && dd < 0:
			dd, i = i, i+2
		case isAlnum(layout[i]):
			return d, nil // another element: full dates only
		default:
			i++
		}
	}
	if y >= 0 && m >= 0 && dd >= 0 {
		d.year, d.month, d.day = y, m, dd
		d.plain = true
		for i := 0; i < len(layout); i++ {
			if !d.inNumber(i) && layout[i] != '-' && layout[i] != '/' && layout[i] != '.' {
				d.plain = false
			}
		}
	}
	return d, nil
}

// inNumber reports whether offset i of a fixed-width layout falls in its
// year, month or day.
func (l DateLayout) inNumber(i int) bool {
	return i >= l.year && i < l.year+4 || i >= l.month && i < l.month+2 || i >= l.day && i < l.day+2
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// human writes a Go layout the way a Dutch reader expects it: dd-mm-jjjj.
var human = strings.NewReplacer(
	"Z07:00", "±uu:mm", "-07:00", "±uu:mm", "-0700", "±uumm", "2006", "jjjj", "January", "maand",
	"Jan", "mnd", "01", "mm", "02", "dd", "15", "uu", "04", "mi", "05", "ss",
)

// humanLayouts lists layouts in Dutch notation, for messages.
func humanLayouts(layouts []string) string {
	out := make([]string, len(layouts))
	for i, l := range layouts {
		out[i] = human.Replace(l)
	}
	return strings.Join(out, " of ")
}

// parseDate reads v with the first layout that fits and returns the date as
// YYYY-MM-DD; a year before 1800 is taken as a placeholder and refused. When partial is set, a day or month of 00 in a fixed-width
// layout means "unknown": 00-03-1970 gives 1970-03, 00-00-1970 and 19700000
// give 1970. A date of only zeros (00-00-0000) is no date at all and gives "".
func parseDate(layouts []DateLayout, v string, partial bool) (string, error) {
	for _, l := range layouts {
		y, m, d, ok := l.plainDate(v)
		if !ok {
			t, err := time.Parse(l.layout, v)
			if err != nil {
				continue
			}
			y, m, d = t.Year(), int(t.Month()), t.Day()
		}
		if y < minYear {
			return "", errDate
		}
		return formatDate(y, m, d), nil
	}
	for _, l := range layouts {
		if s, ok := l.partialDate(v, partial); ok {
			return s, nil
		}
	}
	return "", errDate
}

// plainDate reads a full date in a plain layout as time.Parse reads it, only
// faster. It reports false for a layout that is not plain, a v of another
// shape and a day that does not exist, and leaves those to time.Parse.
func (l DateLayout) plainDate(v string) (y, m, d int, ok bool) {
	if !l.plain {
		return 0, 0, 0, false
	}
	y, m, d, ok = l.numbers(v)
	if !ok || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// numbers reads year, month and day from v when v has the shape of the
// fixed-width layout: digits for the numbers and the layout's own separators.
func (l DateLayout) numbers(v string) (y, m, d int, ok bool) {
	if l.year < 0 || len(v) != len(l.layout) {
		return 0, 0, 0, false
	}
	for i := 0; i < len(v); i++ {
		if inNumber := l.inNumber(i); inNumber != (v[i] >= '0' && v[i] <= '9') || !inNumber && v[i] != l.layout[i] {
			return 0, 0, 0, false
		}
	}
	return digits(v[l.year : l.year+4]), digits(v[l.month : l.month+2]), digits(v[l.day : l.day+2]), true
}

// digits returns the number that the decimal digits s write.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn returns the number of days of month m of year y.
func daysIn(m, y int) int {
	switch {
	case m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0):
		return 29
	case m == 2:
		return 28
	case m == 4 || m == 6 || m == 9 || m == 11:
		return 30
	}
	return 31
}

// formatDate writes a date of a year between 0 and 9999 as YYYY-MM-DD, as
// YYYY-MM when the day d is 0 and as YYYY when the month m is 0 too.
func formatDate(y, m, d int) string {
	b := [...]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10),
	}
	switch {
	case m == 0:
		return string(b[:4])
	case d == 0:
		return string(b[:7])
	}
	return string(b[:])
}

// partialDate reads a date with zeros for unknown parts in a fixed-width
// layout. Without partial only the all-zero date is accepted.
func (l DateLayout) partialDate(v string, partial bool) (string, bool) {
	y, m, d, ok := l.numbers(v)
	switch {
	case !ok:
		return "", false
	case y == 0 && m == 0 && d == 0:
		return "", true
	case !partial || y < minYear || m > 12:
		return "", false
	case d == 0:
		return formatDate(y, m, 0), true
	}
	return "", false
}

// parseDateTime reads a moment with the first layout that fits, in loc when
// the layout has no zone, and returns it in RFC 3339.
func parseDateTime(layouts []string, loc *time.Location, v string) (string, error) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.Format(time.RFC3339), nil
		}
	}
	return "", errDate
}

// CheckDateTimeLayout checks that layout reads back a date and a time.
func CheckDateTimeLayout(layout string) error {
	ref := time.Date(1987, time.November, 23, 14, 35, 0, 0, time.UTC)
	got, err := time.Parse(layout, ref.Format(layout))
	if err != nil || !strings.Contains(layout, "2006") || got.Year() != ref.Year() || got.Month() != ref.Month() || got.Day() != ref.Day() {
		return errors.New("geen Go-notatie met ten minste jaar (2006), maand (01) en dag (02)")
	}
	return nil
}
