-- migrate.sql(): offline mode. The script an upgrade or downgrade would
-- run, wrapped in BEGIN/COMMIT, with the version changes; nothing runs.
-- Its op statements are exactly what upgrade then runs and logs.
CREATE DATABASE offline_sql;
\c offline_sql
CREATE EXTENSION migrate_ext;
CREATE TABLE my_table (id int);

SELECT migrate.revision('enum', '[
    {"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2"]},
    {"op": "add_column", "table": "my_table",
     "column": {"name": "my_enum_column", "type": "my_enum_type", "nullable": false, "server_default": "option1"}}]',
    id => 'a1');
SELECT migrate.revision('index', '[{"op": "execute", "sql": "CREATE INDEX my_table_idx ON my_table (my_enum_column)"}]',
    '[{"op": "execute", "sql": "DROP INDEX my_table_idx"}]', id => 'b2');

SELECT * FROM migrate.sql('head');
-- nothing ran
SELECT count(*) AS versions FROM migrate.version;
SELECT to_regtype('my_enum_type') AS no_type_yet;

-- from a given revision, and downgrades
SELECT * FROM migrate.sql('head', from_revision => 'a1');
SELECT * FROM migrate.sql('base', from_revision => 'b2');
SELECT * FROM migrate.sql('-1', from_revision => 'heads');

-- the offline statements are what upgrade runs
CREATE TEMP TABLE offline AS
    SELECT n, s FROM migrate.sql('head') WITH ORDINALITY AS x(s, n);
SELECT migrate.upgrade('head');
SELECT (SELECT array_agg(s ORDER BY n) FROM offline
         WHERE s NOT LIKE '--%' AND s NOT IN ('BEGIN;', 'COMMIT;') AND s NOT LIKE '% migrate.%')
     = (SELECT array_agg(st || ';' ORDER BY l.id, k) FROM migrate.log l, unnest(l.statements) WITH ORDINALITY AS u(st, k))
       AS same_statements;

-- and the script itself runs: back to base through migrate.sql's output
\pset tuples_only on
\pset format unaligned
\o /tmp/migrate_ext_offline_downgrade.sql
SELECT * FROM migrate.sql('base');
\o
\pset tuples_only off
\pset format aligned
\i /tmp/migrate_ext_offline_downgrade.sql
SELECT count(*) AS versions FROM migrate.version;
SELECT to_regtype('my_enum_type') AS type_gone;
SELECT * FROM migrate.verify();
