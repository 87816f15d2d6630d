-- +goose Up
-- Raw landing: every document's bytes are stored here before anything else happens.
CREATE TABLE documents (
    id              text PRIMARY KEY,
    partner         text NOT NULL,
    original_name   text NOT NULL,
    source          text NOT NULL DEFAULT 'drop',      -- drop | api | poll | replay
    size            bigint NOT NULL,
    sha256          bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'landed',    -- landed | decoding | storing | done | failed
    replay_of       text REFERENCES documents (id),
    decoded_chunks  integer NOT NULL DEFAULT 0,        -- chunks already published by the decode stage
    decode_finished boolean NOT NULL DEFAULT false,
    total_chunks    integer,                           -- known once decoding finished
    records_total   bigint NOT NULL DEFAULT 0,         -- records the adapter delivered
    seen_keys       bigint NOT NULL DEFAULT 0,         -- keys staged in document_keys (full exports)
    unchanged       bigint NOT NULL DEFAULT 0,         -- records identical to the stored state
    rejected        bigint NOT NULL DEFAULT 0,
    failure         text,
    finished_at     timestamptz,
    receipt         jsonb,
    receipt_written boolean NOT NULL DEFAULT false
);
-- The same content from the same partner is ingested once; a replay is explicit.
CREATE UNIQUE INDEX documents_partner_sha256 ON documents (partner, sha256) WHERE replay_of IS NULL;
CREATE INDEX documents_unfinished ON documents (partner, received_at) WHERE status NOT IN ('done', 'failed');

-- The bytes, in parts of at most 1 MiB so that large files stream in and out.
CREATE TABLE document_parts (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    data        bytea NOT NULL,
    PRIMARY KEY (document_id, seq)
);
ALTER TABLE document_parts ALTER COLUMN data SET STORAGE EXTERNAL;

-- One row per stored chunk: makes storing a chunk idempotent and carries its counts.
CREATE TABLE document_chunks (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    inserted    integer NOT NULL,
    updated     integer NOT NULL,
    deleted     integer NOT NULL,
    rejected    integer NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, seq)
);

-- Keys seen in a full export, to end the records that are missing from it.
-- Scratch space for documents in flight: unlogged and unindexed for speed.
-- A database crash empties it; documents.seen_keys then no longer matches
-- and the export's missing records are left alone (with a warning), never
-- ended on incomplete evidence.
-- One row per chunk with the chunk's keys as an array: a million keys are a
-- few hundred rows.
CREATE UNLOGGED TABLE document_keys (
    document_id text NOT NULL,
    chunk_seq   integer NOT NULL,
    record_keys text[] NOT NULL
);

-- Quarantine: every rejected record with the reason, and the record as far as it was mapped.
CREATE TABLE record_errors (
    id          bigserial PRIMARY KEY,
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    chunk_seq   integer NOT NULL,
    line        integer NOT NULL,
    col         integer NOT NULL DEFAULT 0,
    field       text NOT NULL DEFAULT '',
    record_key  text NOT NULL DEFAULT '',
    code        text NOT NULL,
    message     text NOT NULL,
    severity    text NOT NULL DEFAULT 'error',   -- error (record rejected) | warning (record kept)
    record      jsonb
);
CREATE INDEX record_errors_doc ON record_errors (document_id, line);

CREATE SEQUENCE feed_seq;

-- The normalised registrations: the latest state of each partner record.
CREATE TABLE registrations (
    partner       text NOT NULL,
    record_key    text COLLATE "C" NOT NULL,   -- byte order: key ranges match the hub's own sort
    feed_seq      bigint NOT NULL DEFAULT nextval('feed_seq'),
    status        text NOT NULL,               -- active | deleted | ended
    operation     text NOT NULL,
    content_hash  bytea NOT NULL,
    data          jsonb NOT NULL,
    document_id   text NOT NULL,
    line          integer NOT NULL,
    registered_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, record_key) INCLUDE (content_hash, status)
);
CREATE UNIQUE INDEX registrations_feed ON registrations (feed_seq);

-- +goose Down
DROP TABLE registrations;
DROP SEQUENCE feed_seq;
DROP TABLE record_errors;
DROP TABLE document_keys;
DROP TABLE document_chunks;
DROP TABLE document_parts;
DROP TABLE documents;
