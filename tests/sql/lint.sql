-- migrate.lint(target): warnings, with stable codes, about what the steps
-- of a run to target would do now to busy tables: locks that block reads
-- or writes, scans and rewrites under them. It plans as migrate.sql() does,
-- reads the tables' sizes from the catalog, runs nothing, and needs only
-- read access (it works in a read-only transaction and on a standby).
CREATE DATABASE lint;
\c lint
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
-- orders (20,000 rows) lives in the schema shop, found through the
-- search_path as the ops' SQL finds it; customer has 100 rows; audit none
CREATE SCHEMA shop;
SET search_path = shop, public;
CREATE TABLE customer (id int PRIMARY KEY, name text);
INSERT INTO customer SELECT g, 'customer ' || g FROM generate_series(1, 100) g;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, note varchar(20), amount numeric(10,2),
                     legacy text, code text);
INSERT INTO orders SELECT g, g % 100 + 1, 'order ' || g, g, 'x', 'c' FROM generate_series(1, 20000) g;
CREATE TABLE public.audit (id int, at timestamptz);
CREATE TABLE public."Odd ""Name""" (id int, "Odd Col" text);
INSERT INTO public."Odd ""Name""" VALUES (1, 'x');
ANALYZE customer, orders, audit, public."Odd ""Name""";
SELECT c.oid::regclass AS "table", c.reltuples AS rows
  FROM pg_class c WHERE c.oid IN ('customer'::regclass, 'orders'::regclass, 'audit'::regclass,
                                  'public."Odd ""Name"""'::regclass) ORDER BY 1;

-- Every rule, on the unsafe form of each change (one revision, never run).
SELECT migrate.revision('unsafe', $$[
  {"op": "add_constraint", "table": "orders", "name": "orders_customer_fk", "kind": "foreign_key",
   "columns": ["customer_id"], "references": {"table": "customer", "columns": ["id"]}},
  {"op": "add_constraint", "table": "orders", "name": "orders_amount_check", "kind": "check",
   "expression": "amount > 0"},
  {"op": "alter_column", "table": "orders", "column": "note", "nullable": false},
  {"op": "alter_column", "schema": "shop", "table": "orders", "column": "amount", "type": "bigint"},
  {"op": "create_index", "name": "orders_note_idx", "table": "orders", "columns": ["note"]},
  {"op": "add_column", "table": "orders", "column": {"name": "token", "type": "uuid",
   "server_default": {"sql": "gen_random_uuid()"}}},
  {"op": "drop_column", "table": "orders", "column": "legacy"},
  {"op": "add_constraint", "table": "orders", "name": "orders_id_note_key", "kind": "unique", "columns": ["id", "note"]},
  {"op": "rename_column", "table": "Odd \"Name\"", "column": "Odd Col", "new_name": "odd"},
  {"op": "execute", "sql": "UPDATE audit SET at = now()"}
]$$, '[]', id => 'unsafe');
SELECT revision, op, kind, code, severity FROM migrate.lint('unsafe');
\x on
SELECT * FROM migrate.lint('unsafe') WHERE code IN ('ML001', 'ML003', 'ML008');
\x off
SELECT op, code, message FROM migrate.lint('unsafe') ORDER BY op, code;
SELECT code, fix FROM migrate.lint('unsafe') ORDER BY op, code;
DELETE FROM migrate.revisions WHERE id = 'unsafe';

-- On small or empty tables the same changes scan little: no warning for
-- them (ML008 still sees two tables locked). A table renamed in the call
-- keeps its size (ML005); renames and drops of tables made in the same
-- call are nobody else's.
SELECT migrate.revision('small', $$[
  {"op": "create_index", "name": "customer_name_idx", "table": "customer", "columns": ["name"]},
  {"op": "add_constraint", "table": "audit", "name": "audit_id_check", "kind": "check", "expression": "id > 0"},
  {"op": "alter_column", "table": "audit", "column": "id", "nullable": false, "type": "bigint"},
  {"op": "create_table", "name": "scratch", "columns": [{"name": "id", "type": "int"}]},
  {"op": "rename_table", "name": "scratch", "new_name": "scratch2"},
  {"op": "drop_table", "name": "scratch2"},
  {"op": "rename_table", "name": "orders", "new_name": "orders_v2"},
  {"op": "create_index", "name": "orders_v2_note_idx", "table": "orders_v2", "columns": ["note"]}
]$$, '[]', id => 'small');
SELECT op, kind, code, message FROM migrate.lint('small');
DELETE FROM migrate.revisions WHERE id = 'small';

-- An index on the big table built concurrently, in a revision of its own:
-- no ML005 (the lock is SHARE UPDATE EXCLUSIVE; writes go on)
SELECT migrate.revision('concurrent index', $$[
  {"op": "create_index", "name": "orders_note_idx", "table": "orders", "columns": ["note"], "concurrently": true}
]$$, id => 'concurrent');
SELECT count(*) AS warnings FROM migrate.lint('concurrent');
DELETE FROM migrate.revisions WHERE id = 'concurrent';

