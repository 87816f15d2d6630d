package api

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/ketenhub/ketenhub/hub"
	"github.com/ketenhub/ketenhub/hub/store"
)

// Cursor kinds: a cursor of one list is refused by another.
const (
	cursorFeed   = "feed"
	cursorErrors = "errors"
)

// feedPos is the position of a registration in the feed, for its cursor.
func feedPos(it store.FeedItem) int64 { return it.Seq }

// recordErrorPos is the position of a quarantined record in its document's
// list, for its cursor.
func recordErrorPos(e store.RecordError) int64 { return e.ID }

// cursorVersion starts every cursor, so that its contents can change later
// while old cursors are still recognised.
const cursorVersion = "v1"

// maxCursorLen bounds what decodeCursor is willing to look at.
const maxCursorLen = 64

// encodeCursor returns the opaque cursor for position pos in a list of kind.
func encodeCursor(kind string, pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + ":" + kind + ":" + strconv.FormatInt(pos, 10)))
}

// nextCursor is the cursor of kind that continues after the last of items
// read, at that item's position pos; at the end of the list, where no item
// was read, it is the cursor that was asked for, at position after.
func nextCursor[T any](kind string, after int64, items []T, pos func(T) int64) string {
	if len(items) > 0 {
		after = pos(items[len(items)-1])
	}
	return encodeCursor(kind, after)
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
