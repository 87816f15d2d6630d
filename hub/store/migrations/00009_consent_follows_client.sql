-- +goose Up
-- Consent follows the client (hub/consent, docs/privacy.md): a consent row is
-- anchored to the partner registrations it was given for, and applies to the
-- chain client that holds all of them. consents stays append-only; which
-- client a row applies to now is derived state, kept in consent_subjects and
-- recomputed in the transaction of every merge, split and relink.

-- The registrations a row was given for: the partner's own registration for a
-- statement a partner delivers by its record key; every registration of the
-- client at the time for a statement recorded for a chain client id.
CREATE TABLE consent_anchors (
    consent_id bigint NOT NULL REFERENCES consents (id),
    partner    text NOT NULL,
    record_key text COLLATE "C" NOT NULL,
    PRIMARY KEY (consent_id, partner, record_key)
);
CREATE INDEX consent_anchors_registration ON consent_anchors (partner, record_key);

-- The client each row applies to now; NULL when its registrations are spread
-- over several clients (after a split): it then applies to nobody.
CREATE TABLE consent_subjects (
    consent_id bigint PRIMARY KEY REFERENCES consents (id),
    client_id  text COLLATE "C",
    rule       text NOT NULL,               -- recorded | merge | split | relink | ...
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_subjects_client ON consent_subjects (client_id) WHERE client_id IS NOT NULL;

-- A statement delivered through an adapter carries a hash of its contents, so
-- that the same statement delivered again (tomorrow's full export) is
-- recognised and not recorded twice.
ALTER TABLE consents ADD COLUMN statement_hash bytea;
CREATE INDEX consents_statement ON consents (source, source_ref, recipient, purpose, stream, id DESC)
    WHERE statement_hash IS NOT NULL;

-- Rows recorded before: anchored to their client's registrations, applying to
-- the client their client was merged into, if it was.
INSERT INTO consent_anchors (consent_id, partner, record_key)
SELECT c.id, ri.partner, ri.record_key FROM consents c JOIN registration_identity ri ON ri.client_id = c.client_id;
WITH RECURSIVE chain (start, id) AS (
    SELECT DISTINCT client_id::text, client_id::text FROM consents
    UNION ALL
    SELECT chain.start, cl.merged_into FROM chain JOIN clients cl ON cl.id = chain.id WHERE cl.merged_into IS NOT NULL
), final AS (
    SELECT chain.start, chain.id FROM chain JOIN clients cl ON cl.id = chain.id WHERE cl.merged_into IS NULL
)
INSERT INTO consent_subjects (consent_id, client_id, rule)
SELECT c.id, coalesce(f.id, c.client_id), 'recorded' FROM consents c LEFT JOIN final f ON f.start = c.client_id;

-- What a document's consent statements came to, per chunk, for the receipt.
ALTER TABLE document_chunks
    ADD COLUMN consents_recorded  int NOT NULL DEFAULT 0,
    ADD COLUMN consents_unchanged int NOT NULL DEFAULT 0,
    ADD COLUMN consents_rejected  int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE document_chunks DROP COLUMN consents_recorded, DROP COLUMN consents_unchanged, DROP COLUMN consents_rejected;
DROP INDEX consents_statement;
ALTER TABLE consents DROP COLUMN statement_hash;
DROP TABLE consent_subjects;
DROP TABLE consent_anchors;