-- The safe forms, in three revisions: constraints added NOT VALID (a check
-- that proves note is not null among them), validated in the next
-- revision, then SET NOT NULL, which a validated check lets skip its scan;
-- widening a varchar and a numeric (no rewrite); a default that is stable
-- (now()) or constant; an index on a small table.
SELECT migrate.revision('safe: add NOT VALID', $$[
  {"op": "add_constraint", "table": "orders", "name": "orders_customer_fk", "kind": "foreign_key",
   "columns": ["customer_id"], "references": {"table": "customer", "columns": ["id"]}, "not_valid": true},
  {"op": "add_constraint", "table": "orders", "name": "orders_amount_check", "kind": "check",
   "expression": "amount > 0", "not_valid": true},
  {"op": "add_constraint", "table": "orders", "name": "orders_note_not_null", "kind": "check",
   "expression": "note IS NOT NULL", "not_valid": true},
  {"op": "alter_column", "table": "orders", "column": "note", "type": "varchar(50)"},
  {"op": "alter_column", "table": "orders", "column": "amount", "type": "numeric(12,2)"},
  {"op": "add_column", "table": "orders", "column": {"name": "created", "type": "timestamptz",
   "server_default": {"sql": "now()"}}},
  {"op": "add_column", "table": "orders", "column": {"name": "status", "type": "text", "server_default": "new"}},
  {"op": "create_index", "name": "customer_name_idx", "table": "customer", "columns": ["name"]}
]$$, $$[
  {"op": "drop_index", "name": "customer_name_idx"},
  {"op": "drop_column", "table": "orders", "column": "status"},
  {"op": "drop_column", "table": "orders", "column": "created"},
  {"op": "alter_column", "table": "orders", "column": "amount", "type": "numeric(10,2)"},
  {"op": "alter_column", "table": "orders", "column": "note", "type": "varchar(20)"},
  {"op": "drop_constraint", "table": "orders", "name": "orders_note_not_null"},
  {"op": "drop_constraint", "table": "orders", "name": "orders_amount_check"},
  {"op": "drop_constraint", "table": "orders", "name": "orders_customer_fk"}
]$$, id => 's1');
SELECT migrate.revision('safe: validate', $$[
  {"op": "validate_constraint", "table": "orders", "name": "orders_customer_fk"},
  {"op": "validate_constraint", "table": "orders", "name": "orders_amount_check"},
  {"op": "validate_constraint", "table": "orders", "name": "orders_note_not_null"}
]$$, id => 's2');
SELECT migrate.revision('safe: set not null', $$[
  {"op": "alter_column", "table": "orders", "column": "note", "nullable": false}
]$$, '[{"op": "alter_column", "table": "orders", "column": "note", "nullable": true}]', id => 's3');

-- all three in one call are one transaction: the locks the adds took are
-- still held while VALIDATE scans (ML010)
SELECT revision, op, code, message FROM migrate.lint();
SELECT DISTINCT fix FROM migrate.lint() WHERE code = 'ML010';
-- one call per revision: nothing to say
SELECT count(*) AS warnings FROM migrate.lint('s1');
SELECT migrate.upgrade('s1');
SELECT count(*) AS warnings FROM migrate.lint('s2');
SELECT migrate.upgrade('s2');
SELECT count(*) AS warnings FROM migrate.lint('s3');
-- from s1, s2 and s3 in one call are safe too: the check that s2
-- validates (added by an earlier call) proves note is not null for s3
SELECT migrate.downgrade('s1');
SELECT count(*) AS warnings FROM migrate.lint('head');
SELECT migrate.upgrade('head');
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype IN ('c', 'f')
 ORDER BY 1;
SELECT attnotnull AS note_not_null FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note';
-- at head: nothing to do, nothing to say
SELECT count(*) AS warnings FROM migrate.lint();

-- a downgrade target lints the downgrade steps, as migrate.sql() plans them
SELECT revision, op, kind, code FROM migrate.lint('base');

-- under another search_path, "orders" is another table: public has none,
-- so the lint cannot size it (it may hold rows: ML003 still fires)
SELECT migrate.downgrade('s2');
SET search_path = public;
SELECT revision, op, code, message FROM migrate.lint('s3');
SET search_path = shop, public;

-- read access is enough, in a read-only transaction too
CREATE ROLE lint_reader;
SELECT migrate.grant_usage('lint_reader', 'read');
GRANT USAGE ON SCHEMA shop TO lint_reader;
SET ROLE lint_reader;
BEGIN READ ONLY;
SELECT revision, op, code FROM migrate.lint('base');
ROLLBACK;
RESET ROLE;
SELECT migrate.revoke_usage('lint_reader');
REVOKE USAGE ON SCHEMA shop FROM lint_reader;
DROP ROLE lint_reader;

-- targets are checked as everywhere
SELECT * FROM migrate.lint(NULL);
SELECT * FROM migrate.lint('nope');

\c postgres
DROP DATABASE lint;
