-- current, heads, history and the log.
CREATE DATABASE history;
\c history
CREATE EXTENSION migrate_ext;

SELECT * FROM migrate.history();
SELECT migrate.revision('create account table', '[{"op": "execute", "sql": "CREATE TABLE account (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE account"}]', id => '1975ea83b712');
SELECT migrate.revision('add a column', '[{"op": "add_column", "table": "account", "column": {"name": "last_login", "type": "timestamp"}}]',
                        id => 'ae1027a6acf');
SELECT migrate.revision('empty', id => '27c6a30d7c24');
SELECT migrate.upgrade('ae1027');

-- newest first; applied_at only for applied revisions
SELECT id, down_revision, message, applied, is_head, applied_at IS NOT NULL AS has_applied_at
  FROM migrate.history();
SELECT * FROM migrate.current();
SELECT * FROM migrate.heads();

-- the log: one row per step, with its SQL, role and times
SELECT id, revision, direction, role = current_user AS by_me, finished_at >= started_at AS ordered, statements
  FROM migrate.log ORDER BY id;
SELECT migrate.downgrade(-1);
SELECT revision, direction, statements FROM migrate.log ORDER BY id DESC LIMIT 1;
SELECT id, applied FROM migrate.history();
