package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ketenhub/ketenhub/plugins/internal/xmlscan"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// Limits of the XML format. A Client element is read into memory as a tree,
// so its size is bounded; so is every run of text between two tags, which
// encoding/xml would otherwise gather in memory whole.
const (
	maxClientNodes = 10000
	maxRun         = 1 << 20
)

var errTooBig = errors.New("client element too large")

// node is an XML element with its local name, trimmed text, the line it
// starts on and its child elements.
type node struct {
	name string
	text string
	line int
	kids []*node
}

// child returns the first child element with one of names (compared without
// case: iWmo 2.0 writes Beschikkingnummer, later releases BeschikkingNummer),
// or nil.
func (n *node) child(names ...string) *node {
	if n == nil {
		return nil
	}
	for _, name := range names {
		for _, k := range n.kids {
			if strings.EqualFold(k.name, name) {
				return k
			}
		}
	}
	return nil
}

// value returns the text of the first child with one of names as a val. A
// missing child gives "" at the location of the first name.
func (n *node) value(names ...string) val {
	if k := n.child(names...); k != nil {
		return val{s: k.text, loc: loc{line: k.line, name: k.name}}
	}
	return val{loc: loc{name: names[0]}}
}

// xmlReader reads an iWmo message in the XML format as a stream: first the
// Header, then one Client element at a time, each into a small tree. It
// reads every release from 2.0 on: elements are found by local name, and
// the names that changed between releases are all tried.
type xmlReader struct {
	d       *decoder
	x       *xmlscan.Scanner
	hdr     *header
	clients int
}

func newXMLReader(d *decoder, r io.Reader) *xmlReader {
	return &xmlReader{d: d, x: xmlscan.New(r, maxRun)}
}

// nsKind finds the message type in a namespace such as
// http://www.istandaarden.nl/iwmo/3_2/wmo301/schema.
var nsKind = regexp.MustCompile(`/(?:wmo|WMO)(3[0-9]{2})/`)

// run reads the document; it returns errStop after a document-level error.
func (xr *xmlReader) run(ctx context.Context) error {
	root, err := xr.x.Root()
	if err != nil {
		return xr.syntax(ctx, err)
	}
	ns := root.Name.Space
	switch {
	case root.Name.Local != "Bericht":
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcTechnical, "het XML-document is geen iWmo-bericht: het hoofdelement heet niet Bericht")
	case strings.Contains(strings.ToLower(ns), "/ijw/"):
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcTechnical, "het XML-document is een iJw-bericht (Jeugdwet), geen iWmo-bericht")
	case ns != "" && !strings.Contains(strings.ToLower(ns), "/iwmo/"):
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcTechnical, "het XML-document is geen iWmo-bericht: de namespace van het hoofdelement is niet die van het iWmo")
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := xr.x.Token()
		if err != nil {
			return xr.syntax(ctx, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := xr.element(ctx, t, ns); err != nil {
				return err
			}
		case xml.EndElement:
			return xr.end(ctx)
		}
	}
}

// element handles a child of the root element.
func (xr *xmlReader) element(ctx context.Context, t xml.StartElement, ns string) error {
	switch {
	case strings.EqualFold(t.Name.Local, "Header"):
		n, err := xr.build(t)
		if err != nil {
			return xr.syntax(ctx, err)
		}
		h, err := xr.header(ctx, n, ns)
		if err != nil {
			return err
		}
		xr.hdr = h
		return xr.d.onHeader(ctx, h)
	case strings.EqualFold(t.Name.Local, "Clienten"):
		for {
			tok, err := xr.x.Token()
			if err != nil {
				return xr.syntax(ctx, err)
			}
			switch c := tok.(type) {
			case xml.StartElement:
				if err := xr.clientElement(ctx, c); err != nil {
					return err
				}
			case xml.EndElement:
				return nil
			}
		}
	case strings.EqualFold(t.Name.Local, "Client"):
		return xr.clientElement(ctx, t)
	}
	if err := xr.x.Skip(); err != nil {
		return xr.syntax(ctx, err)
	}
	return nil
}

