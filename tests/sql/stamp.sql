-- stamp: set the version without running any op, for adopting a database
-- whose schema is already there.
CREATE DATABASE stamp;
\c stamp
CREATE EXTENSION migrate_ext;

-- the schema exists already (made by hand, or by Alembic)
CREATE TABLE account (id int);
SELECT migrate.revision('create account table', '[{"op": "execute", "sql": "CREATE TABLE account (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE account"}]', id => 'a1');
SELECT migrate.revision('add a column', '[{"op": "add_column", "table": "account", "column": {"name": "name", "type": "text"}}]',
                        id => 'b2');

-- alembic stamp a1: nothing runs, the version moves
SELECT migrate.stamp('a1');
SELECT * FROM migrate.current();
SELECT count(*) AS steps_logged FROM migrate.log;
SELECT id, applied FROM migrate.history();
-- the rest is applied normally
SELECT migrate.upgrade('head');
SELECT * FROM migrate.current();
-- stamping down, to base, and by prefix
SELECT migrate.stamp('a');
SELECT migrate.stamp('base');
SELECT * FROM migrate.current();
SELECT migrate.stamp('head');
SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS columns_untouched
  FROM information_schema.columns WHERE table_name = 'account';
-- a version row that names no stored revision is dropped by a stamp
INSERT INTO migrate.version VALUES ('ghost');
SELECT migrate.upgrade();
SELECT migrate.stamp('b2');
SELECT * FROM migrate.current();
