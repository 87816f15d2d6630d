package main

import (
	"fmt"
	"strings"
)

// kind is one of the iWmo message types the adapter reads.
type kind int

// The message types, in the order of the care process.
const (
	wmo315 kind = iota // verzoek om toewijzing (aanbieder -> gemeente)
	wmo301             // toewijzing (gemeente -> aanbieder)
	wmo305             // start zorg (aanbieder -> gemeente)
	wmo307             // stop zorg (aanbieder -> gemeente)
	numKinds
)

// kinds describes each message type: its name in the configuration, its
// BerichtCode and the element of one product line in the XML format.
var kinds = [numKinds]struct {
	name    string
	code    string
	product []string // local names of the product line element
}{
	wmo315: {"WMO315", "444", []string{"AangevraagdProduct", "Product"}},
	wmo301: {"WMO301", "414", []string{"ToegewezenProduct"}},
	wmo305: {"WMO305", "418", []string{"StartProduct"}},
	wmo307: {"WMO307", "420", []string{"StopProduct"}},
}

func (k kind) String() string { return kinds[k].name }

// kindByCode returns the message type of a BerichtCode.
func kindByCode(code string) (kind, bool) {
	for k := range numKinds {
		if kinds[k].code == code {
			return k, true
		}
	}
	return 0, false
}

// kindByName returns the message type of a configured name (WMO301).
func kindByName(name string) (kind, bool) {
	for k := range numKinds {
		if strings.EqualFold(kinds[k].name, name) {
			return k, true
		}
	}
	return 0, false
}

// fromGemeente reports whether the gemeente sends messages of type k; the
// aanbieder sends the others.
func (k kind) fromGemeente() bool { return k == wmo301 }

// loc says where a value stands in the document, for messages. In the XML
// format it is an element; in the fixed-width (EI) format a span of
// positions in a record.
type loc struct {
	line  int
	name  string // XML element name, or the EI field's name
	rec   string // EI: the record's name (cliëntrecord); "" for XML
	start int    // EI: first position, 1-based; 0 for XML
	end   int    // EI: last position
}

// String describes the location in Dutch, without the value.
func (l loc) String() string {
	if l.rec != "" {
		return fmt.Sprintf("%s, positie %d-%d van het %s op regel %d", l.name, l.start, l.end, l.rec, l.line)
	}
	if l.line > 0 {
		return fmt.Sprintf("element %s op regel %d", l.name, l.line)
	}
	return "element " + l.name
}

// val is one value from the message with its location. A value that the
// message does not have is "" with the location where it was looked for.
type val struct {
	s string
	loc
}

// header holds the message-level data of a message: the voorlooprecord of
// the EI format, the Header element of the XML format.
type header struct {
	kind      kind
	gemeente  val // the gemeente's code (sender of WMO301, receiver of the others)
	aanbieder val // the aanbieder's AGB code
	date      val // Dagtekening
}

// client holds the client data of one Client element or cliëntrecord.
type client struct {
	line          int
	bsn           val
	birthDate     val
	dateUse       val // DatumGebruik
	gender        val
	surname       val
	prefix        val
	partner       val
	partnerPrefix val
	firstNames    val
	initials      val
	// broken is set when the client record could not be read at all (EI:
	// wrong length); its products are then refused.
	broken string
}

// product holds one product line: a ToegewezenProduct, StartProduct,
// StopProduct or requested product.
type product struct {
	line        int
	toewijzing  val // ToewijzingNummer
	beschikking val // Beschikkingnummer
	reference   val // ReferentieAanbieder
	category    val
	code        val
	aanbieder   val
	gemeente    val
	assignDate  val // Toewijzingsdatum
	assignTime  val // Toewijzingstijd
	start       val // Ingangsdatum / ToewijzingIngangsdatum
	end         val // Einddatum / ToewijzingEinddatum (WMO301, WMO315), Einddatum (WMO307)
	begin       val // Begindatum (WMO305, WMO307, WMO315 2.x)
	reason      val // RedenWijziging / RedenIntrekking (WMO301)
	stopReason  val // RedenBeeindiging (WMO307)
	status      val // StatusAanlevering
}
