package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// errNotFound says that a JSON stream has no value at a pointer.
var errNotFound = errors.New("no value at the pointer")

// decodeREST reads a JSON page as a stream: it walks to the list of items
// and maps them one at a time, so that a page is never held whole. What
// follows the list is read to the end, to find a page that is cut off.
func decodeREST(ctx context.Context, e *emitter, src io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sr := &sourceReader{r: src}
	dec := json.NewDecoder(sr)
	dec.UseNumber()
	itemsPtr := ""
	if r := e.p.cfg.REST; r != nil && r.Items != nil {
		itemsPtr = *r.Items
	}
	var open []json.Delim
	err := seek(dec, mustParse(itemsPtr), &open)
	if err == nil {
		err = decodeItems(ctx, e, dec)
	}
	if err == nil {
		err = finish(dec, open)
	}
	var ee emitError
	switch {
	case err == nil:
		return nil
	case sr.failure(ctx, err) != nil:
		return sr.failure(ctx, err)
	case errors.As(err, &ee):
		return ee.err
	case errors.Is(err, errNotFound):
		return e.refuse(ctx, sdk.CodeDocumentRejected, "de pagina heeft geen lijst met items op %s; er is niets verwerkt", pointerName(itemsPtr))
	case errors.Is(err, io.EOF) && dec.InputOffset() == 0:
		return e.refuse(ctx, sdk.CodeEmptyDocument, "de pagina is leeg (0 bytes)")
	case errors.Is(err, errTrailing):
		return e.refuse(ctx, sdk.CodeSyntax, "na het einde van de JSON-pagina staat vanaf byte %d nog meer; de items zijn verwerkt, de rest niet", dec.InputOffset())
	}
	return e.refuse(ctx, sdk.CodeSyntax, "de pagina is vanaf byte %d geen geldige JSON (afgebroken of beschadigd); de items daarvóór zijn verwerkt, de rest niet", dec.InputOffset())
}

// decodeItems maps the items of the list the decoder stands before.
func decodeItems(ctx context.Context, e *emitter, dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != json.Delim('[') {
		return errNotFound
	}
	inputs := e.p.mapping.Inputs
	tokens := make([]mapping.JSONPointer, len(inputs))
	for i, in := range inputs {
		tokens[i] = mustParse(in.Key)
	}
	for n := 1; dec.More(); n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var item any
		if err := dec.Decode(&item); err != nil {
			return err
		}
		obj, ok := item.(map[string]any)
		if !ok {
			if err := e.b.AddError(ctx, sdk.RecordError{Line: n, Code: sdk.CodeFieldFormat,
				Message: fmt.Sprintf("item %d is geen JSON-object en is niet verwerkt", n)}); err != nil {
				return emitError{err}
			}
			continue
		}
		e.begin(n)
		for i, tk := range tokens {
			v, _ := tk.Lookup(obj)
			if s, ok := scalar(v); ok {
				e.set(i, s)
			} else {
				e.m.Reject(i, sdk.CodeFieldFormat, "is een object of lijst, geen enkele waarde")
			}
		}
		if err := e.finish(ctx, n); err != nil {
			return emitError{err}
		}
	}
	_, err = dec.Token() // the closing ]
	return err
}

// errTrailing says that a JSON page goes on after its end.
var errTrailing = errors.New("text after the JSON value")

// seek moves dec to just before the value at tokens, reading and
// discarding what comes before it, and notes the objects and lists it
// entered in open. It returns errNotFound when the document has no such
// value.
func seek(dec *json.Decoder, tokens []string, open *[]json.Delim) error {
	if len(tokens) == 0 {
		return nil
	}
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); ok {
		*open = append(*open, d)
	}
	switch t {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if k == tokens[0] {
				return seek(dec, tokens[1:], open)
			}
			if err := skip(dec); err != nil {
				return err
			}
		}
	case json.Delim('['):
		want, err := strconv.Atoi(tokens[0])
		if err != nil || strconv.Itoa(want) != tokens[0] {
			return errNotFound
		}
		for i := 0; dec.More(); i++ {
			if i == want {
				return seek(dec, tokens[1:], open)
			}
			if err := skip(dec); err != nil {
				return err
			}
		}
	}
	return errNotFound
}

// finish reads the rest of the objects and lists in open, innermost last,
// and then the end of the page: a page that is cut off or goes on after its
// end gives an error.
func finish(dec *json.Decoder, open []json.Delim) error {
	for i := len(open) - 1; i >= 0; i-- {
		for dec.More() {
			if open[i] == json.Delim('{') {
				if _, err := dec.Token(); err != nil {
					return err
				}
			}
			if err := skip(dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return errTrailing
		}
		return err
	}
	return nil
}

// skip reads one whole value.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
