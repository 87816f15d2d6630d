package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketenhub/ketenhub/plugins/sdk"
)

var _ sdk.Encoder = (*adapter)(nil)

// The namespaces of an iWmo release 3.2 WMO301.
const (
	nsBasis301 = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
	nsWMO301   = "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"
)

// The codes Encode writes (codelists of iWmo 3.2).
const (
	reasonCorrection = "14" // WMO002 RedenWijziging: administratieve correctie
	reasonDeleted    = "13" // WMO002 RedenWijziging: verwijderd (ten onrechte verstuurd)
	addressBRP       = "01" // COD757 Soort adres: BRP-adres
	nameOwn          = "1"  // COD700 NaamGebruik: eigen naam
)

// Encode writes the first registration of req that an iWmo message can
// hold as a WMO301 (toewijzing) of iWmo release 3.2 to the partner, an
// aanbieder: one client and one toegewezen product per message, as release
// 3.x has it. The registrations before it that a WMO301 cannot hold (no
// BSN, no surname, no birth date, values the message cannot carry) are
// rejected with sdk.CodeEncodeFormat or sdk.CodeEncodeInvalid and a Dutch
// message with the iWmo retourcode; the ones after it are left for the next
// file (sdk.EncodeResult.Left). The partner's configuration reads the
// message back into the same client (README.md, "Output"). Encode returns
// an error when the adapter is not configured (sdk.ErrNotConfigured), is
// configured for another partner, writing fails or ctx ends.
func (a *adapter) Encode(ctx context.Context, req sdk.EncodeRequest, out io.Writer) (sdk.EncodeResult, error) {
	p, err := a.plan.Get("encode")
	if err != nil {
		return sdk.EncodeResult{}, err
	}
	if err := req.CheckPartner(p.partner); err != nil {
		return sdk.EncodeResult{}, err
	}
	res := sdk.EncodeResult{Suffix: ".xml", MediaType: "application/xml; charset=utf-8"}
	for i, it := range req.Items {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return sdk.EncodeResult{}, fmt.Errorf("encode: %w", err)
			}
		}
		msg, line, rej := p.message(it)
		if rej != nil {
			rej.DeliveryID = it.DeliveryID
			res.Rejected = append(res.Rejected, *rej)
			continue
		}
		if _, err := out.Write(msg); err != nil {
			return sdk.EncodeResult{}, fmt.Errorf("encode: write: %w", err)
		}
		res.Written = []sdk.EncodedItem{{DeliveryID: it.DeliveryID, Line: line}}
		break // one client per message: the rest goes into the next
	}
	return res, nil
}

// message writes one item as a WMO301 and returns it with the line of its
// product line, or says why it cannot.
func (p *plan) message(it sdk.EncodeItem) ([]byte, int, *sdk.EncodeError) {
	o := p.out
	if o == nil {
		return nil, 0, &sdk.EncodeError{Code: sdk.CodeEncodeFormat,
			Message: "de configuratie van deze partner heeft geen output (afzender, productcategorie): de adapter kan geen iWmo-berichten voor haar schrijven"}
	}
	var reg sdk.Registration
	if err := json.Unmarshal(it.JSON, &reg); err != nil {
		return nil, 0, &sdk.EncodeError{Code: sdk.CodeEncodeInvalid, Message: "de registratie is geen JSON-object volgens het gedeelde schema"}
	}
	if reg.Source.RecordKey == "" {
		return nil, 0, &sdk.EncodeError{Field: "source.record_key", Code: sdk.CodeEncodeInvalid, Message: "de registratie heeft geen recordsleutel"}
	}
	op := it.Operation
	if op == "" {
		op = reg.Operation
	}
	if op != sdk.OpNew && op != sdk.OpChange && op != sdk.OpDelete {
		return nil, 0, &sdk.EncodeError{Field: "operation", Code: sdk.CodeEncodeInvalid, Message: "de bewerking is geen new, change of delete"}
	}
	c, rej := clientOf(&reg.Client)
	if rej != nil {
		return nil, 0, rej
	}
	at, err := time.Parse(time.RFC3339, reg.RegisteredAt)
	if err != nil {
		return nil, 0, &sdk.EncodeError{Field: "registered_at", Code: sdk.CodeEncodeInvalid,
			Message: withRC("de registratie heeft geen tijdstip van registratie (registered_at); het iWmo vraagt een toewijzingsdatum en -tijd", rcAssignDate)}
	}
	at = at.In(p.loc)
	gemeente, number := o.afzender, toewijzing(reg.Source.Partner, reg.Source.RecordKey)
	category, code := o.category, o.code
	if m := iwmoKey.FindStringSubmatch(reg.Source.RecordKey); m != nil {
		// A toewijzing of a gemeente goes on under its own number, in the
		// category of the life domain its product line gave it.
		gemeente, number = m[1], m[2]
		for _, d := range sortedKeys(reg.LifeDomains) {
			if cat, ok := o.categories[d]; ok {
				category, code = cat, ""
				break
			}
		}
	}
	m := &outMessage{afzender: gemeente, ontvanger: o.ontvanger, id: messageID(it.DeliveryID), date: at.Format(time.DateOnly),
		time: at.Format(time.TimeOnly), client: c, number: number, category: category, code: code,
		comment: "Ketenhub-levering " + safeRef(it.DeliveryID) + " van " + safeRef(reg.Source.Partner)}
	switch op {
	case sdk.OpChange:
		m.reason = reasonCorrection
	case sdk.OpDelete:
		m.reason, m.end = reasonDeleted, m.date
	}
	msg, line := m.write()
	return msg, line, nil
}