// clientElement reads one Client element and hands its product lines to the
// decoder.
func (xr *xmlReader) clientElement(ctx context.Context, t xml.StartElement) error {
	if !strings.EqualFold(t.Name.Local, "Client") {
		if err := xr.x.Skip(); err != nil {
			return xr.syntax(ctx, err)
		}
		return nil
	}
	if xr.hdr == nil {
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcOrder, "het bericht heeft geen Header vóór de eerste Client")
	}
	n, err := xr.build(t)
	if err != nil {
		return xr.syntax(ctx, err)
	}
	xr.clients++
	c, products := clientFromXML(n, xr.hdr.kind)
	return xr.d.onClient(ctx, c, products, nil)
}

// end checks what follows the root element: nothing but blanks, comments
// and processing instructions.
func (xr *xmlReader) end(ctx context.Context) error {
	switch after, err := xr.x.AfterRoot(); {
	case err != nil:
		return xr.syntax(ctx, err)
	case after == xmlscan.Element:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("na het einde van het bericht begint op regel %d nog een element; een document bevat één iWmo-bericht, de rest is niet verwerkt", xr.x.Line()))
	case after == xmlscan.Text:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("na het einde van het bericht staat op regel %d nog tekst", xr.x.Line()))
	}
	switch {
	case xr.hdr == nil:
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcTechnical, "het bericht heeft geen Header")
	case xr.clients == 0:
		return xr.d.refuse(ctx, sdk.CodeEmptyDocument, "", "het bericht bevat geen Client")
	}
	return nil
}

// build reads the element that start opened, up to its end, into a tree.
func (xr *xmlReader) build(start xml.StartElement) (*node, error) {
	root := &node{name: start.Name.Local, line: xr.x.Line()}
	stack := []*node{root}
	text := [][]byte{nil} // the text of each open element
	count := 1
	for len(stack) > 0 {
		tok, err := xr.x.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxClientNodes {
				return nil, errTooBig
			}
			n := &node{name: t.Name.Local, line: xr.x.Line()}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
			text = append(text, nil)
		case xml.CharData:
			text[len(text)-1] = append(text[len(text)-1], t...)
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.text = strings.TrimSpace(string(text[len(text)-1]))
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		}
	}
	return root, nil
}

// header reads the Header element: BerichtCode and BerichtVersie (in 2.0
// inside Berichtspecificatie), Afzender, Ontvanger and
// BerichtIdentificatie.
func (xr *xmlReader) header(ctx context.Context, n *node, ns string) (*header, error) {
	spec := n.child("Berichtspecificatie")
	code := n.value("BerichtCode")
	if code.s == "" {
		code = spec.value("Code")
	}
	version := n.value("BerichtVersie")
	if version.s == "" {
		version = spec.value("Versie")
	}
	k, ok := kindByCode(code.s)
	if !ok {
		return nil, xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcMessageCode, fmt.Sprintf("de BerichtCode in de Header (regel %d) is niet die van WMO301 (414), WMO305 (418), WMO307 (420) of WMO315 (444)", n.line))
	}
	if m := nsKind.FindStringSubmatch(ns); m != nil && "WMO"+m[1] != k.String() {
		return nil, xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcMessageCode, fmt.Sprintf("de BerichtCode in de Header (regel %d) past niet bij de namespace van het bericht (WMO%s)", n.line, m[1]))
	}
	if version.s != "2" && version.s != "3" {
		return nil, xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcVersion, fmt.Sprintf("de BerichtVersie in de Header (regel %d) is geen 2 of 3; de adapter leest iWmo-release 2.x en 3.x", n.line))
	}
	h := &header{kind: k}
	from, to := partyValue(n, "Afzender"), partyValue(n, "Ontvanger")
	h.gemeente, h.aanbieder = to, from
	if k.fromGemeente() {
		h.gemeente, h.aanbieder = from, to
	}
	h.date = n.child("BerichtIdentificatie").value("Dagtekening")
	return h, nil
}

// partyValue returns the code of Afzender or Ontvanger: the element's text,
// or the text of its only child where the code is wrapped.
func partyValue(n *node, name string) val {
	k := n.child(name)
	if k == nil {
		return val{loc: loc{name: name}}
	}
	v := val{s: k.text, loc: loc{line: k.line, name: k.name}}
	if v.s == "" && len(k.kids) == 1 {
		v.s = k.kids[0].text
	}
	return v
}

