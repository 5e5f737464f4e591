-- add_column: any PostgreSQL type (checked before use), defaults as
-- literals or SQL expressions, NOT NULL; drop_column is its inverse.
CREATE DATABASE add_column;
\c add_column
CREATE EXTENSION migrate_ext;
CREATE TABLE t (id int);
INSERT INTO t VALUES (1);

SELECT migrate.revision('columns', $$[
  {"op": "add_column", "table": "t", "column": {"name": "n", "type": "int", "server_default": 42, "nullable": false}},
  {"op": "add_column", "table": "t", "column": {"name": "ratio", "type": "numeric(5,2)", "server_default": 1.5}},
  {"op": "add_column", "table": "t", "column": {"name": "flag", "type": "boolean", "server_default": true}},
  {"op": "add_column", "table": "t", "column": {"name": "name", "type": "varchar(20)", "server_default": "it's"}},
  {"op": "add_column", "table": "t", "column": {"name": "tags", "type": "text[]", "server_default": "{a,b}"}},
  {"op": "add_column", "table": "t", "column": {"name": "at", "type": "timestamp with time zone", "server_default": {"sql": "now()"}}},
  {"op": "add_column", "table": "t", "column": {"name": "plain", "type": "text"}},
  {"op": "add_column", "table": "t", "column": {"name": "big", "type": "numeric", "server_default": 123456789012345678901234567890.50}}
]$$, id => 'c1');
SELECT migrate.upgrade();
SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid)
  FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum;
SELECT id, n, ratio, flag, name, tags, at IS NOT NULL AS has_at, plain, big FROM t;
-- the log shows the SQL that ran, the type as written
SELECT unnest(statements) FROM migrate.log WHERE revision = 'c1';

-- a type is written as in SQL: unquoted names fold to lower case, so a
-- mixed-case enum made by create_enum is written quoted (the hint says so)
SELECT migrate.revision('mixed case enum', '[
  {"op": "create_enum", "name": "Status", "values": ["On", "Off"]},
  {"op": "add_column", "table": "t", "column": {"name": "status", "type": "Status", "server_default": "On"}}
]', id => 'c2');
SELECT migrate.upgrade();
UPDATE migrate.revisions SET upgrade = '[
  {"op": "create_enum", "name": "Status", "values": ["On", "Off"]},
  {"op": "add_column", "table": "t", "column": {"name": "status", "type": "\"Status\"", "server_default": "On"}},
  {"op": "add_column", "table": "t", "column": {"name": "history", "type": "\"Status\"[]"}}
]' WHERE id = 'c2';
SELECT migrate.upgrade();
SELECT status, history FROM t;
SELECT unnest(statements) FROM migrate.log WHERE revision = 'c2';

-- a type is one type name, nothing else: refused when stored
SELECT migrate.revision('not a type', '[{"op": "add_column", "table": "t", "column": {"name": "x", "type": "int --"}}]', id => 'c5');
SELECT migrate.revision('not a type', '[{"op": "add_column", "table": "t", "column": {"name": "x", "type": "int DEFAULT ''1''"}}]', id => 'c5');
-- or when run, by PostgreSQL's own type-name parser
SELECT migrate.revision('not a type', '[{"op": "add_column", "table": "t", "column": {"name": "x", "type": "int DEFAULT 1"}}]', id => 'c5');
SELECT migrate.upgrade();
DELETE FROM migrate.revisions WHERE id = 'c5';

-- an unknown type is refused before anything runs
SELECT migrate.revision('bad type', '[{"op": "add_column", "table": "t", "column": {"name": "x", "type": "no_such_type"}}]', id => 'c3');
SELECT migrate.upgrade();
DELETE FROM migrate.revisions WHERE id = 'c3';

-- NOT NULL without a default on a table with rows: PostgreSQL's own error
SELECT migrate.revision('not null', '[{"op": "add_column", "table": "t", "column": {"name": "x", "type": "int", "nullable": false}}]', id => 'c4');
SELECT migrate.upgrade();
DELETE FROM migrate.revisions WHERE id = 'c4';

-- downgrade drops the columns again, enum type last
SELECT migrate.downgrade('base');
SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT to_regtype('"Status"') AS type_left;