// iwmoKey is the record key the decoder gives a toewijzing with a
// ToewijzingNummer: the gemeentecode and the number.
var iwmoKey = regexp.MustCompile(`^([0-9]{4})-T([1-9][0-9]{0,17})$`)

// toewijzing is the ToewijzingNummer of a registration that is no
// toewijzing: 9 digits from a hash of its source partner and record key,
// the same for every delivery of the record.
func toewijzing(source, key string) string {
	sum := sha256.Sum256([]byte("ketenhub-iwmo-toewijzing\x00" + source + "\x00" + key))
	var n uint64
	for _, b := range sum[:8] {
		n = n<<8 | uint64(b)
	}
	return strconv.FormatUint(100_000_000+n%900_000_000, 10)
}

// messageID is the message's Identificatie (at most 12 characters): the
// first 12 hexadecimal digits of a delivery id dlv_<hex>, else of a hash of
// the delivery id.
func messageID(deliveryID string) string {
	if h, ok := strings.CutPrefix(deliveryID, "dlv_"); ok && len(h) >= 12 && isHex(h[:12]) {
		return h[:12]
	}
	sum := sha256.Sum256([]byte(deliveryID))
	return hex.EncodeToString(sum[:6])
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// safeRef is a reference for the Commentaar: letters, digits, '-' and '_'
// as they are, anything else left out.
func safeRef(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return r
		}
		return -1
	}, s)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// msgClient is the client part of a message, in iWmo form.
type msgClient struct {
	bsn, birthDate, dateUse, gender string
	surname, prefix                 string
	partner, partnerPrefix          string
	firstNames, initials            string
}

