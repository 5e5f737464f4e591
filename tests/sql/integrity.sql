-- History cannot be rewritten under an applied revision: applied revisions
-- keep their ops and parents, and the log is append-only. Unapplied
-- revisions stay editable.
CREATE DATABASE integrity;
\c integrity
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never

SELECT migrate.revision('one', '[{"op": "execute", "sql": "CREATE TABLE one (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE one"}]', id => 'r1');
SELECT migrate.revision('two', '[]', id => 'r2');
SELECT migrate.upgrade('r1');

UPDATE migrate.revisions SET upgrade = '[]' WHERE id = 'r1';
UPDATE migrate.revisions SET downgrade = '[]' WHERE id = 'r1';
DELETE FROM migrate.revisions WHERE id = 'r1';
-- the message is not part of what ran, so it may change
UPDATE migrate.revisions SET message = 'create table one' WHERE id = 'r1';
-- r2 is not applied: free to edit or delete
UPDATE migrate.revisions SET upgrade = '[{"op": "execute", "sql": "SELECT 1"}]', downgrade = '[]' WHERE id = 'r2';
DELETE FROM migrate.revisions WHERE id = 'r2';

-- nor can the whole table be emptied under applied revisions
TRUNCATE migrate.revisions;
SELECT count(*) AS revisions FROM migrate.revisions;

UPDATE migrate.log SET statements = '{}';
DELETE FROM migrate.log;
TRUNCATE migrate.log;
SELECT count(*) FROM migrate.log;

-- the extension's objects live in the schema migrate, which belongs to the
-- extension; the extension itself is recorded in pg_catalog (like pg_cron)
-- and cannot be put anywhere else
SELECT extnamespace::regnamespace AS extension_schema, extrelocatable FROM pg_extension
 WHERE extname = 'migrate_ext';
SELECT count(*) AS schema_is_a_member FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE e.extname = 'migrate_ext' AND d.classid = 'pg_namespace'::regclass
   AND d.objid = 'migrate'::regnamespace;

-- and the extension cleans up after itself
DROP EXTENSION migrate_ext;
SELECT count(*) AS migrate_schema FROM pg_namespace WHERE nspname = 'migrate';
SELECT to_regclass('one') IS NOT NULL AS user_table_kept;
CREATE EXTENSION migrate_ext SCHEMA public;
CREATE EXTENSION migrate_ext;
SELECT count(*) AS revisions_after_reinstall FROM migrate.revisions;
