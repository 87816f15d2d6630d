package mapping

import (
	"testing"
	"time"
)

func mustLayouts(t *testing.T, layouts ...string) []DateLayout {
	t.Helper()
	var out []DateLayout
	for _, l := range layouts {
		d, err := NewDateLayout(l)
		if err != nil {
			t.Fatalf("NewDateLayout(%q): %v", l, err)
		}
		out = append(out, d)
	}
	return out
}

func TestParseDate(t *testing.T) {
	layouts := mustLayouts(t, "02-01-2006", "2006-01-02", "20060102", "2/1/2006", "2006-01-02 15:04:05")
	tests := []struct {
		name, in string
		partial  bool
		want     string
		ok       bool
	}{
		{"DutchOrder", "07-02-1940", true, "1940-02-07", true},
		{"ISO", "1940-02-07", true, "1940-02-07", true},
		{"Compact", "19400207", true, "1940-02-07", true},
		{"NotPadded", "7/2/1940", true, "1940-02-07", true},
		{"WithTime", "1940-02-07 00:00:00", true, "1940-02-07", true},
		{"UnknownDay", "00-03-1970", true, "1970-03", true},
		{"UnknownDayAndMonth", "00-00-1970", true, "1970", true},
		{"UnknownDayAndMonthCompact", "19700000", true, "1970", true},
		{"UnknownDayCompact", "19700300", true, "1970-03", true},
		{"UnknownDayISO", "1970-03-00", true, "1970-03", true},
		{"AllZerosIsNoDate", "00-00-0000", true, "", true},
		{"AllZerosCompact", "00000000", false, "", true},
		{"PartialNotAllowed", "00-03-1970", false, "", false},
		{"DayWithoutMonth", "15-00-1970", true, "", false},
		{"YearZero", "15-03-0000", true, "", false},
		{"MonthOutOfRange", "00-13-1970", true, "", false},
		{"NoSuchDay", "31-02-1970", true, "", false},
		{"WrongSeparator", "07.02.1940", true, "", false},
		{"Text", "onbekend", true, "", false},
		{"TwoDigitYear", "07-02-40", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(layouts, tt.in, tt.partial)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("parseDate(%q, %v) = %q, %v; want %q, ok %v", tt.in, tt.partial, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestNewDateLayout(t *testing.T) {
	tests := []struct {
		name, layout string
		ok           bool
		partial      bool
	}{
		{"OK/Dutch", "02-01-2006", true, true},
		{"OK/Compact", "20060102", true, true},
		{"OK/Slashes", "02/01/2006", true, true},
		{"OK/NotPaddedFullDatesOnly", "2-1-2006", true, false},
		{"OK/WithTimeFullDatesOnly", "2006-01-02 15:04", true, false},
		{"OK/MonthName", "2 Jan 2006", true, false},
		{"ErrTwoDigitYear", "02-01-06", false, false},
		{"ErrNoDay", "01-2006", false, false},
		{"ErrNoMonth", "02-2006", false, false},
		{"ErrNotALayout", "dd-mm-jjjj", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDateLayout(tt.layout)
			if (err == nil) != tt.ok {
				t.Fatalf("NewDateLayout(%q) error %v, want ok %v", tt.layout, err, tt.ok)
			}
			if tt.ok && (d.year >= 0) != tt.partial {
				t.Errorf("NewDateLayout(%q) takes partial dates: %v, want %v", tt.layout, d.year >= 0, tt.partial)
			}
		})
	}
}

func TestParseDateTime(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	layouts := []string{time.RFC3339, "2006-01-02 15:04:05", "02-01-2006"}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"RFC3339", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", true},
		{"LocalSummerTime", "2024-05-01 10:00:00", "2024-05-01T10:00:00+02:00", true},
		{"LocalWinterTime", "2024-01-15 10:00:00", "2024-01-15T10:00:00+01:00", true},
		{"DateOnly", "15-01-2024", "2024-01-15T00:00:00+01:00", true},
		{"ErrGarbage", "gisteren", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDateTime(layouts, loc, tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("parseDateTime(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHumanLayouts(t *testing.T) {
	if got, want := humanLayouts([]string{"02-01-2006", "20060102"}), "dd-mm-jjjj of jjjjmmdd"; got != want {
		t.Errorf("humanLayouts = %q, want %q", got, want)
	}
}
