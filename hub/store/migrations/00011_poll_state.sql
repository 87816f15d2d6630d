-- +goose Up
-- Polling a partner's webservice (hub/poll, issue 5): per partner the cursor
-- where the next poll starts, and how the last polls went. The cursor moves
-- in the transaction that lands the page it follows (store.LandPage), so a
-- page is never skipped and never stored twice. Configuration and counts
-- only: a cursor holds no personal data (the adapters' contract), an error
-- is a code and a Dutch message without personal data.
CREATE TABLE poll_state (
    partner         text COLLATE "C" PRIMARY KEY,
    cursor          text NOT NULL DEFAULT '',
    pages           bigint NOT NULL DEFAULT 0,      -- pages stored (duplicates not counted)
    last_document   text,                            -- the document of the latest stored page
    cursor_at       timestamptz,                     -- when the cursor last moved
    last_poll_at    timestamptz,
    last_success_at timestamptz,
    failures        integer NOT NULL DEFAULT 0,      -- failed polls in a row
    last_error_code text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE poll_state;
