package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/ketenhub/ketenhub/plugins/internal/xmlscan"
)

// Namespaces of a StUF-BG answer.
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsStUF   = "http://www.egem.nl/StUF/StUF0301"
	nsBG     = "http://www.egem.nl/StUF/sector/bg/0310"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
)

// Bounds on what one object may hold, so that a hostile answer cannot eat
// the adapter's memory.
const (
	maxDepth  = 64
	maxLeaves = 4096
)

// errStructure wraps the description of an answer that is well-formed XML
// but not a SOAP envelope with an npsLa01 (or a fault).
type errStructure struct{ msg string }

func (e errStructure) Error() string { return e.msg }

// stufAnswer is what an answer says besides its objects.
type stufAnswer struct {
	// vervolg: the service has more objects than it sent
	// (parameters/indicatorVervolgvraag).
	vervolg bool
	// tijdstipBericht is the service's time of the answer, as written.
	tijdstipBericht string
	// fault is set when the body is a SOAP fault.
	fault *stufFault
	// objects counts the objects.
	objects int
}

// stufFault is a SOAP fault, with the StUF foutbericht in its detail when
// there is one. Its faultstring and omschrijving are not kept: they may
// name a person.
type stufFault struct {
	faultcode, stufCode, plek string
}

// message describes the fault for ICT staff.
func (f *stufFault) message() string {
	var parts []string
	if f.faultcode != "" {
		parts = append(parts, "faultcode "+f.faultcode)
	}
	if f.stufCode != "" {
		parts = append(parts, "StUF-foutcode "+f.stufCode)
	}
	if f.plek != "" {
		parts = append(parts, "plek "+f.plek)
	}
	return "de webservice antwoordt met een SOAP-fout (" + strings.Join(parts, ", ") + "); de omschrijving staat niet in het log omdat ze persoonsgegevens kan bevatten"
}

// stufObject is one object of an answer, as the paths of its leaf elements.
type stufObject struct {
	n int // 1-based, in the order of the answer
	// leaves holds per path ("/verblijfsadres/gor.straatnaam") the text of
	// the first leaf element there: "" for xsi:nil or StUF:noValue, with
	// the unknown parts of a date (StUF:indOnvolledigeDatum) as zeros.
	leaves map[string]string
	// key is the object's StUF:sleutelGegevensbeheer, else its
	// StUF:sleutelVerzendend.
	key string
}

// stufReader walks a StUF-BG answer as a stream.
type stufReader struct {
	dec *xml.Decoder
	ans stufAnswer
}

// readStUF reads an answer and calls onObject for every object of its
// antwoord, in order. It returns an *xml.SyntaxError (or io.ErrUnexpectedEOF)
// for XML that is not well-formed, an errStructure for another kind of
// document, and the errors of onObject and ctx. A fault is no error: see
// stufAnswer.fault. The document is read to its end.
func readStUF(ctx context.Context, src io.Reader, onObject func(*stufObject) error) (stufAnswer, error) {
	r := &stufReader{dec: xml.NewDecoder(src)}
	r.dec.Strict = true
	r.dec.CharsetReader = charsetReader
	err := r.run(ctx, onObject)
	return r.ans, err
}

func (r *stufReader) run(ctx context.Context, onObject func(*stufObject) error) error {
	env, err := r.nextStart()
	if errors.Is(err, io.EOF) {
		return errStructure{"leeg"}
	}
	if err != nil {
		return err
	}
	if env.Name.Local != "Envelope" || env.Name.Space != nsSOAP11 && env.Name.Space != nsSOAP12 {
		return errStructure{fmt.Sprintf("geen SOAP-envelop maar <%s>", env.Name.Local)}
	}
	for {
		el, err := r.nextChild()
		if err != nil {
			return r.unexpected(err, "de SOAP-envelop heeft geen Body")
		}
		if el.Name.Local == "Body" {
			break
		}
		if err := r.dec.Skip(); err != nil {
			return err
		}
	}
	msg, err := r.nextChild()
	if err != nil {
		return r.unexpected(err, "de SOAP-Body is leeg")
	}
	switch {
	case msg.Name.Local == "Fault":
		return r.fault()
	case msg.Name.Local != "npsLa01":
		return errStructure{fmt.Sprintf("de SOAP-Body bevat geen npsLa01 maar <%s>", msg.Name.Local)}
	}
	for {
		part, err := r.nextChild()
		if errors.Is(err, errEnd) {
			return r.drain()
		}
		if err != nil {
			return err
		}
		switch part.Name.Local {
		case "parameters", "stuurgegevens":
			leaves, _, err := r.leaves(part)
			if err != nil {
				return err
			}
			r.ans.vervolg = leaves["/indicatorVervolgvraag"] == "true"
			if t, ok := leaves["/tijdstipBericht"]; ok {
				r.ans.tijdstipBericht = t
			}
		case "antwoord":
			if err := r.antwoord(ctx, onObject); err != nil {
				return err
			}
		default:
			if err := r.dec.Skip(); err != nil {
				return err
			}
		}
	}
}

