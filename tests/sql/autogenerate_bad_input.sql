-- A desired schema holds only statements that define schema objects. Any
-- other statement is refused, naming it, before any statement runs; DDL
-- that fails gets PostgreSQL's own error, naming the statement. Either way
-- the live database is unchanged.
CREATE DATABASE autogenerate_bad_input;
\c autogenerate_bad_input
CREATE EXTENSION migrate_ext;
-- the test helpers live in a schema of their own, out of the way
CREATE SCHEMA helpers;
SET search_path = helpers;
\i tests/helpers/snapshot.sql
\i tests/helpers/sqlstate.sql
SET search_path = public, helpers;
\set SHOW_CONTEXT never
CREATE TABLE t (id int PRIMARY KEY, n int);
INSERT INTO t VALUES (1, 1);
CREATE SCHEMA other;
CREATE TABLE other.x (id int);
SELECT snapshot() AS public_before, snapshot('other') AS other_before \gset

-- statements that are not schema definitions, each refused by name
-- (settings, owners and privileges are accepted and not run: see the
-- autogenerate_pg_dump story; a set_config on anything but constants is
-- a query)
SELECT s AS statement, sqlstate(format('SELECT migrate.diff(%L)', 'CREATE TABLE t (id int); ' || s))
  FROM unnest(ARRAY[
    'INSERT INTO t VALUES (2)',
    'UPDATE t SET n = 2',
    'DELETE FROM t',
    'TRUNCATE t',
    'SELECT pg_catalog.set_config(''search_path'', current_user, false)',
    'BEGIN',
    'COMMIT',
    'ROLLBACK',
    'SAVEPOINT s',
    'COPY t FROM stdin',
    'SELECT pg_sleep(0)',
    'SELECT 1 INTO copy_of_t',
    'CREATE TABLE copy AS SELECT * FROM t',
    'REFRESH MATERIALIZED VIEW mv',
    'DO $d$ BEGIN END $d$',
    'CALL nothing()',
    'DROP TABLE t',
    'CREATE EXTENSION pgcrypto',
    'CREATE SCHEMA more',
    'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC',
    'VACUUM t',
    'NOTIFY somebody',
    'ALTER TABLE t SET SCHEMA other',
    'LOCK TABLE t'
  ]) AS s;

-- names qualified with another schema, temporary objects, CONCURRENTLY
SELECT s AS statement, sqlstate(format('SELECT migrate.diff(%L)', s))
  FROM unnest(ARRAY[
    'CREATE TABLE other.t (id int)',
    'CREATE TYPE other.mood AS ENUM (''a'')',
    'CREATE TABLE t (id int); CREATE INDEX ON other.x (id)',
    'CREATE TABLE t (id int); ALTER TABLE other.x ADD COLUMN y int',
    'CREATE TABLE t (id int); COMMENT ON TABLE other.x IS ''no''',
    'CREATE TABLE t (id int); ALTER TABLE other.x RENAME TO y',
    'CREATE TEMP TABLE t (id int)',
    'CREATE TABLE t (id int); CREATE INDEX CONCURRENTLY t_id ON t (id)',
    'CREATE TYPE other.shell',
    'CREATE TABLE t (id int); COMMENT ON TYPE other.mood IS ''no''',
    'CREATE MATERIALIZED VIEW other.mv AS SELECT 1 AS one',
    'ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE pg_default'
  ]) AS s;
-- comments on constraints and columns name their table, not a schema
SELECT jsonb_array_length(migrate.diff($$
    CREATE TABLE t (id int PRIMARY KEY, n int);
    COMMENT ON CONSTRAINT t_pkey ON t IS 'the key';
    COMMENT ON COLUMN t.n IS 'a number';
$$)) AS ops;
-- the schema being described may be named
SELECT jsonb_array_length(migrate.diff('CREATE TABLE public.t (id int PRIMARY KEY, n int)')) AS ops;

-- the refusal names the statement and its line, before anything runs
SELECT migrate.diff($$
    CREATE TABLE t (id int PRIMARY KEY, n int);

    CREATE TABLE audit (id int);
    INSERT INTO audit VALUES (1);
$$);

-- DDL that fails: PostgreSQL's own SQLSTATE, the statement named
SELECT migrate.diff($$
    CREATE TABLE t (id int PRIMARY KEY, n int);
    CREATE TABLE u (m mood);
$$);
SELECT migrate.diff($$
    CREATE TABLE t (id int PRIMARY KEY, n int);
    CREATE TABLE t (id int);
$$);
SELECT sqlstate('SELECT migrate.diff(''CREATE TABLE t (id int REFERENCES nowhere)'')');
-- a syntax error, with the line it is on
SELECT migrate.diff('CREATE TABLE t (id int');
SELECT migrate.diff($$
    CREATE TABLE t (id int PRIMARY KEY, n int);
    CREATE TABEL u (id int);
$$);
SELECT sqlstate('SELECT migrate.diff(''CREATE TABLE t (id int'')');
SELECT sqlstate('SELECT migrate.diff(''CREATE TABEL t (id int)'')');

-- arguments
SELECT sqlstate('SELECT migrate.diff(NULL)');
SELECT sqlstate('SELECT migrate.check(NULL)');
SELECT sqlstate('SELECT migrate.autogenerate(''m'', NULL)');
SELECT sqlstate('SELECT migrate.diff('''', NULL)');
SELECT sqlstate('SELECT migrate.diff('''', ''no_such_schema'')');
SELECT sqlstate('SELECT migrate.diff('''', ''pg_catalog'')');
SELECT sqlstate('SELECT migrate.diff('''', ''migrate'')');
SELECT sqlstate('SELECT migrate.check(''CREATE TABLE t (id int PRIMARY KEY)'')');

-- nothing above changed the live database, nor stored a revision
SELECT snapshot() = :'public_before' AS public_unchanged,
       snapshot('other') = :'other_before' AS other_unchanged;
SELECT * FROM t;
SELECT count(*) AS revisions FROM migrate.revisions;
SELECT count(*) AS scratch_schemas FROM pg_namespace WHERE nspname LIKE 'migrate_live%';

-- autogenerate builds on one head: with several, merge first
SELECT migrate.revision('one root', id => 'h1', down_revision => 'base');
SELECT migrate.revision('another root', id => 'h2', down_revision => 'base');
SELECT migrate.upgrade('heads');
SELECT migrate.autogenerate('x', 'CREATE TABLE t (id int PRIMARY KEY, n int, m int)');
SELECT migrate.merge(ARRAY['h1', 'h2'], 'merge', id => 'm1');
SELECT migrate.upgrade('head');
SELECT migrate.autogenerate('x', 'CREATE TABLE t (id int PRIMARY KEY, n int)') IS NULL AS nothing_to_do;

-- a table's partitioning is not changed by autogenerate (PostgreSQL cannot
-- alter a partition key, and the rows would have to move): refused, with
-- the table named, by diff, check and autogenerate alike
CREATE TABLE p (id int, at date) PARTITION BY RANGE (at);
SELECT sqlstate($q$SELECT migrate.diff('CREATE TABLE t (id int PRIMARY KEY, n int); CREATE TABLE p (id int, at date) PARTITION BY LIST (id)')$q$);
SELECT sqlstate($q$SELECT migrate.check('CREATE TABLE t (id int PRIMARY KEY, n int); CREATE TABLE p (id int, at date)')$q$);
DROP TABLE p;
