-- Identifiers are always quoted: a table named like an injection is just
-- an odd name, and so are columns, types and schemas with quotes, spaces,
-- capitals and semicolons.
CREATE DATABASE odd_identifiers;
\c odd_identifiers
CREATE EXTENSION migrate_ext;

CREATE TABLE victim (id int);
CREATE SCHEMA "Odd Schema";
CREATE TABLE "x""; DROP TABLE victim; --" (id int);
CREATE TABLE "Odd Schema"."Mixed Case" (id int);

SELECT migrate.revision('odd names', $$[
  {"op": "create_enum", "schema": "Odd Schema", "name": "Mood; DROP TABLE victim", "values": ["it's", "back\\slash", "\"quoted\""]},
  {"op": "add_column", "table": "x\"; DROP TABLE victim; --",
   "column": {"name": "it's \"col\"", "type": "text", "server_default": "'); DROP TABLE victim; --"}},
  {"op": "add_column", "schema": "Odd Schema", "table": "Mixed Case",
   "column": {"name": "Mood", "type": "\"Odd Schema\".\"Mood; DROP TABLE victim\"", "server_default": "it's"}}
]$$, id => 'odd001');
SELECT migrate.upgrade();

-- victim is still there; the odd names exist exactly as written
SELECT to_regclass('victim') IS NOT NULL AS victim_alive;
SELECT enum_range(NULL::"Odd Schema"."Mood; DROP TABLE victim");
SELECT attname, format_type(atttypid, atttypmod), pg_get_expr(adbin, adrelid)
  FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid IN ('"x""; DROP TABLE victim; --"'::regclass, '"Odd Schema"."Mixed Case"'::regclass)
   AND attnum > 0 ORDER BY attrelid, attnum;
SELECT unnest(statements) FROM migrate.log;

-- and back
SELECT migrate.downgrade('base');
SELECT to_regtype('"Odd Schema"."Mood; DROP TABLE victim"') AS type_left;
SELECT to_regclass('victim') IS NOT NULL AS victim_alive;

-- a type name is checked as a type name, never run as SQL: comments,
-- quotes and semicolons are refused when the revision is stored...
SELECT migrate.revision('sneaky type', '[{"op": "add_column", "table": "victim",
  "column": {"name": "c", "type": "int; DROP TABLE victim"}}]', id => 'odd002');
-- ...and anything else that is not exactly one type name is refused by
-- PostgreSQL's own type-name parser before the op runs
SELECT migrate.revision('sneaky type 2', '[{"op": "add_column", "table": "victim",
  "column": {"name": "c", "type": "int) NOT NULL, ADD COLUMN d int"}}]', id => 'odd003');
SELECT migrate.upgrade('odd003');
SELECT to_regclass('victim') IS NOT NULL AS victim_alive;
SELECT string_agg(attname, ',') AS victim_columns FROM pg_attribute
 WHERE attrelid = 'victim'::regclass AND attnum > 0;