// clientFromXML reads the client data and the product lines of a Client
// element of a message of type k.
func clientFromXML(n *node, k kind) (*client, []*product) {
	c := &client{line: n.line}
	c.bsn = n.value("Bsn")
	birth := n.child("Geboortedatum")
	c.birthDate = birth.value("Datum")
	c.dateUse = birth.value("DatumGebruik")
	c.gender = n.value("Geslacht")
	name := n.child("Naam")
	own := name.child("Geslachtsnaam")
	c.surname = own.value("Achternaam", "Naam")
	c.prefix = own.value("Voorvoegsel")
	partner := name.child("Partnernaam")
	c.partner = partner.value("Achternaam", "Naam")
	c.partnerPrefix = partner.value("Voorvoegsel")
	c.firstNames = name.value("Voornamen")
	c.initials = name.value("Voorletters")
	var products []*product
	var walk func(n *node, beschikking val)
	walk = func(n *node, beschikking val) {
		for _, kid := range n.kids {
			switch {
			case isProduct(kid, k):
				products = append(products, productFromXML(kid, beschikking))
			case strings.EqualFold(kid.name, "Beschikking"):
				walk(kid, kid.value("Beschikkingnummer"))
			case len(kid.kids) > 0:
				walk(kid, beschikking)
			}
		}
	}
	walk(n, val{loc: loc{name: "Beschikkingnummer"}})
	return c, products
}

// isProduct reports whether n is a product line of a message of type k. The
// Product element inside a line (with Categorie and Code) is no line: it has
// no children but Categorie and Code.
func isProduct(n *node, k kind) bool {
	for _, name := range kinds[k].product {
		if strings.EqualFold(n.name, name) {
			return n.child("Categorie") == nil
		}
	}
	return false
}

// productFromXML reads one product line; beschikking is the number of the
// enclosing Beschikking element, if any.
func productFromXML(n *node, beschikking val) *product {
	p := &product{line: n.line}
	p.toewijzing = n.value("ToewijzingNummer")
	if b := n.value("Beschikkingnummer"); b.s != "" || beschikking.s == "" {
		beschikking = b
	}
	p.beschikking = beschikking
	p.reference = n.value("ReferentieAanbieder")
	prod := n.child("Product")
	p.category = prod.value("Categorie")
	p.code = prod.value("Code")
	p.aanbieder = n.value("Aanbieder")
	p.gemeente = n.value("Gemeentecode")
	p.assignDate = n.value("Toewijzingsdatum")
	p.assignTime = n.value("Toewijzingstijd")
	p.start = n.value("Ingangsdatum", "ToewijzingIngangsdatum")
	p.end = n.value("Einddatum", "ToewijzingEinddatum")
	p.begin = n.value("Begindatum")
	p.reason = n.value("RedenWijziging", "RedenIntrekking")
	p.stopReason = n.value("RedenBeeindiging")
	p.status = n.value("StatusAanlevering")
	return p
}

// syntax reports a document that cannot be read on and returns errStop, or
// returns err itself when it is not about the document but about reading
// it (a failing reader, a cancelled context).
func (xr *xmlReader) syntax(ctx context.Context, err error) error {
	problem, line := xr.x.Diagnose(err)
	switch {
	case problem == xmlscan.ReadFailed:
		return fmt.Errorf("read xml: %w", err)
	case problem == xmlscan.Charset:
		return xr.d.refuse(ctx, sdk.CodeEncoding, rcTechnical, "het XML-document geeft een andere tekenset dan UTF-8 op; iWmo-berichten zijn UTF-8")
	case problem == xmlscan.LongRun:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("rond regel %d staat meer dan %d bytes tekst zonder tag; het document is vanaf daar niet verwerkt", line, maxRun))
	case errors.Is(err, errTooBig):
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("het Client-element dat eindigt rond regel %d heeft meer dan %d elementen; het document is vanaf daar niet verwerkt", line, maxClientNodes))
	case problem == xmlscan.Truncated && xr.hdr == nil:
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, rcTechnical, fmt.Sprintf("het document houdt op regel %d op, vóór het einde van de Header; het bevat geen volledig iWmo-bericht", line))
	case problem == xmlscan.Truncated:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("het document houdt op regel %d midden in het bericht op (afgebroken?); wat daarvóór stond is verwerkt", line))
	case problem == xmlscan.Malformed:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("het XML-document is vanaf regel %d niet goed gevormd; wat daarvóór stond is verwerkt, de rest niet", line))
	}
	return xr.d.refuse(ctx, sdk.CodeDocumentRejected, rcTechnical, fmt.Sprintf("het XML-document is rond regel %d niet te lezen (bijvoorbeeld een XML-versie anders dan 1.0); wat daarvóór stond is verwerkt, de rest niet", line))
}
