-- Upgrade migrate_ext from 0.2.0 to 0.3.0 (ALTER EXTENSION migrate_ext UPDATE).
--
-- Runs inside the extension's update, as its owner. Everything 0.3.0 adds
-- or changes in the SQL objects is repeated here, so that an updated
-- database equals a fresh CREATE EXTENSION of 0.3.0 (tests/upgrade.sh
-- compares the two catalog by catalog) and keeps its migration history.
\echo Use "ALTER EXTENSION migrate_ext UPDATE" to load this file. \quit

-- Runs that commit after each revision (src/procedure.rs). A procedure
-- that commits can have no SET clause; the engine sets its search_path in
-- each transaction it runs, as every other function does.
CREATE PROCEDURE migrate.run(target text DEFAULT 'head')
LANGUAGE c AS 'MODULE_PATHNAME', 'run_procedure_wrapper';
COMMENT ON PROCEDURE migrate.run(text) IS
    'Upgrade to target (default head), one transaction per revision, committed as it goes.';
CREATE PROCEDURE migrate.run_down(target text)
LANGUAGE c AS 'MODULE_PATHNAME', 'run_down_procedure_wrapper';
COMMENT ON PROCEDURE migrate.run_down(text) IS
    'Downgrade to target, one transaction per revision, committed as it goes.';

-- migrate.dry_run: the steps of an upgrade, run and rolled back, measured.
CREATE FUNCTION migrate."dry_run"(
	"target" TEXT DEFAULT 'head'
) RETURNS TABLE (
	"revision" TEXT,
	"op" INT,
	"kind" TEXT,
	"statement" TEXT,
	"locks" TEXT[],
	"rewritten" TEXT[],
	"rows" bigint,
	"ms" double precision
)
LANGUAGE c
AS 'MODULE_PATHNAME', 'dry_run_wrapper';

-- migrate.lint(target): warnings about what the steps of a run would do to
-- busy tables. A Rust function, declared as pgrx declares it in a fresh
-- install. It only reads (migrate.revisions, migrate.version and the
-- catalog), so grant_usage's 'read' access covers it, as it covers sql()
-- and show(); like every function of the extension, PUBLIC may execute it.
CREATE FUNCTION migrate."lint"(
	"target" TEXT DEFAULT 'head' /* Option < & str > */
) RETURNS TABLE (
	"revision" TEXT,  /* String */
	"op" INT,  /* i32 */
	"kind" TEXT,  /* String */
	"code" TEXT,  /* String */
	"severity" TEXT,  /* String */
	"message" TEXT,  /* String */
	"fix" TEXT  /* String */
)
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'lint_wrapper';
