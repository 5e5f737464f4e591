-- The extension's own tables. Their rows are dumped by pg_dump
-- (pg_extension_config_dump), so a restore keeps the migration history.

CREATE SCHEMA migrate;
COMMENT ON SCHEMA migrate IS 'migrate_ext: Alembic-style migrations inside PostgreSQL';

-- The checksum of a revision: SHA-256 over its id, parents, dependencies
-- and ops, in jsonb's canonical text (keys sorted, whitespace normalized).
-- The message and labels are not part of what runs, so they are left out.
-- Every call is schema-qualified: nothing on the caller's search_path can
-- stand in for these functions.
CREATE FUNCTION migrate._checksum_of(id text, down_revision text[], depends_on text[],
                                     upgrade jsonb, downgrade jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws(E'\n'::pg_catalog.text,
        id, down_revision::pg_catalog.text, depends_on::pg_catalog.text, upgrade::pg_catalog.text,
        COALESCE(downgrade::pg_catalog.text, 'null'::pg_catalog.text)), 'UTF8'::pg_catalog.name)), 'hex'::pg_catalog.text)
$$;

CREATE TABLE migrate.revisions (
    id            text PRIMARY KEY,
    down_revision text[] NOT NULL DEFAULT '{}',
    branch_labels text[] NOT NULL DEFAULT '{}',
    depends_on    text[] NOT NULL DEFAULT '{}',
    message       text,
    upgrade       jsonb NOT NULL,
    downgrade     jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- recomputed by PostgreSQL on every write, triggers or not (and on a
    -- restore, which does not dump it): what applied checksums compare to
    checksum      text GENERATED ALWAYS AS
                  (migrate._checksum_of(id, down_revision, depends_on, upgrade, downgrade)) STORED
);
COMMENT ON TABLE migrate.revisions IS
    'Stored revisions: parents (down_revision), ops to upgrade and downgrade (NULL = the inverse of upgrade).';
-- branch labels are looked up by value when revisions are stored; without
-- a pending list, so that a lookup right after a bulk insert is one probe
CREATE INDEX revisions_branch_labels_idx ON migrate.revisions USING gin (branch_labels)
    WITH (fastupdate = off);

-- Like alembic_version: one row per current head.
CREATE TABLE migrate.version (
    version_num text PRIMARY KEY
);
COMMENT ON TABLE migrate.version IS 'The applied heads of the revision graph.';

-- Append-only record of every step run.
CREATE TABLE migrate.log (
    id          bigserial PRIMARY KEY,
    revision    text NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('upgrade', 'downgrade')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    role        text NOT NULL,
    statements  text[] NOT NULL
);
CREATE INDEX log_revision_idx ON migrate.log (revision);
COMMENT ON TABLE migrate.log IS 'Every step run: revision, direction, times, role and the SQL executed.';

-- Every applied revision with the checksum of what it was when applied
-- (see migrate._checksum); migrate.verify() compares.
CREATE TABLE migrate.applied (
    revision   text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE migrate.applied IS 'Checksums of applied revisions, recorded when applied or stamped.';

-- The checksum of a stored row, computed afresh (the column checksum keeps it).
CREATE FUNCTION migrate._checksum(r migrate.revisions) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT migrate._checksum_of(r.id, r.down_revision, r.depends_on, r.upgrade, r.downgrade)
$$;

-- One row, updated by every run and every migrate.revision(): the row lock
-- that lets REPEATABLE READ callers fail cleanly instead of running twice.
CREATE TABLE migrate.state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    runs      bigint NOT NULL DEFAULT 0,
    -- what the last run or stamp left: the heads, and a digest of the
    -- graph then (the count and the sum of the 64-bit hashes of every
    -- revision's checksum); upgrade('head') at head checks them instead
    -- of loading the graph (see docs/design.md#speed)
    heads       text[],
    graph_count bigint,
    graph_sum   numeric,
    -- what the last migrate.revision() left: the heads of the stored graph
    -- (NULL: not known), valid while the digest of migrate.revisions is
    -- still this one (see store::stored_heads)
    stored_heads text[],
    stored_count bigint,
    stored_sum   numeric
);
INSERT INTO migrate.state DEFAULT VALUES;

SELECT pg_catalog.pg_extension_config_dump('migrate.revisions', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.version', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.log', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.applied', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.log_id_seq', '');