// clientOf checks the client against what a WMO301 requires and can hold,
// and writes it in iWmo form: a BSN (required), a surname (required, at
// most 200 characters, voorvoegsel at most 10), a birth date (required; a
// partial date with DatumGebruik), initials as at most 6 letters without
// dots, gender 1, 2 or 0 (onbekend, also when the registration has none).
func clientOf(c *sdk.Client) (*msgClient, *sdk.EncodeError) {
	fail := func(field, code, rc, msg string) (*msgClient, *sdk.EncodeError) {
		return nil, &sdk.EncodeError{Field: "client." + field, Code: code, Message: withRC(msg, rc)}
	}
	mc := &msgClient{bsn: c.BSN, surname: xmlText(c.Surname), partner: xmlText(c.PartnerSurname), firstNames: xmlText(c.FirstNames),
		prefix: strings.ToLower(xmlText(c.SurnamePrefix)), partnerPrefix: strings.ToLower(xmlText(c.PartnerSurnamePrefix))}
	switch {
	case c.BSN == "":
		return fail("bsn", sdk.CodeEncodeFormat, rcBSN, "de registratie heeft geen BSN; een iWmo-bericht kan niet zonder")
	case len(c.BSN) != 9 || !allDigits(c.BSN):
		return fail("bsn", sdk.CodeEncodeFormat, rcBSN, "het BSN bestaat niet uit 9 cijfers")
	case mc.surname == "":
		return fail("surname", sdk.CodeEncodeFormat, rcSurname, "de registratie heeft geen achternaam; een iWmo-bericht kan niet zonder")
	}
	for _, f := range []struct{ field, v, rc string }{{"surname", mc.surname, rcSurname}, {"partner_surname", mc.partner, rcPartnerName}, {"first_names", mc.firstNames, ""}} {
		if utf8.RuneCountInString(f.v) > 200 {
			return fail(f.field, sdk.CodeEncodeFormat, f.rc, "de naam is langer dan 200 tekens")
		}
	}
	for _, f := range []struct{ field, v string }{{"surname_prefix", mc.prefix}, {"partner_surname_prefix", mc.partnerPrefix}} {
		if utf8.RuneCountInString(f.v) > 10 {
			return fail(f.field, sdk.CodeEncodeFormat, rcSurname, "het voorvoegsel is langer dan 10 tekens, meer dan het iWmo toelaat")
		}
	}
	var initials strings.Builder
	for _, r := range c.Initials {
		switch {
		case unicode.IsLetter(r):
			initials.WriteRune(unicode.ToUpper(r))
		case r == '.' || r == ' ' || r == '-':
		default:
			return fail("initials", sdk.CodeEncodeFormat, rcInitials, "de voorletters bevatten andere tekens dan letters en punten")
		}
	}
	if mc.initials = initials.String(); utf8.RuneCountInString(mc.initials) > 6 {
		return fail("initials", sdk.CodeEncodeFormat, rcInitials, "meer dan 6 voorletters, meer dan het iWmo toelaat")
	}
	var ok bool
	if mc.birthDate, mc.dateUse, ok = birthDateOf(c.BirthDate); !ok {
		return fail("birth_date", sdk.CodeEncodeFormat, rcBirthDate, "de registratie heeft geen (geldige) geboortedatum; een iWmo-bericht kan niet zonder")
	}
	switch c.Gender {
	case "man":
		mc.gender = "1"
	case "vrouw":
		mc.gender = "2"
	case "onbekend", "":
		mc.gender = "0"
	default:
		return fail("gender", sdk.CodeEncodeFormat, rcGender, "het geslacht is geen man, vrouw of onbekend")
	}
	return mc, nil
}

// birthDateOf writes a birth date of the shared schema as an iWmo Datum and
// DatumGebruik: a whole date as it is, a year and month with DatumGebruik 1
// (day unknown) on the first day, a year with DatumGebruik 2 (day and
// month unknown) on the first of January.
func birthDateOf(s string) (date, use string, ok bool) {
	switch len(s) {
	case 10:
		d, err := time.Parse(time.DateOnly, s)
		return s, "", err == nil && d.Year() > 0
	case 7:
		d, err := time.Parse("2006-01", s)
		return s + "-01", "1", err == nil && d.Year() > 0
	case 4:
		d, err := time.Parse("2006", s)
		return s + "-01-01", "2", err == nil && d.Year() > 0
	}
	return "", "", false
}

