-- A failed run leaves nothing behind: no schema change, no version change,
-- no log entry. The error names the revision and the op and keeps
-- PostgreSQL's own SQLSTATE and message.
CREATE DATABASE atomicity;
\c atomicity
CREATE EXTENSION migrate_ext;
\i tests/helpers/sqlstate.sql

CREATE TABLE accounts (id int);
SELECT migrate.revision('base table', '[{"op": "execute", "sql": "CREATE TABLE ok (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE ok"}]', id => 'ok0001');
SELECT migrate.upgrade();

-- three revisions; the third one's second op fails
SELECT migrate.revision('status enum', '[{"op": "create_enum", "name": "status", "values": ["new", "old"]}]',
                        id => 'st0002');
SELECT migrate.revision('status column', '[{"op": "add_column", "table": "accounts",
                         "column": {"name": "status", "type": "status", "server_default": "new"}}]',
                        id => 'sc0003');
SELECT migrate.revision('broken', '[{"op": "add_column", "table": "accounts", "column": {"name": "note", "type": "text"}},
                                    {"op": "add_column", "table": "accounts", "column": {"name": "status", "type": "text"}}]',
                        id => 'br0004');

SELECT migrate.upgrade('head');
-- PostgreSQL's own SQLSTATE (42701 duplicate_column) is kept
SELECT sqlstate($$SELECT migrate.upgrade('head')$$);

-- nothing of the three stayed
SELECT to_regtype('status') AS status_type;
SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
 WHERE table_name = 'accounts';
SELECT * FROM migrate.current();
SELECT revision, direction FROM migrate.log ORDER BY id;

-- the same inside an explicit transaction: the caller sees the error and
-- rolls back; a savepoint lets the caller go on
BEGIN;
SAVEPOINT before_upgrade;
SELECT migrate.upgrade('head');
ROLLBACK TO before_upgrade;
SELECT * FROM migrate.current();
COMMIT;

-- once fixed, the same call goes through
UPDATE migrate.revisions SET upgrade = '[{"op": "add_column", "table": "accounts", "column": {"name": "note", "type": "text"}}]'
 WHERE id = 'br0004';
SELECT migrate.upgrade('head');
SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
 WHERE table_name = 'accounts';

-- a failing downgrade also leaves everything as it was
SELECT migrate.revision('undroppable', '[{"op": "execute", "sql": "CREATE VIEW v AS SELECT status FROM accounts"}]',
                        '[{"op": "execute", "sql": "DROP VIEW no_such_view"}]', id => 'ud0005');
SELECT migrate.upgrade();
SELECT migrate.downgrade('ok0001');
SELECT * FROM migrate.current();
SELECT count(*) AS views FROM pg_views WHERE viewname = 'v';
