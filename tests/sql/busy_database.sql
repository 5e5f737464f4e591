-- Running on a busy database: bounded lock waits, CALL migrate.run (a
-- commit per revision), concurrent index builds, and the dry run. The
-- waits themselves, with real sessions holding locks, are in tests/locks.sh.
CREATE DATABASE busy_database;
\c busy_database
CREATE EXTENSION migrate_ext;

-- the settings and their defaults (the library is loaded by the first call)
SELECT count(*) AS heads FROM migrate.heads();
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'migrate.%' ORDER BY name;
SET migrate.lock_timeout = '2s';
SHOW migrate.lock_timeout;
RESET migrate.lock_timeout;
-- a misspelt setting of ours is an error, not a silent placeholder
SET migrate.lock_timout = '1s';

CREATE TABLE account (id int PRIMARY KEY, email text);
INSERT INTO account SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 20000) g;
ANALYZE account;

SELECT migrate.revision('add a status', '[{"op": "add_column", "table": "account", "column": {"name": "status", "type": "text"}}]', id => 'b1');
SELECT migrate.revision('index the emails', '[{"op": "create_index", "name": "account_email_idx", "table": "account", "columns": ["email"], "concurrently": true}]', id => 'b2');
SELECT migrate.revision('two unique indexes (the second fails: its key repeats)', '[{"op": "create_index", "name": "account_email_key", "table": "account", "columns": ["email"], "unique": true, "concurrently": true},
    {"op": "create_index", "name": "account_parity_key", "table": "account", "expressions": ["id % 2"], "unique": true, "concurrently": true}]', id => 'b3');

-- a concurrent index op shares its revision with nothing else
SELECT migrate.revision('mixed', '[{"op": "add_column", "table": "account", "column": {"name": "x", "type": "int"}},
    {"op": "create_index", "name": "x_idx", "table": "account", "columns": ["x"], "concurrently": true}]');

-- the dry run executes the steps and rolls them back: locks, rewrites, rows
SELECT revision, op, kind, statement, locks, rewritten, rows, ms >= 0 AS timed FROM migrate.dry_run('b2');
-- nothing of it survives
SELECT * FROM migrate.current();
SELECT count(*) AS status_columns FROM information_schema.columns WHERE table_name = 'account' AND column_name = 'status';
SELECT count(*) AS log_rows FROM migrate.log;
-- a type change rewrites the table and its indexes
SELECT migrate.revision('wider emails', '[{"op": "alter_column", "table": "account", "column": "email", "type": "varchar(200)"}]',
    '[{"op": "alter_column", "table": "account", "column": "email", "type": "text"}]', id => 'c1', down_revision => 'b2');
SELECT revision, op, kind, locks, rewritten, rows FROM migrate.dry_run('c1') WHERE revision = 'c1';
DELETE FROM migrate.revisions WHERE id = 'c1';

-- upgrade() is one transaction: a concurrent build cannot run in it
SELECT migrate.upgrade('b2');
-- nor can CALL run inside a transaction block
BEGIN;
CALL migrate.run('b2');
ROLLBACK;

-- the offline script runs the build outside BEGIN/COMMIT (autocommit_block)
SELECT * FROM migrate.sql('b2');

-- CALL migrate.run commits after each revision; the build runs at top level
CALL migrate.run('b2');
SELECT * FROM migrate.current();
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'account'::regclass ORDER BY 1;
SELECT revision, direction, statements FROM migrate.log ORDER BY id;

-- a failed build leaves no INVALID index behind, and the indexes its
-- revision built before it are dropped again; b3 is not applied
CALL migrate.run('head');
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'account'::regclass ORDER BY 1;
SELECT * FROM migrate.current();
DELETE FROM migrate.revisions WHERE id = 'b3';

-- and back down, one revision per transaction
CALL migrate.run_down('base');
SELECT * FROM migrate.current();
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'account'::regclass ORDER BY 1;
SELECT revision, direction FROM migrate.log ORDER BY id;
-- with nothing to do, nothing happens
CALL migrate.run_down('base');
CALL migrate.run_down(NULL);

-- many revisions: a run holds one revision's locks at a time
INSERT INTO migrate.revisions (id, down_revision, upgrade, downgrade)
SELECT 'm' || g, ARRAY[CASE WHEN g = 1 THEN 'b2' ELSE 'm' || (g - 1) END],
       pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('op', 'execute', 'sql', format('CREATE TABLE many_%s (id int PRIMARY KEY)', g))),
       pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('op', 'execute', 'sql', format('DROP TABLE many_%s', g)))
  FROM generate_series(1, 500) g;
SET client_min_messages = warning;
CALL migrate.run();
RESET client_min_messages;
SELECT * FROM migrate.current();
SELECT count(*) AS tables FROM pg_tables WHERE tablename LIKE 'many\_%';
-- the fast path at head is back after the run
SELECT migrate.upgrade('head');
SELECT graph_count > 0 AS digest_recorded FROM migrate.state;
SET client_min_messages = warning;
CALL migrate.run_down('base');
RESET client_min_messages;
SELECT count(*) AS tables FROM pg_tables WHERE tablename LIKE 'many\_%';
SELECT count(*) AS applied FROM migrate.applied;

\c postgres
DROP DATABASE busy_database;
