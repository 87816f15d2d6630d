-- +goose Up
-- The consent registry (hub/consent): append-only. Every statement of a
-- client (toestemming) and every grant on another ground (bemoeizorg,
-- wettelijke grondslag) is a new row; the current state is the latest row
-- per (client, recipient, purpose, stream). Expiry is computed when read.
CREATE TABLE consents (
    id               bigserial PRIMARY KEY,
    client_id        text COLLATE "C" NOT NULL,   -- opaque chain client id
    recipient        text NOT NULL,               -- partner id or group name
    purpose          text NOT NULL,
    state            text NOT NULL CHECK (state IN ('given', 'refused', 'withdrawn')),
    legal_basis      text NOT NULL CHECK (legal_basis IN ('toestemming', 'bemoeizorg', 'wettelijke_grondslag')),
    stream           text NOT NULL GENERATED ALWAYS AS
                         (CASE WHEN legal_basis = 'toestemming' THEN 'consent' ELSE 'grant' END) STORED,
    justification    text NOT NULL DEFAULT '',
    legal_reference  text NOT NULL DEFAULT '',
    valid_from       timestamptz NOT NULL,
    valid_until      timestamptz,                 -- exclusive; NULL: open-ended
    review_due       timestamptz,                 -- bemoeizorg grants only
    evidence_ref     text NOT NULL DEFAULT '',
    recorded_by_kind text NOT NULL,
    recorded_by_id   text NOT NULL,
    recorded_by_org  text NOT NULL DEFAULT '',
    recorded_by_role text NOT NULL DEFAULT '',
    acting_for       text NOT NULL DEFAULT '',
    source           text NOT NULL DEFAULT 'api', -- api | partner:<id>
    source_ref       text NOT NULL DEFAULT '',    -- the partner's own key of the statement
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    CHECK (state <> 'refused' OR legal_basis = 'toestemming'),
    CHECK (legal_basis <> 'bemoeizorg' OR state <> 'given'
           OR (justification <> '' AND valid_until IS NOT NULL AND review_due IS NOT NULL)),
    CHECK (legal_basis <> 'wettelijke_grondslag' OR state <> 'given' OR legal_reference <> '')
);
-- Current state of a feed page: one index range per (client, purpose).
CREATE INDEX consents_current ON consents (client_id, purpose, recipient, stream, id DESC);
-- Bemoeizorg grants due for review.
CREATE INDEX consents_grants ON consents (client_id, recipient, purpose, id DESC) WHERE stream = 'grant';

-- Append-only: history is evidence. Corrections are new rows.
-- +goose StatementBegin
CREATE FUNCTION consents_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consents is append-only: % is not allowed', TG_OP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER consents_no_update BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_append_only();
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION consents_append_only();

-- +goose Down
DROP TABLE consents;
DROP FUNCTION consents_append_only();