// drain reads the rest of the document after the npsLa01, inside the Body
// inside the Envelope, so that an answer cut off there is found too. After
// the Envelope only blanks, comments and processing instructions may
// follow: a second envelope is an errStructure.
func (r *stufReader) drain() error {
	for depth := 2; ; {
		t, err := r.dec.Token()
		if errors.Is(err, io.EOF) && depth == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if depth == 0 {
				return errStructure{"na het einde van de SOAP-envelop volgt nog een element"}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errStructure{"na het einde van de SOAP-envelop staat nog tekst"}
			}
		}
	}
}

// antwoord reads the objects of the antwoord element.
func (r *stufReader) antwoord(ctx context.Context, onObject func(*stufObject) error) error {
	for {
		el, err := r.nextChild()
		if errors.Is(err, errEnd) {
			return nil
		}
		if err != nil {
			return err
		}
		if el.Name.Local != "object" {
			if err := r.dec.Skip(); err != nil {
				return err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		leaves, key, err := r.leaves(el)
		if err != nil {
			return err
		}
		r.ans.objects++
		if err := onObject(&stufObject{n: r.ans.objects, leaves: leaves, key: key}); err != nil {
			return err
		}
	}
}

// fault reads a SOAP fault; its StUF foutbericht may sit anywhere in it.
func (r *stufReader) fault() error {
	leaves, _, err := r.leaves(xml.StartElement{})
	if err != nil {
		return err
	}
	f := &stufFault{}
	for path, v := range leaves {
		switch path[strings.LastIndexByte(path, '/')+1:] {
		case "faultcode", "Value":
			f.faultcode = v
		case "code":
			f.stufCode = v
		case "plek":
			f.plek = v
		}
	}
	r.ans.fault = f
	return nil
}

// charsetReader reads an answer that declares another encoding than UTF-8,
// such as ISO-8859-1 or windows-1252.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("unknown encoding %q", label)
	}
	return enc.NewDecoder().Reader(input), nil
}

// errEnd says that the element being read has no more children.
var errEnd = errors.New("end of element")

// nextStart returns the next start element of the document.
func (r *stufReader) nextStart() (xml.StartElement, error) { return xmlscan.NextStart(r.dec, false) }

// nextChild returns the next child element of the element being read, or
// errEnd at its end.
func (r *stufReader) nextChild() (xml.StartElement, error) {
	for {
		t, err := r.dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errEnd
		}
	}
}

// unexpected turns the end of an element or of the document where a child
// was expected into an errStructure.
func (r *stufReader) unexpected(err error, msg string) error {
	if errors.Is(err, errEnd) || errors.Is(err, io.EOF) {
		return errStructure{msg}
	}
	return err
}

// leaves reads the element el, whose start was just read, to its end and
// returns the text of its leaf elements by path, and el's StUF key.
func (r *stufReader) leaves(el xml.StartElement) (map[string]string, string, error) {
	out := map[string]string{}
	key := attr(el, nsStUF, "sleutelGegevensbeheer")
	if key == "" {
		key = attr(el, nsStUF, "sleutelVerzendend")
	}
	type open struct {
		el       xml.StartElement
		path     string
		text     strings.Builder
		children bool
	}
	stack := []*open{{el: el}}
	for len(stack) > 0 {
		t, err := r.dec.Token()
		if err != nil {
			return nil, "", err
		}
		top := stack[len(stack)-1]
		switch t := t.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, "", errStructure{fmt.Sprintf("het antwoord is dieper dan %d elementen genest", maxDepth)}
			}
			top.children = true
			stack = append(stack, &open{el: t, path: top.path + "/" + t.Name.Local})
		case xml.CharData:
			if top.text.Len() < 1<<16 {
				top.text.Write(t)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if top.children || len(stack) == 0 {
				continue
			}
			if _, seen := out[top.path]; seen {
				continue
			}
			if len(out) >= maxLeaves {
				return nil, "", errStructure{fmt.Sprintf("een object heeft meer dan %d elementen", maxLeaves)}
			}
			out[top.path] = leafValue(top.el, strings.TrimSpace(top.text.String()))
		}
	}
	return out, key, nil
}

// leafValue is the value of a leaf element: "" for xsi:nil and
// StUF:noValue; a date with StUF:indOnvolledigeDatum gets zeros for its
// unknown parts (J: no date at all, M: only the year, D: no day).
func leafValue(el xml.StartElement, text string) string {
	if attr(el, nsXSI, "nil") == "true" || attr(el, nsStUF, "noValue") != "" {
		return ""
	}
	switch ind := attr(el, nsStUF, "indOnvolledigeDatum"); {
	case ind == "J":
		return ""
	case ind == "M" && len(text) == 8:
		return text[:4] + "0000"
	case ind == "D" && len(text) == 8:
		return text[:6] + "00"
	}
	return text
}

// attr returns the value of el's attribute space:local, or "". An
// attribute with the usual prefix (xsi, StUF) that no namespace declaration
// binds counts too.
func attr(el xml.StartElement, space, local string) string {
	prefix := map[string]string{nsXSI: "xsi", nsStUF: "StUF"}[space]
	for _, a := range el.Attr {
		if a.Name.Local == local && (a.Name.Space == space || a.Name.Space == prefix) {
			return a.Value
		}
	}
	return ""
}