// xmlText makes a value fit in an element of one line: control characters
// and characters XML cannot hold become blanks, runs of blanks one blank.
func xmlText(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !isXMLChar(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// isXMLChar reports whether r is a character of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// outMessage is one WMO301 to write.
type outMessage struct {
	afzender, ontvanger, id, date, time string
	client                              *msgClient
	number, category, code              string
	end, reason, comment                string
}

// write writes the message in the layout of the iWmo examples (tab
// indentation, one element per line) and returns it with the line of the
// ToegewezenProduct.
func (m *outMessage) write() ([]byte, int) {
	w := &xmlWriter{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>`)
	w.open("wmo301:Bericht", `xmlns:iwmo="`+nsBasis301+`"`, `xmlns:wmo301="`+nsWMO301+`"`)
	w.open("wmo301:Header")
	w.leaf("wmo301:BerichtCode", "414")
	w.leaf("wmo301:BerichtVersie", "3")
	w.leaf("wmo301:BerichtSubversie", "2")
	w.leaf("wmo301:Afzender", m.afzender)
	w.leaf("wmo301:Ontvanger", m.ontvanger)
	w.open("wmo301:BerichtIdentificatie")
	w.leaf("iwmo:Identificatie", m.id)
	w.leaf("iwmo:Dagtekening", m.date)
	w.close()
	w.open("wmo301:XsdVersie")
	w.leaf("iwmo:BasisschemaXsdVersie", "1.0.0")
	w.leaf("iwmo:BerichtXsdVersie", "1.0.0")
	w.close()
	w.close()
	c := m.client
	w.open("wmo301:Client")
	w.leaf("wmo301:Bsn", c.bsn)
	w.open("wmo301:Geboortedatum")
	w.leaf("iwmo:Datum", c.birthDate)
	w.leaf("iwmo:DatumGebruik", c.dateUse)
	w.close()
	w.leaf("wmo301:Geslacht", c.gender)
	w.open("wmo301:Naam")
	w.open("iwmo:Geslachtsnaam")
	w.leaf("iwmo:Achternaam", c.surname)
	w.leaf("iwmo:Voorvoegsel", c.prefix)
	w.close()
	if c.partner != "" {
		w.open("iwmo:Partnernaam")
		w.leaf("iwmo:Achternaam", c.partner)
		w.leaf("iwmo:Voorvoegsel", c.partnerPrefix)
		w.close()
	}
	w.leaf("iwmo:Voornamen", c.firstNames)
	w.leaf("iwmo:Voorletters", c.initials)
	w.leaf("iwmo:NaamGebruik", nameOwn)
	w.close()
	w.open("wmo301:Contactgegevens")
	w.open("wmo301:Contact")
	w.leaf("wmo301:Soort", addressBRP)
	w.close()
	w.close()
	w.open("wmo301:ToegewezenProducten")
	line := w.line + 1
	w.open("wmo301:ToegewezenProduct")
	w.leaf("wmo301:ToewijzingNummer", m.number)
	w.open("wmo301:Product")
	w.leaf("iwmo:Categorie", m.category)
	w.leaf("iwmo:Code", m.code)
	w.close()
	w.leaf("wmo301:Toewijzingsdatum", m.date)
	w.leaf("wmo301:Toewijzingstijd", m.time)
	w.leaf("wmo301:Ingangsdatum", m.date)
	w.leaf("wmo301:Einddatum", m.end)
	w.leaf("wmo301:RedenWijziging", m.reason)
	w.leaf("wmo301:Commentaar", m.comment)
	w.close()
	w.close()
	w.close()
	w.close()
	return w.b.Bytes(), line
}

// escapeText escapes the characters that element content cannot hold as
// they are (xmlText leaves no others).
var escapeText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// xmlWriter writes elements one per line, indented by tabs, and counts the
// lines.
type xmlWriter struct {
	b     bytes.Buffer
	stack []string
	line  int
}

func (w *xmlWriter) raw(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
	w.line++
}

func (w *xmlWriter) indent() { w.b.WriteString(strings.Repeat("\t", len(w.stack))) }

// open writes the start tag of an element with attributes attrs and
// indents what follows one step further.
func (w *xmlWriter) open(name string, attrs ...string) {
	w.indent()
	w.stack = append(w.stack, name)
	w.raw("<" + strings.Join(append([]string{name}, attrs...), " ") + ">")
}

func (w *xmlWriter) close() {
	name := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.indent()
	w.raw("</" + name + ">")
}

// leaf writes an element with text; an empty value writes nothing.
func (w *xmlWriter) leaf(name, text string) {
	if text == "" {
		return
	}
	w.indent()
	w.b.WriteString("<" + name + ">")
	w.b.WriteString(escapeText.Replace(text))
	w.raw("</" + name + ">")
}
