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

-- Revisions as files: migrate.revision() takes every parent
-- (down_revisions), every branch label (branch_labels) and created_at, so
-- that migrate.export() can write any stored revision, merges included.
DROP FUNCTION migrate.revision(text, jsonb, jsonb, text, text, text, text[]);
DROP FUNCTION migrate._revision(text, text, text, text, text, text, text[]);
CREATE  FUNCTION migrate."_revision"(
	"message" TEXT, /* Option < & str > */
	"upgrade" TEXT, /* Option < & str > */
	"downgrade" TEXT, /* Option < & str > */
	"id" TEXT, /* Option < & str > */
	"down_revision" TEXT, /* Option < & str > */
	"branch_label" TEXT, /* Option < & str > */
	"depends_on" TEXT[], /* :: std :: option :: Option < Vec < Option < String > > > */
	"down_revisions" TEXT[], /* :: std :: option :: Option < Vec < Option < String > > > */
	"branch_labels" TEXT[], /* :: std :: option :: Option < Vec < Option < String > > > */
	"created_at" timestamp with time zone /* Option < pgrx :: datum :: TimestampWithTimeZone > */
) RETURNS TEXT /* String */

LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'revision_wrapper';
CREATE FUNCTION migrate.revision(message text,
                                 upgrade jsonb DEFAULT '[]',
                                 downgrade jsonb DEFAULT NULL,
                                 id text DEFAULT NULL,
                                 down_revision text DEFAULT NULL,
                                 branch_label text DEFAULT NULL,
                                 depends_on text[] DEFAULT '{}',
                                 down_revisions text[] DEFAULT NULL,
                                 branch_labels text[] DEFAULT NULL,
                                 created_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE sql VOLATILE
AS $$
    -- fully qualified, so that it stays inlinable and nothing on the
    -- caller's search_path can stand in for it
    SELECT migrate._revision(message, upgrade::pg_catalog.text, downgrade::pg_catalog.text, id,
                             down_revision, branch_label, depends_on,
                             down_revisions, branch_labels, created_at)
$$;
COMMENT ON FUNCTION migrate.revision(text, jsonb, jsonb, text, text, text, text[], text[], text[], timestamptz) IS
    'Store a revision (alembic revision -m) and return its id.';
CREATE  FUNCTION migrate."export"(
	"revision" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TEXT /* String */
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'export_wrapper';
CREATE  FUNCTION migrate."export_range"(
	"range" TEXT /* Option < & str > */
) RETURNS TEXT /* String */
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'export_range_wrapper';
CREATE  FUNCTION migrate."export_files"(
	"range" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"seq" INT,  /* i32 */
	"id" TEXT,  /* String */
	"file" TEXT,  /* String */
	"content" TEXT  /* String */
)
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'export_files_wrapper';
