-- +goose Up
-- Chain clients: one per person, as far as the hub can tell. The id is opaque
-- and stable; a client merged into another keeps its row and points to the
-- survivor, so that old ids still resolve.
CREATE TABLE clients (
    id          text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    merged_into text REFERENCES clients (id)
);

-- The link of each partner registration to its chain client, with what the
-- hub knows of the registration's identity and how the link was made.
CREATE TABLE registration_identity (
    id          bigserial PRIMARY KEY,
    partner     text NOT NULL,
    record_key  text COLLATE "C" NOT NULL,
    client_id   text NOT NULL REFERENCES clients (id),
    bsn_hash    bytea,                 -- keyed hash of a valid BSN, for lookups
    bsn_enc     bytea,                 -- the BSN as delivered (valid or not), encrypted
    bsn_invalid boolean NOT NULL DEFAULT false,
    features    bytea NOT NULL,        -- normalised identity without the BSN (compact binary, see hub/clients)
    blocks      bigint[] NOT NULL,     -- keyed hashes of the blocking keys (see identity_blocks)
    grade       text NOT NULL,         -- certain | probable | none | manual
    rule        text NOT NULL,         -- the rule that decided, e.g. name+dob, or new, review-link, split
    score       real NOT NULL DEFAULT 0,
    evidence    jsonb,                 -- the comparison that decided, field by field
    linked_by   text NOT NULL DEFAULT 'hub',
    linked_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner, record_key)
);
CREATE INDEX registration_identity_client ON registration_identity (client_id);
CREATE INDEX registration_identity_bsn ON registration_identity (bsn_hash) WHERE bsn_hash IS NOT NULL;

-- The blocking index: only registrations that share a block are compared.
-- Blocks are keyed hashes, so the index holds no name or BSN in readable form.
CREATE TABLE identity_blocks (
    block  bigint NOT NULL,
    reg_id bigint NOT NULL
);
CREATE INDEX identity_blocks_block ON identity_blocks (block);

-- The review queue: two clients that may be one person.
CREATE TABLE review_items (
    id              bigserial PRIMARY KEY,
    client_id       text NOT NULL REFERENCES clients (id),   -- the client of the registration that raised it
    other_client_id text NOT NULL REFERENCES clients (id),   -- the client it may belong to
    partner         text NOT NULL,
    record_key      text NOT NULL,
    other_partner   text NOT NULL,
    other_record_key text NOT NULL,
    grade           text NOT NULL,
    rule            text NOT NULL,
    score           real NOT NULL,
    evidence        jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'open',  -- open | linked | kept_apart | obsolete
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    decided_by      text,
    reason          text
);
CREATE UNIQUE INDEX review_items_open_pair ON review_items (least(client_id, other_client_id), greatest(client_id, other_client_id))
    WHERE status = 'open';
CREATE INDEX review_items_open ON review_items (id) WHERE status = 'open';

-- Pairs of clients a person has kept apart: never proposed again.
CREATE TABLE kept_apart (
    client_a   text NOT NULL,
    client_b   text NOT NULL,
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now(),
    reason     text NOT NULL,
    PRIMARY KEY (client_a, client_b)
);

-- Every correction of links by a person, and every link the hub changed
-- after the first: who, when, why, and what moved.
CREATE TABLE client_history (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    action          text NOT NULL,   -- review-link | keep-apart | split | merge | relink
    client_id       text NOT NULL,
    other_client_id text,
    registrations   jsonb NOT NULL DEFAULT '[]',  -- [{partner, record_key}] that moved
    reason          text NOT NULL DEFAULT '',
    review_item_id  bigint
);
CREATE INDEX client_history_client ON client_history (client_id, id);
CREATE INDEX client_history_other ON client_history (other_client_id, id) WHERE other_client_id IS NOT NULL;

-- +goose Down
DROP TABLE client_history;
DROP TABLE kept_apart;
DROP TABLE review_items;
DROP TABLE identity_blocks;
DROP TABLE registration_identity;
DROP TABLE clients;
