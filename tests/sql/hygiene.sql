-- Error hygiene: every refusal is one clear error with a fitting SQLSTATE;
-- PostgreSQL's own errors keep their SQLSTATE, message, detail and hint;
-- no Rust panic text or backtrace ever reaches a client.
CREATE DATABASE hygiene;
\c hygiene
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
\i tests/helpers/report.sql
CREATE TABLE t (id int);
SELECT migrate.revision('one', '[{"op": "execute", "sql": "CREATE TABLE one (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE one"}]', id => 'r1');

-- writers refuse in a read-only transaction, naming the function (25006)
BEGIN READ ONLY;
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
ROLLBACK;
BEGIN READ ONLY;
SELECT * FROM report($$SELECT migrate.downgrade('base')$$);
SELECT * FROM report($$SELECT migrate.stamp('head')$$);
SELECT * FROM report($$SELECT migrate.revision('two')$$);
SELECT * FROM report($$SELECT migrate.merge()$$);
SELECT * FROM report($$SELECT migrate.autogenerate('x', 'CREATE TABLE t (id int)')$$);
SELECT * FROM report($$SELECT migrate.diff('CREATE TABLE t (id int)')$$);
-- the read-only functions work there
SELECT * FROM migrate.current();
SELECT * FROM migrate.heads();
SELECT id, applied FROM migrate.history();
SELECT * FROM migrate.verify();
SELECT migrate.show('r1')->>'id' AS shown;
SELECT count(*) > 0 AS has_sql FROM migrate.sql('head');
SELECT migrate.model('public')->'tables' IS NOT NULL AS has_model;
ROLLBACK;
SET default_transaction_read_only = on;
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
RESET default_transaction_read_only;

-- PostgreSQL's own errors inside an op pass through as they are, with
-- the revision and op named: here the caller's statement_timeout, and a
-- division by zero (the caller's lock_timeout while waiting for another
-- run is in tests/concurrency.sh)
SELECT migrate.revision('slow', '[{"op": "execute", "sql": "SELECT pg_sleep(1)"}]', '[]', id => 's1', down_revision => 'r1');
SET statement_timeout = '300ms';
SELECT * FROM report($$SELECT migrate.upgrade('s1')$$);
RESET statement_timeout;
SELECT migrate.revision('bad', '[{"op": "execute", "sql": "SELECT 1/0"}]', '[]', id => 'z1', down_revision => 'r1');
SELECT * FROM report($$SELECT migrate.upgrade('z1')$$);
SELECT * FROM migrate.current();
DELETE FROM migrate.revisions WHERE id IN ('s1', 'z1');

-- re-entrancy: an op may not change the migration state while it runs
SELECT migrate.revision('reenter', '[{"op": "execute", "sql": "SELECT migrate.upgrade(''head'')"}]', '[]', id => 're1');
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
SELECT migrate.revision('restamp', '[{"op": "execute", "sql": "SELECT migrate.stamp(''base'')"}]', '[]', id => 're2', down_revision => 'r1');
SELECT * FROM report($$SELECT migrate.upgrade('re2')$$);
SELECT migrate.revision('store more', '[{"op": "execute", "sql": "SELECT migrate.revision(''inner'')"}]', '[]', id => 're3', down_revision => 'r1');
SELECT * FROM report($$SELECT migrate.upgrade('re3')$$);
SELECT migrate.revision('insert more', '[{"op": "execute", "sql": "INSERT INTO migrate.revisions (id, upgrade) VALUES (''sneaky'', ''[]'')"}]', '[]', id => 're4', down_revision => 'r1');
SELECT * FROM report($$SELECT migrate.upgrade('re4')$$);
-- nothing of those runs stayed: no version, no log, no table one, no
-- revision stored from inside
SELECT * FROM migrate.current();
SELECT count(*) AS log_rows FROM migrate.log;
SELECT to_regclass('one') AS one;
SELECT count(*) AS stored FROM migrate.revisions WHERE id = 'sneaky' OR message = 'inner';
-- reading is fine from inside a run
SELECT migrate.revision('read', '[{"op": "execute", "sql": "CREATE TABLE seen AS SELECT count(*) AS n FROM migrate.history()"}]', '[{"op": "execute", "sql": "DROP TABLE seen"}]', id => 're5', down_revision => 'r1');
SELECT migrate.upgrade('re5');
SELECT n FROM seen;
SELECT migrate.downgrade('base');
DELETE FROM migrate.revisions WHERE id LIKE 're%';

-- COPY to or from the client cannot run inside a migration (0A000)
SELECT migrate.revision('copy', '[{"op": "execute", "sql": "COPY t TO STDOUT"}]', '[]', id => 'c1', down_revision => 'r1');
SELECT * FROM report($$SELECT migrate.upgrade('c1')$$);
DELETE FROM migrate.revisions WHERE id = 'c1';

-- integers keep every digit, whatever their size
SELECT migrate.revision('big', $$[
  {"op": "add_column", "table": "t", "column": {"name": "big", "type": "numeric", "server_default": 18446744073709551617}},
  {"op": "bulk_insert", "table": "t", "rows": [{"id": 1, "big": 340282366920938463463374607431768211455},
                                               {"id": 2, "big": 340282366920938463463374607431768211457}]}
]$$, '[]', id => 'b1', down_revision => 'r1');
SELECT migrate.upgrade('b1');
SELECT id, big FROM t ORDER BY id;
SELECT pg_get_expr(adbin, adrelid) AS big_default FROM pg_attrdef WHERE adrelid = 't'::regclass;

-- an unknown word in a field names the field and lists the words
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "add_constraint", "table": "t", "name": "c", "kind": "exclude", "columns": ["id"]}]')$$);
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "add_constraint", "table": "t", "name": "c", "kind": "foreign_key", "columns": ["id"], "references": {"table": "t", "columns": ["id"]}, "on_delete": "explode"}]')$$);

-- a SQLSTATE of the user's own, raised by an op, comes back as it was
SELECT migrate.revision('guard', $$[{"op": "execute", "sql": "DO $x$BEGIN RAISE EXCEPTION 'not on Fridays' USING ERRCODE = 'MG001', HINT = 'Wait for Monday.'; END$x$"}]$$, '[]', id => 'g1');
SELECT * FROM report($$SELECT migrate.upgrade('g1')$$);
DO $$ BEGIN PERFORM migrate.upgrade('g1'); EXCEPTION WHEN SQLSTATE 'MG001' THEN RAISE NOTICE 'caught MG001'; END $$;
DELETE FROM migrate.revisions WHERE id = 'g1';

-- what a JSON value of the wrong type gets: JSON words, no Rust names
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "add_column", "table": "t", "column": []}]')$$);
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "add_column", "table": "t", "column": 18446744073709551616.5}]')$$);
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "add_constraint", "table": "t", "name": "c", "kind": "foreign_key", "columns": ["id"], "references": "t"}]')$$);
SELECT * FROM report($$SELECT migrate.revision('x', '[{"op": "bulk_insert", "table": "t", "rows": [10000000000000000000000]}]')$$);

-- an index method must be an index access method
SELECT migrate.revision('heap index', '[{"op": "create_index", "name": "i", "table": "t", "columns": ["id"], "method": "heap"}]', id => 'h1', down_revision => 'b1');
SELECT * FROM report($$SELECT migrate.upgrade('h1')$$);
