package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"github.com/ketenhub/ketenhub/plugins/csv/internal/dsv"
	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var _ sdk.Encoder = (*adapter)(nil)

// Encode writes the registrations of req as one file in the partner's own
// dialect: its columns (in output.columns order), delimiter, quoting,
// encoding, header, date layout, value tables read backwards and the place
// of the voorvoegsel. A file this partner's configuration reads back gives
// the same registrations, as far as the columns hold them. An item that
// cannot be written is rejected with sdk.CodeEncodeInvalid or
// sdk.CodeEncodeFormat. Encode returns an error when the adapter is not
// configured (sdk.ErrNotConfigured), is configured for another partner,
// writing fails or ctx ends.
func (a *adapter) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	p, err := a.plan.Get("encode")
	if err != nil {
		return sdk.EncodeResult{}, err
	}
	if err := req.CheckPartner(p.Partner); err != nil {
		return sdk.EncodeResult{}, err
	}
	e := &encoder{p: p, o: p.out, w: bufio.NewWriterSize(out, 64<<10)}
	res := sdk.EncodeResult{Suffix: ".csv", MediaType: "text/csv; charset=utf-8"}
	if p.read.Encoding == dsv.Windows1252 {
		res.MediaType = "text/csv; charset=windows-1252"
	}
	line := 0
	for range p.skipLines {
		e.w.WriteString(e.o.eol)
		line++
	}
	if p.header {
		names := make([]string, len(e.o.cols))
		for i, col := range e.o.cols {
			names[i] = col.key
		}
		if err := e.writeRow(names); err != nil {
			return sdk.EncodeResult{}, err
		}
		line++
	}
	for i, it := range req.Items {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return sdk.EncodeResult{}, fmt.Errorf("encode: %w", err)
			}
		}
		cells, rej := e.row(it)
		if rej != nil {
			rej.DeliveryID = it.DeliveryID
			res.Rejected = append(res.Rejected, *rej)
			continue
		}
		if err := e.writeRow(cells); err != nil {
			return sdk.EncodeResult{}, err
		}
		line++
		res.Written = append(res.Written, sdk.EncodedItem{DeliveryID: it.DeliveryID, Line: line})
	}
	if err := e.w.Flush(); err != nil {
		return sdk.EncodeResult{}, fmt.Errorf("encode: write: %w", err)
	}
	return res, nil
}

// encoder writes one file.
type encoder struct {
	p    *plan
	o    *outPlan
	w    *bufio.Writer
	line []byte
}

// row maps one item onto the cells of its line, or says why it cannot be
// written.
func (e *encoder) row(it sdk.EncodeItem) ([]string, *sdk.EncodeError) {
	var reg sdk.Registration
	if err := json.Unmarshal(it.JSON, &reg); err != nil {
		return nil, &sdk.EncodeError{Code: sdk.CodeEncodeInvalid, Message: "de registratie is geen JSON-object volgens het gedeelde schema"}
	}
	if reg.Source.RecordKey == "" {
		return nil, &sdk.EncodeError{Field: "source.record_key", Code: sdk.CodeEncodeInvalid, Message: "de registratie heeft geen recordsleutel"}
	}
	vals := e.values(&reg, it.Operation)
	cells := make([]string, len(e.o.cols))
	for i, col := range e.o.cols {
		if col == nil {
			continue
		}
		v := ""
		if col.in.Re == nil {
			v = e.code(col.in.Target, vals[col.in.Target])
		} else {
			var ok bool
			if v, ok = e.compose(col, vals); !ok {
				f := e.p.Fields[col.in.Groups[0].Target]
				return nil, &sdk.EncodeError{Field: f.Path(), Code: sdk.CodeEncodeFormat,
					Message: fmt.Sprintf("kolom '%s': de waarden passen niet in het patroon van de kolom", col.key)}
			}
		}
		q, ok := e.quote(v)
		if !ok {
			field := ""
			if col.in.Re == nil {
				field = e.p.Fields[col.in.Target].Path()
			}
			return nil, &sdk.EncodeError{Field: field, Code: sdk.CodeEncodeFormat,
				Message: fmt.Sprintf("kolom '%s': de waarde bevat het scheidingsteken en aanhalingstekens staan uit", col.key)}
		}
		cells[i] = q
	}
	return cells, nil
}

