-- Enum values: add, rename, drop, reorder. ADD VALUE and RENAME VALUE
-- are catalog-only and used whenever they suffice; removing or reordering
-- values swaps the type, carrying over columns, arrays, defaults, CHECK
-- constraints and partial indexes, and refuses what it cannot carry.
CREATE DATABASE enum_values;
\c enum_values
CREATE EXTENSION migrate_ext;
\i tests/helpers/snapshot.sql

CREATE TYPE status AS ENUM ('new', 'open', 'closed');
CREATE TABLE ticket (id int PRIMARY KEY, status status NOT NULL DEFAULT 'new', history status[]);
INSERT INTO ticket SELECT i, 'open', ARRAY['new', 'open']::status[] FROM generate_series(1, 100000) i;
CREATE TEMP TABLE before AS SELECT pg_relation_filenode('ticket') AS filenode;

-- add a value: ALTER TYPE ... ADD VALUE, no table rewrite
SELECT migrate.revision('add pending', '[{"op": "add_enum_value", "name": "status", "value": "pending", "after": "open"}]', id => 'e1');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT pg_relation_filenode('ticket') = (SELECT filenode FROM before) AS not_rewritten;
SELECT unnest(statements) FROM migrate.log WHERE revision = 'e1';
-- and its inverse, drop_enum_value, is derived
SELECT migrate.downgrade(-1);
SELECT enum_range(NULL::status);

-- rename a value: catalog-only too
UPDATE before SET filenode = pg_relation_filenode('ticket');
SELECT migrate.revision('rename closed', '[{"op": "rename_enum_value", "name": "status", "value": "closed", "new_value": "done"}]', id => 'e2');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT pg_relation_filenode('ticket') = (SELECT filenode FROM before) AS not_rewritten;

-- add a value and use it in the same call: the value is added by a swap,
-- so the later ops can use it at once (PostgreSQL forbids using a value
-- added by ADD VALUE before commit, SQLSTATE 55P04)
SELECT migrate.revision('add and use', '[
  {"op": "add_enum_value", "name": "status", "value": "blocked", "before": "done"},
  {"op": "alter_column", "table": "ticket", "column": "status", "server_default": "blocked"},
  {"op": "bulk_insert", "table": "ticket", "rows": [{"id": 0, "status": "blocked"}]},
  {"op": "execute", "sql": "UPDATE ticket SET status = ''blocked'' WHERE id = 1"}]',
  '[{"op": "execute", "sql": "DELETE FROM ticket WHERE id = 0; UPDATE ticket SET status = ''open'' WHERE id = 1"},
    {"op": "alter_column", "table": "ticket", "column": "status", "server_default": "new"},
    {"op": "drop_enum_value", "name": "status", "value": "blocked"}]', id => 'e3');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT status, count(*) FROM ticket GROUP BY 1 ORDER BY 1;
SELECT pg_get_expr(adbin, adrelid) AS default FROM pg_attrdef WHERE adrelid = 'ticket'::regclass;

-- the same holds for a type created in the same call (PostgreSQL 15
-- refuses new values before commit even then): the swap is cheap here
SELECT migrate.revision('new type', '[
  {"op": "create_enum", "name": "priority", "values": ["low", "high"]},
  {"op": "add_enum_value", "name": "priority", "value": "medium", "after": "low"},
  {"op": "add_column", "table": "ticket", "column": {"name": "priority", "type": "priority", "server_default": "medium"}}]',
  id => 'e4');
SELECT migrate.upgrade();
SELECT unnest(statements) FROM migrate.log WHERE revision = 'e4';

-- drop an unused value with arrays, defaults, a CHECK and a partial index
-- present: everything is carried over
ALTER TABLE ticket ADD CONSTRAINT ticket_not_new CHECK (status <> 'new' OR id < 0);
UPDATE ticket SET status = 'open' WHERE status = 'new';
CREATE INDEX ticket_open_idx ON ticket (id) WHERE status = 'open';
CREATE TEMP TABLE shape AS SELECT snapshot() AS s;
SELECT migrate.revision('drop pending', '[{"op": "drop_enum_value", "name": "status", "value": "pending"}]',
  '[{"op": "add_enum_value", "name": "status", "value": "pending", "after": "open"}]', id => 'e5');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT count(*) AS rows_kept FROM ticket;
-- the catalog differs only in the type's values
SELECT 'before' AS side, line FROM (SELECT regexp_split_to_table(s, E'\n') FROM shape
                                    EXCEPT SELECT regexp_split_to_table(snapshot(), E'\n')) x(line)
UNION ALL
SELECT 'after', line FROM (SELECT regexp_split_to_table(snapshot(), E'\n')
                           EXCEPT SELECT regexp_split_to_table(s, E'\n') FROM shape) y(line)
ORDER BY 1 DESC;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'ticket'::regclass AND contype = 'c';
SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_open_idx';

-- drop a value that rows still hold: refused, rows counted, columns named
SELECT migrate.revision('drop blocked', '[{"op": "drop_enum_value", "name": "status", "value": "blocked"}]', '[]', id => 'e6');
SELECT migrate.upgrade();
-- with replace_with, those rows get the replacement
UPDATE migrate.revisions SET upgrade = '[{"op": "drop_enum_value", "name": "status", "value": "blocked", "replace_with": "done"}]'
 WHERE id = 'e6';
UPDATE ticket SET history = ARRAY['blocked']::status[] WHERE id = 2;
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT status, count(*) FROM ticket GROUP BY 1 ORDER BY 1;
SELECT history FROM ticket WHERE id = 2;

-- reorder with set_enum_values: a swap; only adding: ADD VALUE
SELECT migrate.revision('reorder', '[{"op": "set_enum_values", "name": "status", "values": ["open", "new", "done"]}]', '[]', id => 'e7');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT migrate.revision('extend', '[{"op": "set_enum_values", "name": "status", "values": ["draft", "open", "new", "review", "done"]}]', '[]', id => 'e8');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
SELECT unnest(statements) FROM migrate.log WHERE revision = 'e8';

-- what the swap cannot carry over makes it refuse, listing it
CREATE VIEW open_tickets AS SELECT id, status FROM ticket WHERE status = 'open';
CREATE DOMAIN short_status AS status;
SELECT migrate.revision('drop review', '[{"op": "drop_enum_value", "name": "status", "value": "review"}]', '[]', id => 'e9');
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);

-- migrate.sql and migrate.show say which strategy runs, and what it rewrites
DROP VIEW open_tickets;
DROP DOMAIN short_status;
SELECT * FROM migrate.sql('head');
SELECT jsonb_array_elements_text(migrate.show('e1')->'upgrade_sql') AS e1_upgrade_sql;
SELECT migrate.upgrade();
SELECT enum_range(NULL::status);
