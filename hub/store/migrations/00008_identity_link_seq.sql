-- +goose Up
-- A change number on every stored link (hub/clients' in-memory identity
-- index): every insert takes the next value, and every update takes a new
-- one (trigger), so that a hub reads only the links changed since it last
-- looked. All writers of registration_identity hold the link lock
-- (pg_advisory_xact_lock on "khclient") until they commit, so numbers are
-- committed in order.
CREATE SEQUENCE registration_identity_link_seq;
ALTER TABLE registration_identity
    ADD COLUMN link_seq bigint NOT NULL DEFAULT nextval('registration_identity_link_seq');
-- A B-tree: with a BRIN index, cheaper to keep, PostgreSQL's generic plan
-- for "link_seq > $1" became a scan of the whole table.
CREATE INDEX registration_identity_link_seq_idx ON registration_identity (link_seq);
-- Candidates by BSN come from the hub's index (the bsn: blocking key); no
-- query reads this one.
DROP INDEX registration_identity_bsn;

-- The hub creates a client in the transaction that first links to it and
-- never deletes one; checking the reference for every link (a key-share lock
-- on the client row) more than doubled the cost of storing a link.
-- The registry tests check the invariant (noLinkWithoutClient).
ALTER TABLE registration_identity DROP CONSTRAINT registration_identity_client_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION registration_identity_next_link_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.link_seq := nextval('registration_identity_link_seq');
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER registration_identity_link_seq BEFORE UPDATE ON registration_identity
    FOR EACH ROW EXECUTE FUNCTION registration_identity_next_link_seq();

-- The block index moved into the hub's memory (hub/clients/index.go), which
-- reads the blocks from registration_identity.blocks.
DROP TABLE identity_blocks;

-- +goose Down
ALTER TABLE registration_identity ADD CONSTRAINT registration_identity_client_id_fkey
    FOREIGN KEY (client_id) REFERENCES clients (id);
CREATE INDEX registration_identity_bsn ON registration_identity (bsn_hash) WHERE bsn_hash IS NOT NULL;
CREATE TABLE identity_blocks (
    block  bigint NOT NULL,
    reg_id bigint NOT NULL
);
INSERT INTO identity_blocks (block, reg_id) SELECT unnest(blocks), id FROM registration_identity;
CREATE INDEX identity_blocks_block ON identity_blocks (block);
DROP TRIGGER registration_identity_link_seq ON registration_identity;
DROP FUNCTION registration_identity_next_link_seq();
ALTER TABLE registration_identity DROP COLUMN link_seq;
DROP SEQUENCE registration_identity_link_seq;