// values gives the value of every mapped target field of reg, by mapping.FieldID,
// in the shared schema's form (dates already in the partner's layout).
func (e *encoder) values(reg *sdk.Registration, op sdk.Operation) []string {
	p := e.p
	v := make([]string, len(p.Fields))
	set := func(id mapping.FieldID, s string) {
		if p.Fields[id] != nil {
			v[id] = cleanValue(s)
		}
	}
	c := reg.Client
	set(mapping.RecordKey, reg.Source.RecordKey)
	set(mapping.BSN, c.BSN)
	e.surname(v, mapping.Surname, mapping.SurnamePrefix, c.Surname, c.SurnamePrefix)
	e.surname(v, mapping.PartnerSurname, mapping.PartnerSurnamePrefix, c.PartnerSurname, c.PartnerSurnamePrefix)
	set(mapping.Initials, c.Initials)
	set(mapping.FirstNames, c.FirstNames)
	set(mapping.BirthDate, e.o.date.Format(c.BirthDate))
	set(mapping.Gender, c.Gender)
	if w := reg.ResponsibleWorker; w != nil {
		set(mapping.WorkerName, w.Name)
		set(mapping.WorkerOrganisation, w.Organisation)
		set(mapping.WorkerRole, w.Role)
	}
	set(mapping.ProcessStep, reg.ProcessStep)
	set(mapping.TargetGroup, reg.TargetGroup)
	set(mapping.Municipality, reg.Municipality)
	set(mapping.Neighbourhood, reg.Neighbourhood)
	if t, err := time.Parse(time.RFC3339, reg.RegisteredAt); err == nil {
		set(mapping.RegisteredAt, t.In(p.Loc).Format(e.o.dateTime))
	}
	if op == "" {
		op = reg.Operation
	}
	set(mapping.Operation, string(op))
	if s := reg.Sensitive; s != nil {
		if s.DiagnosisPresent != nil {
			set(mapping.DiagnosisPresent, strconv.FormatBool(*s.DiagnosisPresent))
		}
		set(mapping.DiagnosisClassification, s.DiagnosisClassification)
	}
	for i, d := range p.Domains {
		ld := reg.LifeDomains[d]
		set(mapping.DomainField(i, false), ld.Status)
		set(mapping.DomainField(i, true), e.o.date.Format(ld.Date))
	}
	return v
}

// surname places a surname and its voorvoegsel: in two columns when the
// voorvoegsel has one, else together in the surname column ("van Dijk",
// "d'Angelo"), where the decoder finds the voorvoegsel again.
func (e *encoder) surname(v []string, surnameID, prefixID mapping.FieldID, surname, prefix string) {
	if e.p.Fields[surnameID] == nil {
		return
	}
	surname, prefix = cleanValue(surname), cleanValue(prefix)
	if e.p.Fields[prefixID] != nil {
		v[surnameID], v[prefixID] = surname, prefix
		return
	}
	switch {
	case prefix == "":
		v[surnameID] = surname
	case surname == "":
		v[surnameID] = prefix
	case strings.HasSuffix(prefix, "'"):
		v[surnameID] = prefix + surname
	default:
		v[surnameID] = prefix + " " + surname
	}
}

// code writes value v of field id as the partner codes it: through the
// field's value table read backwards, booleans as ja/nee without one, and
// any other value as it is (the decoder takes a field's own values too).
func (e *encoder) code(id mapping.FieldID, v string) string {
	if v == "" {
		return ""
	}
	f := e.p.Fields[id]
	if f.Bool() {
		b, ok := mapping.ParseBool(v)
		if !ok {
			return v
		}
		v = strconv.FormatBool(b)
	}
	if rev := e.o.reverse[id]; rev != nil {
		if c, ok := rev[v]; ok {
			return c
		}
	}
	if f.Bool() {
		if v == "true" {
			return "ja"
		}
		return "nee"
	}
	return v
}

// compose writes the groups of a split column back into one value by the
// column's pattern, and checks that the pattern gives them back.
func (e *encoder) compose(col *column, vals []string) (string, bool) {
	want := make(map[int]string, len(col.in.Groups))
	empty := true
	for _, g := range col.in.Groups {
		want[g.Sub] = e.code(g.Target, vals[g.Target])
		empty = empty && want[g.Sub] == ""
	}
	if empty {
		return "", true
	}
	var b strings.Builder
	composeInto(&b, e.o.compose[col], want)
	s := strings.TrimSpace(b.String())
	m := col.in.Re.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	for _, g := range col.in.Groups {
		if strings.TrimSpace(m[g.Sub]) != want[g.Sub] {
			return "", false
		}
	}
	return s, true
}

