-- +goose Up
-- The adapter's digest of the source a registration was last stored from
-- (see store/digests.go), so that a later export's unchanged records are
-- recognised without mapping them. In the primary key's INCLUDE list, so
-- that reading a partner's digests reads the index only.
ALTER TABLE registrations ADD COLUMN source_digest bytea;
ALTER TABLE registrations DROP CONSTRAINT registrations_pkey,
    ADD CONSTRAINT registrations_pkey PRIMARY KEY (partner, record_key) INCLUDE (content_hash, status, source_digest);

-- +goose Down
ALTER TABLE registrations DROP CONSTRAINT registrations_pkey,
    ADD CONSTRAINT registrations_pkey PRIMARY KEY (partner, record_key) INCLUDE (content_hash, status);
ALTER TABLE registrations DROP COLUMN source_digest;
