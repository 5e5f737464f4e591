-- The op catalog: every op whose inverse can be derived goes up and comes
-- back down leaving the catalog exactly as it was (compared with a
-- snapshot of types, columns, defaults, comments, constraints, indexes
-- and views).
CREATE DATABASE op_catalog;
\c op_catalog
CREATE EXTENSION migrate_ext;
\i tests/helpers/snapshot.sql
CREATE TABLE existing (id int PRIMARY KEY, note text DEFAULT 'x');
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TEMP TABLE before AS SELECT snapshot() AS s;

SELECT migrate.revision('the catalog', $$[
  {"op": "create_table", "name": "account", "columns": [
      {"name": "id", "type": "bigint", "nullable": false},
      {"name": "name", "type": "varchar(50)", "server_default": "n/a"},
      {"name": "mood", "type": "mood", "server_default": "ok"}],
   "primary_key": ["id"]},
  {"op": "create_table", "name": "payment", "columns": [
      {"name": "id", "type": "int", "nullable": false}, {"name": "account_id", "type": "bigint"},
      {"name": "amount", "type": "numeric(10,2)"}]},
  {"op": "add_constraint", "table": "payment", "name": "payment_pkey", "kind": "primary_key", "columns": ["id"]},
  {"op": "add_constraint", "table": "payment", "name": "payment_account_fk", "kind": "foreign_key",
   "columns": ["account_id"], "references": {"table": "account", "columns": ["id"]},
   "on_delete": "cascade", "on_update": "no action", "deferrable": true, "initially_deferred": true,
   "not_valid": true},
  {"op": "validate_constraint", "table": "payment", "name": "payment_account_fk"},
  {"op": "add_constraint", "table": "payment", "name": "payment_amount_check", "kind": "check", "expression": "amount > 0"},
  {"op": "add_constraint", "table": "account", "name": "account_name_key", "kind": "unique", "columns": ["name"]},
  {"op": "create_index", "name": "account_lower_name_idx", "table": "account", "expressions": ["lower(name)"]},
  {"op": "create_index", "name": "payment_big_idx", "table": "payment", "columns": ["amount"],
   "unique": false, "where": "amount > 1000", "method": "btree"},
  {"op": "add_column", "table": "existing", "column": {"name": "created", "type": "timestamptz", "server_default": {"sql": "now()"}}},
  {"op": "rename_column", "table": "existing", "column": "note", "new_name": "remark"},
  {"op": "rename_table", "name": "existing", "new_name": "legacy"},
  {"op": "rename_enum", "name": "mood", "new_name": "feeling"},
  {"op": "rename_enum_value", "name": "feeling", "value": "ok", "new_value": "fine"},
  {"op": "execute", "sql": "CREATE VIEW rich AS SELECT id FROM payment WHERE amount > 1000",
   "down": "DROP VIEW rich"}
]$$, id => 'up1');
SELECT migrate.upgrade();
SELECT snapshot();
SELECT unnest(statements) FROM migrate.log WHERE revision = 'up1';

-- the derived downgrade, in reverse order
SELECT jsonb_array_elements(migrate.show('up1')->'downgrade_sql') AS downgrade_sql;
SELECT migrate.downgrade('base');
SELECT snapshot() = (SELECT s FROM before) AS catalog_restored;

-- ops that cannot be inverted need an explicit downgrade (drop_table,
-- alter_column and the other ops that change or remove a definition are
-- undone by what the upgrade records: see recorded_downgrades)
SELECT migrate.revision('x', '[{"op": "bulk_insert", "table": "existing", "rows": [{"id": 9}]}]');
SELECT migrate.revision('x', '[{"op": "execute", "sql": "DELETE FROM existing"}]');

-- alter_column and bulk_insert, with an explicit downgrade
DELETE FROM migrate.revisions WHERE id = 'up1';
SELECT migrate.revision('alter and fill', $$[
  {"op": "alter_column", "table": "existing", "column": "note", "type": "varchar(20)", "using": "left(note, 20)",
   "nullable": false, "server_default": "none", "comment": "a short note"},
  {"op": "bulk_insert", "table": "existing", "rows": [{"id": 1, "note": "it's one"}, {"id": 2}]}
]$$, $$[
  {"op": "execute", "sql": "DELETE FROM existing WHERE id IN (1, 2)"},
  {"op": "alter_column", "table": "existing", "column": "note", "type": "text", "nullable": true,
   "server_default": "x", "comment": null}
]$$, id => 'up2');
SELECT migrate.upgrade();
SELECT * FROM existing ORDER BY id;
SELECT col_description('existing'::regclass, 2) AS comment;
SELECT migrate.downgrade('base');
SELECT snapshot() = (SELECT s FROM before) AS catalog_restored;

-- create_table if_not_exists leaves an existing table alone
SELECT migrate.revision('maybe', '[{"op": "create_table", "name": "existing", "if_not_exists": true,
    "columns": [{"name": "id", "type": "int"}]}]', '[]', id => 'maybe');
SELECT migrate.upgrade();

-- errors keep PostgreSQL's words and name the op
SELECT migrate.revision('bad fk', $$[{"op": "add_constraint", "table": "existing", "name": "fk", "kind": "foreign_key",
   "columns": ["id"], "references": {"table": "nowhere", "columns": ["id"]}}]$$, id => 'bad');
SELECT migrate.upgrade();

-- drops, and enum value changes, with explicit downgrades: the catalog
-- comes back exactly as well
DELETE FROM migrate.revisions WHERE id = 'bad';
SELECT migrate.downgrade('base');
CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE paint (id int PRIMARY KEY, color color DEFAULT 'red', code text);
ALTER TABLE paint ADD CONSTRAINT paint_code_check CHECK (code <> '');
CREATE INDEX paint_code_idx ON paint (code);
CREATE TABLE spare (id int);
DROP TABLE before;
CREATE TEMP TABLE before AS SELECT snapshot() AS s;
SELECT migrate.revision('drops', $$[
  {"op": "drop_index", "name": "paint_code_idx"},
  {"op": "drop_constraint", "table": "paint", "name": "paint_code_check"},
  {"op": "drop_column", "table": "paint", "column": "code"},
  {"op": "drop_table", "name": "spare"},
  {"op": "add_enum_value", "name": "color", "value": "blue"},
  {"op": "set_enum_values", "name": "color", "values": ["green", "blue", "red"]}
]$$, $$[
  {"op": "set_enum_values", "name": "color", "values": ["red", "green", "blue"]},
  {"op": "drop_enum_value", "name": "color", "value": "blue"},
  {"op": "create_table", "name": "spare", "columns": [{"name": "id", "type": "int"}]},
  {"op": "add_column", "table": "paint", "column": {"name": "code", "type": "text"}},
  {"op": "add_constraint", "table": "paint", "name": "paint_code_check", "kind": "check", "expression": "code <> ''"},
  {"op": "create_index", "name": "paint_code_idx", "table": "paint", "columns": ["code"]}
]$$, id => 'drops', down_revision => 'base');
SELECT migrate.upgrade('drops');
SELECT enum_range(NULL::color);
SELECT migrate.downgrade('base');
SELECT snapshot() = (SELECT s FROM before) AS catalog_restored;
