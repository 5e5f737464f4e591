-- Type names are checked by PostgreSQL's own parser just before an op runs
-- (src/compat.rs gives every version 15's parseTypeString): what does not
-- parse, a shell type and a missing type are refused the same way on 15, 16
-- and 18, and a type that exists passes.
CREATE DATABASE type_names;
\c type_names
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
CREATE TYPE myshell;
CREATE TYPE "MyEnum" AS ENUM ('a');
CREATE TABLE t (id int);
SELECT migrate.revision('r' || n, format('[{"op": "add_column", "table": "t", "column": {"name": "c%s", "type": %s}}]',
                                         n, to_json(ty))::jsonb,
                        id => 'r' || n, down_revision => 'base')
  FROM unnest(ARRAY['myshell', 'nosuch', 'MyEnum', 'nosuch.x', 'setof int', 'a.b.c.d', 'int int',
                    'varchar(20)[]', '"MyEnum"'])
       WITH ORDINALITY u(ty, n);
SELECT migrate.upgrade('r1');
SELECT migrate.upgrade('r2');
SELECT migrate.upgrade('r3');
SELECT migrate.upgrade('r4');
SELECT migrate.upgrade('r5');
SELECT migrate.upgrade('r6');
SELECT migrate.upgrade('r7');
SELECT migrate.upgrade('r8');
SELECT migrate.upgrade('r9');
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum;