// composeInto writes a string that re matches, with the wanted value in
// each capture group that has one, and reports whether it wrote any such
// value. Optional and repeated parts are written only when they hold a
// wanted value, except blanks (\s*), which are written once so that parts
// stay apart.
func composeInto(b *strings.Builder, re *syntax.Regexp, want map[int]string) bool {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		b.WriteRune(classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(' ')
	case syntax.OpCapture:
		if v, ok := want[re.Cap]; ok {
			b.WriteString(v)
			return v != ""
		}
		return composeInto(b, re.Sub[0], want)
	case syntax.OpConcat:
		used := false
		for _, sub := range re.Sub {
			used = composeInto(b, sub, want) || used
		}
		return used
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			var alt strings.Builder
			if composeInto(&alt, sub, want) {
				b.WriteString(alt.String())
				return true
			}
		}
		return composeInto(b, re.Sub[0], want)
	case syntax.OpStar, syntax.OpQuest:
		var opt strings.Builder
		if composeInto(&opt, re.Sub[0], want) {
			b.WriteString(opt.String())
			return true
		}
		if re.Op == syntax.OpStar && re.Sub[0].Op == syntax.OpCharClass && classHasSpace(re.Sub[0].Rune) {
			b.WriteByte(' ')
		}
	case syntax.OpPlus:
		return composeInto(b, re.Sub[0], want)
	case syntax.OpRepeat:
		var rep strings.Builder
		used := composeInto(&rep, re.Sub[0], want)
		n := re.Min
		if n == 0 && used {
			n = 1
		}
		for range n {
			b.WriteString(rep.String())
		}
		return used
	}
	return false
}

// classRune picks a rune of a character class for a required position
// outside the groups: a blank when the class has one, else the first
// printable rune.
func classRune(ranges []rune) rune {
	if classHasSpace(ranges) {
		return ' '
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := max(ranges[i], '!'); r <= ranges[i+1]; r++ {
			if unicode.IsPrint(r) {
				return r
			}
		}
	}
	return ' '
}

func classHasSpace(ranges []rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= ' ' && ' ' <= ranges[i+1] {
			return true
		}
	}
	return false
}

// quote quotes a cell that holds the delimiter, the quote or a line break.
// It reports false when such a cell cannot be written because quoting is
// off.
func (e *encoder) quote(v string) (string, bool) {
	r := e.p.read
	if !strings.ContainsRune(v, r.Delimiter) && (r.Quote == 0 || !strings.ContainsRune(v, r.Quote)) {
		return v, true
	}
	if r.Quote == 0 {
		return "", false
	}
	q := string(r.Quote)
	return q + strings.ReplaceAll(v, q, q+q) + q, true
}

// writeRow writes one line in the file's encoding.
func (e *encoder) writeRow(cells []string) error {
	e.line = e.line[:0]
	for i, c := range cells {
		if i > 0 {
			e.line = utf8.AppendRune(e.line, e.p.read.Delimiter)
		}
		e.line = append(e.line, c...)
	}
	e.line = append(e.line, e.o.eol...)
	var err error
	if e.p.read.Encoding == dsv.Windows1252 {
		_, err = e.w.Write(toWindows1252(e.line))
	} else {
		_, err = e.w.Write(e.line)
	}
	if err != nil {
		return fmt.Errorf("encode: write: %w", err)
	}
	return nil
}

// cleanValue makes a value fit on one line: line breaks, tabs and other
// control characters become blanks, runs of blanks one blank.
func cleanValue(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// transliterations are letters that Windows-1252 lacks and that do not
// decompose into a letter it has.
var transliterations = map[rune]string{'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ı': "i", 'ħ': "h", 'Ħ': "H", 'ŀ': "l", 'Ŀ': "L"}

// toWindows1252 encodes UTF-8 text as Windows-1252. A letter the code page
// lacks is written without its accents (Ş as S, ğ as g, ł as l); anything
// else it lacks becomes '?'.
func toWindows1252(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range string(s) {
		if b, ok := charmap.Windows1252.EncodeRune(r); ok {
			out = append(out, b)
			continue
		}
		if t, ok := transliterations[r]; ok {
			out = append(out, t...)
			continue
		}
		wrote := false
		for _, d := range norm.NFD.String(string(r)) {
			if unicode.Is(unicode.Mn, d) {
				continue
			}
			if b, ok := charmap.Windows1252.EncodeRune(d); ok {
				out = append(out, b)
				wrote = true
			}
		}
		if !wrote {
			out = append(out, '?')
		}
	}
	return out
}
