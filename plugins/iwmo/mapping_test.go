package main

import (
	"strings"
	"testing"

	"github.com/ketenhub/ketenhub/plugins/internal/adaptertest"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// testMapper returns a mapper for the gemeente-diemen configuration with a
// header of message type k.
func testMapper(t *testing.T, k kind) *mapper {
	t.Helper()
	a := mustAdapter(t, string(adaptertest.ReadConfig(t, "gemeente-diemen")))
	m := newMapper(a.plan.Load(), testDoc.ReceivedAt)
	m.setHeader(&header{kind: k, gemeente: val{s: "0384"}, aanbieder: val{s: "98025566"}, date: val{s: "2025-03-01"}})
	return m
}

func v(s string) val { return val{s: s, loc: loc{name: "X", line: 1}} }

func TestSemantics(t *testing.T) {
	tests := []struct {
		name              string
		kind              kind
		status, reason    string
		start, end, begin string
		wantOp            sdk.Operation
		wantStep          string
		wantErr           string
	}{
		{"WMO301New", wmo301, "", "", "2025-01-01", "2025-12-31", "", sdk.OpNew, "trajecttoewijzing", ""},
		{"WMO301Change", wmo301, "", "04", "2025-01-01", "2026-06-30", "", sdk.OpChange, "trajecttoewijzing", ""},
		{"WMO301ChangeRelease20", wmo301, "", "4", "2025-01-01", "2025-06-30", "", sdk.OpChange, "trajecttoewijzing", ""},
		{"WMO301Withdrawn", wmo301, "", "01", "2025-01-01", "2025-01-01", "", sdk.OpDelete, "trajecttoewijzing", ""},
		{"WMO301CorrectionKeeps", wmo301, "", "01", "2025-01-01", "2025-03-31", "", sdk.OpChange, "trajecttoewijzing", ""},
		{"ErrWMO301EndBeforeStart", wmo301, "", "", "2025-02-01", "2025-01-31", "", sdk.OpNew, "trajecttoewijzing", "8188"},
		{"ErrWMO301NoStart", wmo301, "", "", "", "", "", sdk.OpNew, "trajecttoewijzing", "1174"},
		{"WMO305Start", wmo305, "1", "", "", "", "2025-01-02", sdk.OpChange, "trajectmonitoring", ""},
		{"WMO305Corrected", wmo305, "2", "", "", "", "2025-01-02", sdk.OpChange, "trajectmonitoring", ""},
		{"WMO305Withdrawn", wmo305, "3", "", "", "", "2025-01-02", sdk.OpChange, "trajecttoewijzing", ""},
		{"ErrWMO305NoBegin", wmo305, "1", "", "", "", "", sdk.OpChange, "trajectmonitoring", "0699"},
		{"ErrWMO305Status", wmo305, "9", "", "", "", "2025-01-02", sdk.OpChange, "trajectmonitoring", "0806"},
		{"ErrWMO305NoStatus", wmo305, "", "", "", "", "2025-01-02", sdk.OpChange, "trajectmonitoring", "0806"},
		{"WMO307Stop", wmo307, "1", "", "", "2025-06-30", "2025-01-02", sdk.OpChange, "uitstroom_nazorg", ""},
		{"WMO307Withdrawn", wmo307, "3", "", "", "2025-06-30", "2025-01-02", sdk.OpChange, "trajectmonitoring", ""},
		{"ErrWMO307EndBeforeBegin", wmo307, "1", "", "", "2024-12-31", "2025-01-02", sdk.OpChange, "uitstroom_nazorg", "8188"},
		{"ErrWMO307NoEnd", wmo307, "1", "", "", "", "2025-01-02", sdk.OpChange, "uitstroom_nazorg", "8007"},
		{"WMO315Release3", wmo315, "", "", "2025-02-01", "", "", sdk.OpNew, "aanmelding", ""},
		{"WMO315New", wmo315, "1", "", "2025-02-01", "", "", sdk.OpNew, "aanmelding", ""},
		{"WMO315Withdrawn", wmo315, "3", "", "2025-02-01", "", "", sdk.OpDelete, "aanmelding", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMapper(t, tt.kind)
			p := &product{status: v(tt.status), reason: v(tt.reason), start: v(tt.start), end: v(tt.end), begin: v(tt.begin)}
			op, step := m.semantics(tt.kind, p)
			if op != tt.wantOp || step != tt.wantStep {
				t.Errorf("semantics = %s, %s; want %s, %s", op, step, tt.wantOp, tt.wantStep)
			}
			switch {
			case tt.wantErr == "" && len(m.errs) > 0:
				t.Errorf("unexpected errors %+v", m.errs)
			case tt.wantErr != "" && (len(m.errs) != 1 || !strings.Contains(m.errs[0].Message, "retourcode "+tt.wantErr)):
				t.Errorf("errors = %+v, want one with retourcode %s", m.errs, tt.wantErr)
			}
		})
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		p    product
		bsn  string
		want string
	}{
		{"Toewijzing", product{toewijzing: v("000123456789"), beschikking: v("42")}, "", "0384-T123456789"},
		{"ToewijzingOwnGemeente", product{toewijzing: v("7"), gemeente: v("0363")}, "", "0363-T7"},
		{"Beschikking", product{beschikking: v("000000000425386123"), category: v("07"), code: v("07A03")}, "", "0384-B425386123-07A03-98025566"},
		{"BeschikkingCategory", product{beschikking: v("9"), category: v("07"), aanbieder: v("42420111")}, "", "0384-B9-07-42420111"},
		{"Reference", product{reference: v("AANVR-1"), category: v("16")}, "", "0384-R98025566-"},
		{"Client", product{category: v("01"), code: v("01A00"), start: v("20150101")}, "999990019", "0384-C98025566-"},
		{"NoKey", product{category: v("01"), code: v("01A00")}, "999990019", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMapper(t, wmo301)
			got := m.key(&client{}, &tt.p, tt.bsn)
			if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("key = %q, want %q...", got, tt.want)
			}
			if tt.bsn != "" && strings.Contains(got, tt.bsn) {
				t.Errorf("key %q contains the BSN", got)
			}
		})
	}
	t.Run("HashKeyedAndStable", func(t *testing.T) {
		p := product{category: v("01"), start: v("20150101")}
		a := testMapper(t, wmo301).key(&client{}, &p, "999990019")
		b := testMapper(t, wmo301).key(&client{}, &p, "999990019")
		other := mustAdapter(t, `{"role": "gemeente", "codes": ["0384"], "key_secret": "another secret, 16+"}`)
		m := newMapper(other.plan.Load(), "")
		m.setHeader(&header{kind: wmo301, gemeente: val{s: "0384"}, aanbieder: val{s: "98025566"}})
		c := m.key(&client{}, &p, "999990019")
		if a != b || a == c {
			t.Errorf("keys %q, %q (same secret) and %q (other secret): want the first two equal, the third different", a, b, c)
		}
	})
}

