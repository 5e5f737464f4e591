-- Upgrade migrate_ext from 0.3.0 to 0.4.0 (ALTER EXTENSION migrate_ext UPDATE).
--
-- Runs inside the extension's update, as its owner. Everything 0.4.0 adds
-- or changes in the SQL objects is repeated here, so that an updated
-- database equals a fresh CREATE EXTENSION of 0.4.0 (tests/upgrade.sh
-- compares the two catalog by catalog) and keeps its migration history.
\echo Use "ALTER EXTENSION migrate_ext UPDATE" to load this file. \quit

-- migrate.revision() keeps the heads of the stored graph with the digest
-- they are valid for, so that storing a revision does not load the graph.
ALTER TABLE migrate.state
    ADD COLUMN stored_heads text[],
    ADD COLUMN stored_count bigint,
    ADD COLUMN stored_sum   numeric;

-- Recorded downgrades: what an upgrade op changes or removes, read from the
-- catalog just before it runs, as the ops that recreate it (docs/ops.md).
ALTER TABLE migrate.applied ADD COLUMN downgrade jsonb;
COMMENT ON COLUMN migrate.applied.downgrade IS
    'The downgrade recorded from the catalog as the upgrade ran: per upgrade op, null or the ops that recreate what it changed.';
