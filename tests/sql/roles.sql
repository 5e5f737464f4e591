-- Roles and security: the non-superuser owner of a database installs the
-- extension itself (it is trusted), runs migrations, and hands out read,
-- author or run access with one call each. DDL always runs with the
-- caller's own rights. A role without rights gets a clean 42501 and
-- changes nothing.
CREATE ROLE roles_owner LOGIN;
CREATE ROLE roles_reader LOGIN;
CREATE ROLE roles_author LOGIN;
CREATE ROLE roles_runner LOGIN;
CREATE ROLE roles_nobody LOGIN;
CREATE DATABASE roles OWNER roles_owner;
\c roles roles_owner
\set SHOW_CONTEXT never
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
CREATE EXTENSION migrate_ext;
SELECT extowner::regrole AS extension_owner FROM pg_extension WHERE extname = 'migrate_ext';
\i tests/helpers/report.sql
GRANT EXECUTE ON FUNCTION report(text) TO PUBLIC;

-- the owner stores and runs revisions
SELECT migrate.revision('accounts', '[{"op": "create_table", "name": "accounts",
  "columns": [{"name": "id", "type": "int", "nullable": false}], "primary_key": ["id"]}]', id => 'a1');
SELECT migrate.upgrade('head');

-- one call per role; access is read, author or run
SELECT migrate.grant_usage('roles_reader', 'read');
SELECT migrate.grant_usage('roles_author', 'author');
SELECT migrate.grant_usage('roles_runner');
-- DDL runs with the runner's own rights: it needs them on the schema too
GRANT CREATE ON SCHEMA public TO roles_runner;
SELECT * FROM report($$SELECT migrate.grant_usage('roles_nobody', 'admin')$$);

-- a reader sees history and refuses to write, cleanly
\c roles roles_reader
\set SHOW_CONTEXT never
SELECT id, applied FROM migrate.history();
SELECT * FROM migrate.current();
SELECT * FROM migrate.verify();
SELECT * FROM report($$SELECT migrate.revision('more', id => 'r1')$$);
SELECT * FROM report($$SELECT migrate.downgrade('base')$$);
SELECT * FROM report($$INSERT INTO migrate.revisions (id, upgrade) VALUES ('r1', '[]')$$);

-- an author stores revisions, but does not run them
\c roles roles_author
\set SHOW_CONTEXT never
SELECT migrate.revision('check', '[{"op": "execute", "sql": "SELECT 1"}]', '[]', id => 'b2');
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
SELECT * FROM report($$UPDATE migrate.version SET version_num = 'b2'$$);

-- a runner upgrades and downgrades, with its own rights: what it creates
-- is its own, and it cannot change the owner's table
\c roles roles_runner
\set SHOW_CONTEXT never
SELECT migrate.upgrade('head');
SELECT migrate.revision('audit', '[{"op": "create_table", "name": "audit",
  "columns": [{"name": "at", "type": "timestamptz"}]}]', id => 'c3');
SELECT migrate.upgrade('head');
SELECT tableowner FROM pg_tables WHERE tablename = 'audit';
SELECT migrate.revision('balance', '[{"op": "add_column", "table": "accounts",
  "column": {"name": "balance", "type": "numeric", "server_default": 0}}]', id => 'd4');
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
SELECT * FROM migrate.current();
SELECT migrate.downgrade('a1');

-- a role without access: 42501 for everything, and nothing changes
\c roles roles_nobody
\set SHOW_CONTEXT never
SELECT * FROM report($$SELECT migrate.upgrade('head')$$);
SELECT * FROM report($$SELECT * FROM migrate.history()$$);
SELECT * FROM report($$SELECT migrate.revision('x')$$);

\c roles roles_owner
SELECT id, applied FROM migrate.history();
SELECT * FROM migrate.current();
SELECT revision, direction, role FROM migrate.log ORDER BY id;

-- revoke_usage takes it all back
SELECT migrate.revoke_usage('roles_reader');
\c roles roles_reader
\set SHOW_CONTEXT never
SELECT * FROM report($$SELECT * FROM migrate.current()$$);
\c roles postgres