func TestClientFields(t *testing.T) {
	tests := []struct {
		name                 string
		birth, use, initials string
		gender               string
		wantBirth, wantIni   string
		wantGender           string
		wantErr              string
	}{
		{"OK", "1985-01-06", "", "DHR", "1", "1985-01-06", "D.H.R.", "man", ""},
		{"EI", "19850106", "0", "D H", "2", "1985-01-06", "D.H.", "vrouw", ""},
		{"DayUnknown", "1985-01-01", "1", "a", "0", "1985-01", "A.", "onbekend", ""},
		{"DayUnknownEI", "19850100", "1", "", "9", "1985-01", "", "onbekend", ""},
		{"MonthUnknown", "19850000", "2", "", "", "1985", "", "", ""},
		{"AllUnknown", "00000000", "3", "", "", "", "", "", ""},
		{"ErrDate", "1985-02-30", "", "", "", "", "", "", "0350"},
		{"ErrDateUse", "1985-01-06", "4", "", "", "", "", "", "0398"},
		{"ErrInitials", "", "", "J2", "", "", "", "", "0310"},
		{"ErrGender", "", "", "", "M", "", "", "", "0351"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMapper(t, wmo301)
			birth, ini, gender := m.birthDate(v(tt.birth), v(tt.use)), m.initials(v(tt.initials)), m.gender(v(tt.gender))
			if birth != tt.wantBirth || ini != tt.wantIni || gender != tt.wantGender {
				t.Errorf("got %q %q %q, want %q %q %q", birth, ini, gender, tt.wantBirth, tt.wantIni, tt.wantGender)
			}
			switch {
			case tt.wantErr == "" && len(m.errs) > 0:
				t.Errorf("unexpected errors %+v", m.errs)
			case tt.wantErr != "" && (len(m.errs) != 1 || !strings.Contains(m.errs[0].Message, "retourcode "+tt.wantErr)):
				t.Errorf("errors = %+v, want one with retourcode %s", m.errs, tt.wantErr)
			}
		})
	}
}
