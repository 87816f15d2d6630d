-- +goose Up
-- Registrations pushed over HTTP (POST /v1/partners/{partner}/registrations).
-- A push may carry an Idempotency-Key: the same key of the same partner names
-- the same document, whatever its bytes.
ALTER TABLE documents ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX documents_partner_idempotency ON documents (partner, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- What became of every record of a pushed document, by the record's number
-- (line, counted from 1), so that the push, and a repeat of it, is answered
-- per record. Written by the store stage in the transaction of the chunk.
CREATE TABLE document_records (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    line        integer NOT NULL,
    record_key  text NOT NULL DEFAULT '',
    outcome     text NOT NULL CHECK (outcome IN ('inserted', 'updated', 'deleted', 'unchanged', 'rejected')),
    PRIMARY KEY (document_id, line)
);

-- +goose Down
DROP TABLE document_records;
DROP INDEX documents_partner_idempotency;
ALTER TABLE documents DROP COLUMN idempotency_key;
