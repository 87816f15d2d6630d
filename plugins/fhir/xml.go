package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/ketenhub/ketenhub/plugins/internal/xmlscan"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// fhirNS is the namespace of FHIR XML; xhtmlNS that of the narrative.
const (
	fhirNS  = "http://hl7.org/fhir"
	xhtmlNS = "http://www.w3.org/1999/xhtml"
)

// maxNodes bounds the elements of one resource or Bundle entry.
const maxNodes = 100000

var errTooBig = errors.New("resource has too many elements")

// node is a FHIR XML element: its local name, its value and url
// attributes, the line it starts on and its child elements. The narrative
// (xhtml) is left out.
type node struct {
	name  string
	value string
	url   string
	line  int
	kids  []*node
}

// child returns the first child element called name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// all returns the child elements called name.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// val returns the value attribute of the child called name, or "".
func (n *node) val(name string) string {
	if k := n.child(name); k != nil {
		return k.value
	}
	return ""
}

// ptr returns the value of child name as a pointer, nil when it is absent.
func (n *node) ptr(name string) *string {
	if k := n.child(name); k != nil {
		v := k.value
		return &v
	}
	return nil
}

// xmlReader reads FHIR XML as a stream: a Bundle one entry at a time, or a
// single resource.
type xmlReader struct {
	d *decoder
	x *xmlscan.Scanner
}

func newXMLReader(d *decoder, r io.Reader) *xmlReader {
	return &xmlReader{d: d, x: xmlscan.New(r, d.p.maxResource)}
}

// run reads the document; it returns errStop after a document-level error.
func (xr *xmlReader) run(ctx context.Context) error {
	root, err := xr.x.Root()
	if err != nil {
		return xr.syntax(ctx, err)
	}
	if root.Name.Space != fhirNS {
		return xr.d.refuse(ctx, sdk.CodeHeaderMissing, "het XML-document is geen FHIR: het hoofdelement staat niet in de namespace "+fhirNS)
	}
	if root.Name.Local != "Bundle" {
		line := xr.x.Line()
		n, err := xr.build(root)
		if err != nil {
			return xr.syntax(ctx, err)
		}
		if err := xr.d.onItem(ctx, resourceFromXML(n, &item{line: line})); err != nil {
			return err
		}
		return xr.end(ctx)
	}
	for {
		tok, err := xr.x.Token()
		if err != nil {
			return xr.syntax(ctx, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := xr.bundleChild(ctx, t); err != nil {
				return err
			}
		case xml.EndElement:
			return xr.end(ctx)
		}
	}
}

// bundleChild handles a child of the Bundle element: its type and entries.
func (xr *xmlReader) bundleChild(ctx context.Context, t xml.StartElement) error {
	switch t.Name.Local {
	case "type":
		for _, a := range t.Attr {
			if a.Name.Local == "value" && a.Value == "history" {
				xr.d.history = true
			}
		}
	case "entry":
		line := xr.x.Line()
		n, err := xr.build(t)
		if err != nil {
			return xr.syntax(ctx, err)
		}
		it := &item{line: line, fullURL: n.val("fullUrl"), inBundle: true}
		if req := n.child("request"); req != nil {
			it.method, it.url = req.val("method"), req.val("url")
		}
		if res := n.child("resource"); res != nil && len(res.kids) > 0 {
			resourceFromXML(res.kids[0], it)
		}
		return xr.d.onItem(ctx, it)
	}
	if err := xr.x.Skip(); err != nil {
		return xr.syntax(ctx, err)
	}
	return nil
}

// end checks that nothing but blanks and comments follows the root.
func (xr *xmlReader) end(ctx context.Context) error {
	switch after, err := xr.x.AfterRoot(); {
	case err != nil:
		return xr.syntax(ctx, err)
	case after == xmlscan.Element:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("na het einde van de resource begint op regel %d nog een element; een XML-document bevat één resource of Bundle, de rest is niet verwerkt", xr.x.Line()))
	case after == xmlscan.Text:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("na het einde van de resource staat op regel %d nog tekst", xr.x.Line()))
	}
	return nil
}

// build reads the element that start opened, up to its end, into a tree,
// leaving out the xhtml narrative.
func (xr *xmlReader) build(start xml.StartElement) (*node, error) {
	newNode := func(t xml.StartElement) *node {
		n := &node{name: t.Name.Local, line: xr.x.Line()}
		for _, a := range t.Attr {
			switch a.Name.Local {
			case "value":
				n.value = a.Value
			case "url":
				n.url = a.Value
			}
		}
		return n
	}
	root := newNode(start)
	stack := []*node{root}
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
			if t.Name.Space == xhtmlNS {
				if err := xr.x.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			if count++; count > maxNodes {
				return nil, errTooBig
			}
			n := newNode(t)
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return root, nil
}

// syntax reports a document that cannot be read on and returns errStop, or
// returns err itself when it is about reading, not about the document.
func (xr *xmlReader) syntax(ctx context.Context, err error) error {
	problem, line := xr.x.Diagnose(err)
	switch {
	case problem == xmlscan.ReadFailed:
		return fmt.Errorf("read xml: %w", err)
	case problem == xmlscan.Charset:
		return xr.d.refuse(ctx, sdk.CodeEncoding, "het XML-document geeft een andere tekenset dan UTF-8 op; FHIR-documenten zijn UTF-8")
	case problem == xmlscan.LongRun, errors.Is(err, errTooBig):
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("de resource rond regel %d is te groot (meer dan %d bytes tekst of %d elementen); het document is vanaf daar niet verwerkt", line, xr.d.p.maxResource, maxNodes))
	case problem == xmlscan.Truncated:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het document houdt op regel %d midden in de XML op (afgebroken?); wat daarvóór stond is verwerkt", line))
	case problem == xmlscan.Malformed:
		return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het XML-document is vanaf regel %d niet goed gevormd; wat daarvóór stond is verwerkt, de rest niet", line))
	}
	return xr.d.refuse(ctx, sdk.CodeDocumentRejected, fmt.Sprintf("het XML-document is rond regel %d niet te lezen; wat daarvóór stond is verwerkt, de rest niet", line))
}

