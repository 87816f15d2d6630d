-- +goose Up
-- The history of every partner file the hub saw (hot reload, issue 5): each
-- revision that was applied or refused, and each removal, with the file's
-- bytes and the unified diff against the revision that ran before it.
-- Configuration only: never client data.
CREATE TABLE partner_revisions (
    id          bigserial PRIMARY KEY,
    partner     text COLLATE "C" NOT NULL,
    hash        text NOT NULL,                 -- sha256 (hex) of the file
    status      text NOT NULL CHECK (status IN ('applied', 'refused', 'removed')),
    content     bytea NOT NULL,                -- the file as read; empty for a removal
    diff        text NOT NULL DEFAULT '',
    errors      jsonb NOT NULL DEFAULT '[]',   -- the problems of a refused revision
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_revisions_partner ON partner_revisions (partner, id DESC);

-- +goose Down
DROP TABLE partner_revisions;
