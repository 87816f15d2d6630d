package api

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
)

// Cursor kinds: a cursor of one list is refused by another.
const (
	cursorFeed   = "feed"
	cursorErrors = "errors"
)

// cursorVersion starts every cursor, so that its contents can change later
// while old cursors are still recognised.
const cursorVersion = "v1"

// maxCursorLen bounds what decodeCursor is willing to look at.
const maxCursorLen = 64

// encodeCursor returns the opaque cursor for position pos in a list of kind.
func encodeCursor(kind string, pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + ":" + kind + ":" + strconv.FormatInt(pos, 10)))
}

// decodeCursor returns the position a cursor of kind holds; the empty cursor
// is the start of the list, position 0. It returns an *hub.Error with
// EINVALID for anything encodeCursor did not make.
func decodeCursor(kind, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	invalid := hub.Errorf(hub.EINVALID, "De parameter after is geen geldige cursor; gebruik next_cursor uit een eerder antwoord.")
	if len(cursor) > maxCursorLen {
		return 0, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, invalid
	}
	n, ok := strings.CutPrefix(string(raw), cursorVersion+":"+kind+":")
	if !ok {
		return 0, invalid
	}
	pos, err := strconv.ParseInt(n, 10, 64)
	if err != nil || pos < 0 || encodeCursor(kind, pos) != cursor {
		return 0, invalid
	}
	return pos, nil
}
