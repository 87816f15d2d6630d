-- +goose Up
-- Outbound routing (hub/route): every delivery of one version of a partner's
-- registration to a receiving partner, one row per channel (pickup file,
-- webhook). The delivery id is stable and the same on both channels: a
-- receiver recognises a repeated delivery by it.
CREATE TABLE deliveries (
    seq             bigserial PRIMARY KEY,
    delivery_id     text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('pickup', 'webhook')),
    recipient       text NOT NULL,
    source_partner  text NOT NULL,
    record_key      text COLLATE "C" NOT NULL,
    client_id       text NOT NULL,                 -- the chain client (a pseudonym)
    operation       text NOT NULL CHECK (operation IN ('new', 'change', 'delete')),  -- as the recipient is to apply it
    purpose         text NOT NULL,
    classes         text[] NOT NULL,               -- the sensitivity classes the decision showed
    content_hash    bytea NOT NULL,                -- of what the recipient sees; an unchanged view is not sent again
    payload         jsonb NOT NULL,                -- the registration as the recipient may see it, without the BSN
    bsn_enc         bytea,                         -- the BSN, encrypted as in registration_identity, when it may be seen
    document_id     text NOT NULL,                 -- the document whose change is delivered
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',      -- a code and a Dutch reason, never personal data
    batch_id        text,                          -- set at the first attempt: a retry sends the same batch
    file_name       text,                          -- pickup: the file the delivery is in
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (delivery_id, channel)
);
-- The work of one recipient's channel, oldest first.
CREATE INDEX deliveries_pending ON deliveries (recipient, channel, seq) WHERE status = 'pending';
-- What a recipient had of a record before.
CREATE INDEX deliveries_record ON deliveries (source_partner, record_key, recipient, seq);
-- The list per recipient (API).
CREATE INDEX deliveries_recipient ON deliveries (recipient, seq);

-- Chunks of the accepted topic that routing has handled: a redelivered
-- message finds its chunk here and routes nothing twice.
CREATE TABLE routed_chunks (
    document_id text NOT NULL,
    seq         integer NOT NULL,
    routed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, seq)
);

-- +goose Down
DROP TABLE routed_chunks;
DROP TABLE deliveries;
