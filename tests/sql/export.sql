-- export: each revision as a SQL file that stores it again. Loading a file
-- again changes nothing; a database loaded from the files holds the same
-- revisions, with the same checksums, as the one they came from.
CREATE DATABASE export;
\c export
CREATE EXTENSION migrate_ext;
\i tests/helpers/sqlstate.sql

-- a history with two branches (one with two labels), a dependency and a
-- merge; created_at is given so that this story's output is the same every
-- day (by default it is now())
SELECT migrate.revision('add my_enum_column', '[
  {"op": "create_table", "name": "my_table", "columns": [{"name": "id", "type": "int", "nullable": false}], "primary_key": ["id"]},
  {"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2", "option3"]},
  {"op": "add_column", "table": "my_table",
   "column": {"name": "my_enum_column", "type": "my_enum_type", "nullable": false, "server_default": "option1"}}]',
  id => 'a1', created_at => '2026-01-05 10:00:00+00');
SELECT migrate.revision(E'prices: it''s a \\ "quoted"\nmessage',
  '[{"op": "execute", "sql": "CREATE TABLE prices (p numeric DEFAULT 1.10)", "down": "DROP TABLE prices"}]',
  id => 'f1', down_revision => 'a1', branch_labels => '{feature,pricing}', created_at => '2026-01-05 10:01:00+00');
SELECT migrate.revision('a view', '[{"op": "execute", "sql": "CREATE VIEW v AS SELECT 1 AS one"}]',
  '[{"op": "execute", "sql": "DROP VIEW v"}]',
  id => 'o1', down_revision => 'a1', depends_on => '{f1}', created_at => '2026-01-05 10:02:00+00');
-- a merge names every parent with down_revisions (migrate.merge() stores
-- the same row)
SELECT migrate.revision('join the branches', id => 'm1', down_revisions => '{f1,o1}',
                        created_at => '2026-01-05 10:03:00+00');
SELECT migrate.upgrade('head');

\pset format unaligned
-- one revision's file: a header, then one migrate.revision() call that
-- names everything stored; the ops are jsonb's own text, one op per line
SELECT migrate.export('f1');
-- every revision, parents first (ties in the order they were written)
SELECT migrate.export();
-- a slice of the graph: an Alembic range, as migrate.history(range) takes
SELECT migrate.export_range('o1:head');
-- the files of a migrations folder (scripts/migrations.sh export writes them)
SELECT seq, id, file FROM migrate.export_files();
SELECT seq, id, file FROM migrate.export_files('base:f1');
\pset format aligned

-- loading a file again changes nothing
SELECT migrate.export('m1') \gexec

-- a database loaded from the files holds the same revisions: every column,
-- the checksum and created_at included
CREATE TEMP TABLE original AS SELECT * FROM migrate.revisions;
CREATE TEMP TABLE files AS SELECT * FROM migrate.export_files();
SELECT migrate.downgrade('base');
DROP EXTENSION migrate_ext;
CREATE EXTENSION migrate_ext;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT content FROM files ORDER BY seq LOOP
        EXECUTE f.content;
    END LOOP;
END
$$;
SELECT count(*) AS differences
  FROM ((SELECT * FROM original EXCEPT SELECT * FROM migrate.revisions)
        UNION ALL (SELECT * FROM migrate.revisions EXCEPT SELECT * FROM original)) d;
-- it upgrades as the original did, and verify() finds nothing changed
SELECT migrate.upgrade('head');
SELECT * FROM migrate.verify();
-- exporting it again gives the same bytes
SELECT (SELECT string_agg(content, '' ORDER BY seq) FROM files)
     = (SELECT string_agg(content, '' ORDER BY seq) FROM migrate.export_files()) AS same_files;

-- a file whose revision is stored with other content is refused
SELECT sqlstate(replace(content, 'option3', 'option4')) FROM files WHERE id = 'a1';
SELECT sqlstate(replace(content, 'ARRAY[''f1'', ''o1'']', 'ARRAY[''o1'', ''f1'']')) FROM files WHERE id = 'm1';
SELECT sqlstate(replace(content, 'ARRAY[''feature'', ''pricing'']', 'ARRAY[''feature'']')) FROM files WHERE id = 'f1';
-- a different created_at is not a different revision
SELECT migrate.revision('join the branches', id => 'm1', down_revisions => '{f1,o1}');

-- down_revisions and branch_labels: one form or the other, no NULLs
SELECT sqlstate($$SELECT migrate.revision('x', down_revision => 'a1', down_revisions => '{a1}')$$);
SELECT sqlstate($$SELECT migrate.revision('x', branch_label => 'l', branch_labels => '{l}')$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revisions => ARRAY['a1', NULL])$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revisions => '{m1}', branch_labels => '{l,l}')$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revisions => '{m1}', branch_labels => '{feature}')$$);
-- an empty list is a new root
SELECT migrate.revision('second root', id => 'r2', down_revisions => '{}', created_at => '2026-01-06 00:00:00+00');
SELECT id, down_revision FROM migrate.revisions WHERE id = 'r2';

-- export only reads: it works in a read-only transaction (and on a standby)
BEGIN READ ONLY;
SELECT count(*) AS files FROM migrate.export_files();
COMMIT;

-- what cannot be exported
SELECT sqlstate($$SELECT migrate.export('nope')$$);
SELECT sqlstate($$SELECT migrate.export_range(NULL)$$);
SELECT sqlstate($$SELECT migrate.export_range('nope')$$);
DELETE FROM migrate.revisions WHERE id = 'r2';
SELECT migrate.downgrade('base');
DELETE FROM migrate.revisions;
SELECT migrate.export() = '' AS nothing_stored_nothing_exported;

\c postgres
DROP DATABASE export;
