-- An error PostgreSQL raises at a position inside an op's SQL says where:
-- the line and column of the SQL the op ran (for an execute op, the SQL as
-- written). The run is rolled back, as for any error.
CREATE DATABASE error_position;
\c error_position
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
CREATE TABLE t (id int);

-- a syntax error on the second line of an execute op
SELECT migrate.revision('typo', '[{"op": "execute",
  "sql": "CREATE TABLE a (id int);\nCREATE TABEL b (id int);"}]', '[]', id => 'p1');
SELECT migrate.upgrade('head');
-- a column that does not exist
SELECT migrate.revision('bad column', '[{"op": "execute", "sql": "CREATE INDEX ON t (idd)"}]', '[]',
    id => 'p2', down_revision => 'base');
SELECT migrate.upgrade('p2');
-- a bad predicate in a create_index: the position is in the rendered
-- statement, which migrate.sql() shows
SELECT migrate.revision('bad predicate', '[{"op": "create_index", "name": "t_some", "table": "t",
  "columns": ["id"], "where": "idd > 0"}]', id => 'p3', down_revision => 'base');
SELECT migrate.upgrade('p3');
SELECT s AS statement FROM migrate.sql('p3', 'base') AS s WHERE s LIKE 'CREATE INDEX%';
-- an error inside a function body has a position in the body, not in the
-- op's SQL: no position is claimed
SELECT migrate.revision('bad body', '[{"op": "execute",
  "sql": "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $b$ SELECT nope $b$"}]', '[]',
    id => 'p5', down_revision => 'base');
SELECT migrate.upgrade('p5');
-- an error without a position is left as it is
SELECT migrate.revision('no position', '[{"op": "execute", "sql": "DROP TABLE nothing_here"}]', '[]',
    id => 'p4', down_revision => 'base');
SELECT migrate.upgrade('p4');
-- nothing ran
SELECT count(*) AS applied FROM migrate.version;
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'public';
