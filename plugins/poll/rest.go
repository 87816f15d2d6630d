package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ketenhub/ketenhub/plugins/internal/mapping"
	"github.com/ketenhub/ketenhub/plugins/sdk"
)

// pollREST fetches one page of a JSON REST service: a GET of the URL with
// the cursor (or the start cursor) in its query parameter. The page is
// written as it came; a page without items is not written.
func pollREST(ctx context.Context, p *plan, cursor string, out io.Writer) (sdk.PollResult, error) {
	r := p.cfg.REST
	u, err := url.Parse(p.cfg.URL)
	if err != nil {
		return sdk.PollResult{}, fmt.Errorf("poll: url: %w", err)
	}
	q := u.Query()
	for k, v := range r.Query {
		q.Set(k, v)
	}
	if from := cmpOr(cursor, r.Cursor.Start); from != "" {
		q.Set(r.Cursor.Param, from)
	}
	if r.PageSizeParam != "" {
		q.Set(r.PageSizeParam, strconv.Itoa(p.cfg.PageSize))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return sdk.PollResult{}, fmt.Errorf("poll: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	ans, err := p.client.do(ctx, req)
	if err != nil {
		return sdk.PollResult{}, err
	}
	if ans.status/100 != 2 {
		return sdk.PollResult{}, statusError(ans.status)
	}
	res := readRESTPage(p, ans.body, cursor)
	res.Name, res.MediaType = pageName("rest", ".json"), ans.contentType
	if res.Items > 0 || res.Problem != nil {
		if _, err := out.Write(ans.body); err != nil {
			return sdk.PollResult{}, fmt.Errorf("poll: write page: %w", err)
		}
	}
	return res, nil
}

// readRESTPage reads the number of items, the next cursor and whether more
// follow from a page fetched at cursor. A page that is no JSON keeps the
// cursor: nothing in it says where the next page starts, and moving on
// could skip items nobody has seen.
func readRESTPage(p *plan, body []byte, cursor string) sdk.PollResult {
	r := p.cfg.REST
	res := sdk.PollResult{NextCursor: cursor}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var page any
	if err := dec.Decode(&page); err != nil || dec.More() {
		res.Problem = &sdk.PollError{Code: sdk.CodePollResponse, Message: "het antwoord is geen geldige JSON; de cursor blijft staan tot de webservice een leesbare pagina geeft"}
		return res
	}
	itemsPtr := ""
	if r.Items != nil {
		itemsPtr = *r.Items
	}
	v, ok := mustParse(itemsPtr).Lookup(page)
	items, isList := v.([]any)
	if !ok || !isList {
		res.Problem = &sdk.PollError{Code: sdk.CodePollResponse, Message: fmt.Sprintf("de pagina heeft geen lijst met items op %s", pointerName(itemsPtr))}
	}
	res.Items = len(items)
	if r.Cursor.Next != "" {
		next, prob := tokenCursor(page, r.Cursor.Next)
		if prob != nil {
			res.Problem = prob
		} else if next != "" {
			res.NextCursor = next
		}
		res.More = res.NextCursor != cursor && res.Items > 0
	} else {
		res.NextCursor = latestSince(items, mustParse(r.Cursor.SinceField), cursor)
		res.More = r.PageSizeParam != "" && res.Items >= p.cfg.PageSize
		if res.More && res.NextCursor == cursor {
			res.More = false
			res.Problem = &sdk.PollError{Code: sdk.CodePollResponse,
				Message: "een volle pagina heeft alleen items met het tijdstip van de cursor, zodat de volgende pagina dezelfde zou zijn; verhoog page_size"}
		}
	}
	if r.More != "" {
		if v, ok := mustParse(r.More).Lookup(page); ok {
			more, _ := scalar(v)
			res.More = more == "true" && res.Items > 0
		}
	}
	return res
}

// tokenCursor reads the next cursor a page gives; "" when it gives none
// (null, empty or absent: the service has nothing further now).
func tokenCursor(page any, ptr string) (string, *sdk.PollError) {
	v, ok := mustParse(ptr).Lookup(page)
	if !ok {
		return "", nil
	}
	s, ok := scalar(v)
	if !ok || len(s) > 2000 {
		return "", &sdk.PollError{Code: sdk.CodePollResponse, Message: fmt.Sprintf("de cursor op %s is geen tekst of getal", ptr)}
	}
	return s, nil
}

// latestSince returns the latest moment at ptr among the items, as the
// service wrote it, or cursor when no item has a later one.
func latestSince(items []any, ptr mapping.JSONPointer, cursor string) string {
	best, bestAt := cursor, time.Time{}
	if t, err := time.Parse(time.RFC3339Nano, cursor); err == nil {
		bestAt = t
	}
	for _, it := range items {
		v, ok := ptr.Lookup(it)
		if !ok {
			continue
		}
		s, _ := scalar(v)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err == nil && t.After(bestAt) {
			best, bestAt = s, t
		}
	}
	return best
}

// pointerName writes a JSON pointer for a message; the whole page is "/".
func pointerName(p string) string {
	if p == "" {
		return "de pagina zelf"
	}
	return p
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
