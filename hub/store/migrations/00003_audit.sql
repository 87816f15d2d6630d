-- +goose Up
-- The NEN 7513 audit trail (hub/audit, docs/audit.md): who saw or changed what
-- about which client, when, on whose behalf and on what basis.
--
-- Append-only: the triggers below refuse UPDATE, DELETE and TRUNCATE for
-- every role, the owner included. A superuser can still disable them; that is
-- what the hash chain is for: every row carries the hash of the row before
-- it, so a changed, removed or reordered row breaks the chain at a known seq
-- (`ketenhub audit verify`).
--
-- Columns hold no BSN or name: client is the opaque chain client id (a
-- pseudonym), detail is checked by hub/audit for personal data before it is
-- written. Absent values are '' or '{}', never NULL (detail excepted), so
-- that the canonical encoding that is hashed has one form for "nothing".
CREATE TABLE audit_log (
    seq          bigint PRIMARY KEY CHECK (seq > 0),   -- gap-free, 1, 2, 3, ... in chain order
    at           timestamptz NOT NULL,                 -- when the event was logged (hub clock, microseconds)
    event        text NOT NULL,                        -- disclosure | consent_change | link_change | config_change | login | auth_failure | export | emergency_access | audit_read
    action       text NOT NULL DEFAULT '',             -- merge | split | link | unlink, grant | withdraw | amend, ...
    client       text NOT NULL DEFAULT '',             -- chain client pseudonym
    related      text[] NOT NULL DEFAULT '{}',         -- other client pseudonyms involved (merge, split)
    user_id      text NOT NULL DEFAULT '',             -- the user or partner system that acted
    acting_for   text NOT NULL DEFAULT '',             -- the responsible user on whose behalf
    organisation text NOT NULL DEFAULT '',
    role         text NOT NULL DEFAULT '',
    purpose      text NOT NULL DEFAULT '',
    categories   text[] NOT NULL DEFAULT '{}',         -- data categories (sensitivity classes) touched
    basis_kind   text NOT NULL DEFAULT '',             -- consent | bemoeizorg | legal
    basis_ref    text NOT NULL DEFAULT '',             -- consent id, bemoeizorg justification id, legal ground
    emergency    boolean NOT NULL DEFAULT false,       -- an emergency procedure was used
    outcome      text NOT NULL,                        -- success | denied | failure
    source       text NOT NULL,                        -- route, CLI command or pipeline stage
    request_id   text NOT NULL DEFAULT '',             -- request or correlation id
    detail       json,                                 -- stored byte for byte as hashed (json, not jsonb)
    prev_hash    bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (octet_length(hash) = 32)
);
-- Time ranges: rows arrive in time order, so a BRIN index is tiny and enough.
-- Retention and partitioning (docs/audit.md): seq grows with time, so the
-- table can later be range-partitioned on seq (one partition per month, the
-- boundaries recorded) and a whole month dropped after the retention term
-- without changing the primary key.
CREATE INDEX audit_log_at ON audit_log USING brin (at);
-- The access request (inzageverzoek): every event about one client.
CREATE INDEX audit_log_client ON audit_log (client, at) WHERE client <> '';
CREATE INDEX audit_log_related ON audit_log USING gin (related) WHERE related <> '{}';
-- Control of one user's actions (NEN 7513 review of the logging).
CREATE INDEX audit_log_user ON audit_log (user_id, at) WHERE user_id <> '';

-- The chain's head: the last seq and hash. Appending locks this one row, so
-- concurrent writers queue and keep one chain; the lock is held until the
-- writer's transaction ends, and a rolled-back append leaves no gap.
CREATE TABLE audit_head (
    id   boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq  bigint NOT NULL CHECK (seq >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO audit_head (seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the audit trail is never changed; see docs/audit.md';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose StatementBegin
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
        RAISE EXCEPTION 'audit_head only moves forward: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
-- The audit trail is evidence that must be kept for years: no migration drops
-- it. Archive it and drop it by hand if it really must go.
-- +goose StatementBegin
DO $$
BEGIN
    RAISE EXCEPTION 'the audit trail (audit_log) is not dropped by a down migration; see docs/audit.md';
END
$$;
-- +goose StatementEnd