// resourceFromXML reads resource n into it: its type and id, and a Patient
// or Consent. It returns it.
func resourceFromXML(n *node, it *item) *item {
	it.resType, it.id = n.name, n.val("id")
	switch n.name {
	case "Patient":
		it.patient, it.bad = patientFromXML(n)
	case "Consent":
		it.consent = consentFromXML(n)
	}
	return it
}

// patientFromXML reads a Patient element.
func patientFromXML(n *node) (*patient, *problem) {
	p := &patient{resourceHead: resourceHead{ResourceType: n.name, ID: n.val("id")}}
	if m := n.child("meta"); m != nil {
		p.Meta = &meta{LastUpdated: m.val("lastUpdated")}
	}
	if a := n.child("active"); a != nil {
		switch a.value {
		case "true", "false":
			b := a.value == "true"
			p.Active = &b
		default:
			return nil, &problem{field: "Patient.active", code: sdk.CodeFieldFormat, msg: "active is geen true of false"}
		}
	}
	for _, id := range n.all("identifier") {
		p.Identifier = append(p.Identifier, identifier{System: id.val("system"), Value: id.val("value")})
	}
	for _, nm := range n.all("name") {
		h := humanName{Use: nm.val("use")}
		if f := nm.child("family"); f != nil {
			h.Family, h.FamilyExt = f.value, extensionsFromXML(f)
		}
		for _, g := range nm.all("given") {
			h.Given = append(h.Given, g.value)
			h.GivenExt = append(h.GivenExt, extensionsFromXML(g))
		}
		p.Name = append(p.Name, h)
	}
	if g := n.child("gender"); g != nil {
		p.Gender, p.GenderExt = g.value, extensionsFromXML(g)
	}
	p.BirthDate = n.val("birthDate")
	return p, nil
}

// extensionsFromXML reads the extension children of n, or returns nil.
func extensionsFromXML(n *node) *element {
	exts := n.all("extension")
	if len(exts) == 0 {
		return nil
	}
	e := &element{}
	for _, x := range exts {
		e.Extension = append(e.Extension, extension{URL: x.url, ValueString: x.ptr("valueString"), ValueCode: x.ptr("valueCode"),
			ValueCodeableConcept: conceptFromXML(x.child("valueCodeableConcept"))})
	}
	return e
}

func conceptFromXML(n *node) *codeableConcept {
	if n == nil {
		return nil
	}
	c := &codeableConcept{Text: n.val("text")}
	for _, cd := range n.all("coding") {
		c.Coding = append(c.Coding, codingFromXML(cd))
	}
	return c
}

func codingFromXML(n *node) coding {
	return coding{System: n.val("system"), Code: n.val("code"), Display: n.val("display")}
}

func referenceFromXML(n *node) *reference {
	if n == nil {
		return nil
	}
	r := &reference{Reference: n.val("reference")}
	if id := n.child("identifier"); id != nil {
		r.Identifier = &identifier{System: id.val("system"), Value: id.val("value")}
	}
	return r
}

// consentFromXML reads a Consent element.
func consentFromXML(n *node) *consent {
	c := &consent{resourceHead: resourceHead{ResourceType: n.name, ID: n.val("id")}, Status: n.val("status"),
		Scope: conceptFromXML(n.child("scope")), Patient: referenceFromXML(n.child("patient")), DateTime: n.val("dateTime"),
		PolicyRule: conceptFromXML(n.child("policyRule"))}
	if m := n.child("meta"); m != nil {
		c.Meta = &meta{LastUpdated: m.val("lastUpdated")}
	}
	for _, cat := range n.all("category") {
		c.Category = append(c.Category, *conceptFromXML(cat))
	}
	for _, pol := range n.all("policy") {
		c.Policy = append(c.Policy, consentPolicy{Authority: pol.val("authority"), URI: pol.val("uri")})
	}
	if p := n.child("provision"); p != nil {
		c.Provision = provisionFromXML(p)
	}
	return c
}

func provisionFromXML(n *node) *provision {
	p := &provision{Type: n.val("type")}
	if per := n.child("period"); per != nil {
		p.Period = &period{Start: per.val("start"), End: per.val("end")}
	}
	for _, a := range n.all("actor") {
		p.Actor = append(p.Actor, provisionActor{Role: conceptFromXML(a.child("role")), Reference: referenceFromXML(a.child("reference"))})
	}
	for _, pu := range n.all("purpose") {
		p.Purpose = append(p.Purpose, codingFromXML(pu))
	}
	for _, cd := range n.all("code") {
		p.Code = append(p.Code, *conceptFromXML(cd))
	}
	for _, sub := range n.all("provision") {
		p.Provision = append(p.Provision, *provisionFromXML(sub))
	}
	return p
}
