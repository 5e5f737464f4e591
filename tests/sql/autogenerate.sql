-- Autogenerate: describe how a schema should look, in plain DDL, and let
-- the engine write the revision (alembic revision --autogenerate).
CREATE DATABASE autogenerate;
\c autogenerate
CREATE EXTENSION migrate_ext;
-- the test helpers live in a schema of their own, out of the way
CREATE SCHEMA helpers;
SET search_path = helpers;
\i tests/helpers/snapshot.sql
SET search_path = public, helpers;
\set SHOW_CONTEXT never

-- the database as the guide's story begins
CREATE TABLE my_table (id integer PRIMARY KEY);
SELECT snapshot() AS start \gset

-- migrate.diff: the ops alone, nothing stored. The type comes before the
-- column that uses it; names are schema-qualified so that the ops run
-- whatever the search_path.
-- the desired schema of the guide's example, kept in a psql variable
SELECT $$
    CREATE TYPE my_enum_type AS ENUM ('option1', 'option2', 'option3');
    CREATE TABLE my_table (
        id integer PRIMARY KEY,
        my_enum_column my_enum_type NOT NULL DEFAULT 'option1'
    );
$$ AS guide \gset
SELECT jsonb_pretty(migrate.diff(:'guide'));
SELECT count(*) AS stored FROM migrate.revisions;

-- migrate.check: silent when the schema matches ...
SELECT migrate.check('CREATE TABLE my_table (id integer PRIMARY KEY)');
-- ... and an error listing the differences when it does not
SELECT migrate.check(:'guide');

-- migrate.autogenerate stores the revision: upgrade and downgrade (the id
-- is optional; one is made up when it is left out)
SELECT migrate.autogenerate('add my_enum_column', :'guide', id => 'ag1') AS rev1 \gset
SELECT message, down_revision, applied FROM migrate.history();
-- show marks the ops that lose data as destructive
SELECT o->>'op' AS op, o->>'destructive' AS destructive
  FROM jsonb_array_elements(migrate.show(:'rev1')->'downgrade') AS d(o);
SELECT jsonb_array_elements_text(migrate.show(:'rev1')->'upgrade_sql') AS upgrade_sql;

-- the live schema has not changed yet; upgrading applies the revision
SELECT snapshot() = :'start' AS unchanged;
SELECT migrate.upgrade('head');
\d my_table
SELECT migrate.check(:'guide');
-- nothing differs any more: NULL, and nothing is stored
SELECT migrate.autogenerate('again', :'guide') IS NULL AS nothing_to_do;
SELECT count(*) AS stored FROM migrate.revisions;

-- a rename cannot be told from drop + add: both are generated, and the
-- drop is marked destructive
SELECT migrate.autogenerate('rename the column', $$
    CREATE TYPE my_enum_type AS ENUM ('option1', 'option2', 'option3');
    CREATE TABLE my_table (id integer PRIMARY KEY,
                           choice my_enum_type NOT NULL DEFAULT 'option1');
$$, id => 'ag2') AS rev2 \gset
SELECT o->>'op' AS op, coalesce(o->'column'->>'name', o->>'column') AS "column",
       coalesce(o->>'destructive', 'false') AS destructive
  FROM jsonb_array_elements(migrate.show(:'rev2')->'upgrade') AS u(o);

-- like Alembic, autogenerate refuses when the database is not at head
SELECT migrate.autogenerate('too early', 'CREATE TABLE my_table (id integer PRIMARY KEY)');
-- (when nothing differs from the live schema there is nothing to refuse:
-- NULL, whatever the version)
SELECT migrate.autogenerate('same', :'guide') IS NULL AS nothing_to_do;
SELECT migrate.upgrade('head');

-- the downgrades restore the original catalog
SELECT migrate.downgrade('base');
SELECT snapshot() = :'start' AS restored;
SELECT migrate.upgrade('head');

-- enum values: each added value is an add_enum_value op, placed where the
-- desired schema has it (ALTER TYPE ... ADD VALUE, catalog-only); one
-- removed value is a drop_enum_value; anything else (several removed,
-- reordered) is one set_enum_values. Removals swap the type, and refuse
-- while rows hold the value.
SELECT jsonb_pretty(migrate.diff($$
    CREATE TYPE my_enum_type AS ENUM ('option1', 'option1b', 'option2', 'option3', 'option4');
    CREATE TABLE my_table (id integer PRIMARY KEY,
                           choice my_enum_type NOT NULL DEFAULT 'option1');
$$));

SELECT o->>'op' AS op, o->>'values' AS "values"
  FROM jsonb_array_elements(migrate.diff($$
    CREATE TYPE my_enum_type AS ENUM ('option3', 'option1');
    CREATE TABLE my_table (id integer PRIMARY KEY,
                           choice my_enum_type NOT NULL DEFAULT 'option1');
$$)) AS d(o);

-- objects the differ does not understand (range types, rules,
-- policies...) are named in a NOTICE, on either side, never silently
-- ignored
CREATE TYPE numspan AS RANGE (subtype = numeric);
SELECT migrate.diff($$
    CREATE TYPE my_enum_type AS ENUM ('option1', 'option2', 'option3');
    CREATE TABLE my_table (id integer PRIMARY KEY,
                           choice my_enum_type NOT NULL DEFAULT 'option1');
    CREATE TYPE span AS RANGE (subtype = integer);
$$);
DROP TYPE numspan;

-- another schema, not on the search_path: ops name it, so they run anyway
CREATE SCHEMA billing;
SELECT $$
    CREATE TYPE currency AS ENUM ('EUR', 'USD');
    CREATE TABLE invoice (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        amount numeric(12,2) NOT NULL CHECK (amount >= 0),
        currency currency NOT NULL DEFAULT 'EUR'
    );
    CREATE TABLE line (
        invoice_id bigint NOT NULL REFERENCES invoice ON DELETE CASCADE,
        n int NOT NULL,
        PRIMARY KEY (invoice_id, n)
    );
$$ AS billing \gset
SELECT migrate.autogenerate('billing', :'billing', 'billing', id => 'ag3') AS rev3 \gset
SHOW search_path;
SELECT migrate.upgrade('head');
\d billing.line
SELECT migrate.check(:'billing', 'billing');

-- the offline script of an autogenerated revision is plain SQL
SELECT * FROM migrate.sql(:'rev3', :'rev2');

-- (an extension in the described schema: see autogenerate_extension)
-- more objects the differ does not compare, each named
CREATE SCHEMA people;
CREATE TABLE people.parent (id int);
CREATE TABLE people.child (extra int) INHERITS (people.parent);
CREATE UNLOGGED TABLE people.cache (k text);
ALTER TABLE people.parent ENABLE ROW LEVEL SECURITY;
CREATE TYPE people.level AS ENUM ('low', 'high');
COMMENT ON TYPE people.level IS 'how much';
CREATE INDEX parent_id ON people.parent (id);
COMMENT ON INDEX people.parent_id IS 'by id';
SELECT jsonb_array_elements_text(migrate.model('people')->'other') AS other;
DROP TABLE people.child, people.parent, people.cache;
DROP TYPE people.level;

-- odd names survive: a schema, types, tables, columns and values that
-- need quotes
CREATE SCHEMA "Odd Schema";
SELECT $$
  CREATE TYPE "Mood" AS ENUM ('Sad', 'it''s ok');
  CREATE TABLE "Order Items" ("Id" serial PRIMARY KEY, "M" "Mood" DEFAULT 'it''s ok',
                              parent int REFERENCES "Order Items");
  CREATE INDEX "by M" ON "Order Items" ("M") WHERE "M" <> 'Sad';
$$ AS odd \gset
SELECT migrate.autogenerate('odd names', :'odd', 'Odd Schema', id => 'ag4');
SELECT migrate.upgrade('head');
\d "Odd Schema"."Order Items"
SELECT migrate.check(:'odd', 'Odd Schema');
SELECT migrate.downgrade('-1');
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'Odd Schema';
SELECT migrate.upgrade('head');

-- evaluating a desired schema leaves no trace: no scratch schema, the
-- search_path as it was, and it works inside a transaction and inside an
-- exception block
BEGIN;
SELECT jsonb_array_length(migrate.diff('CREATE TABLE scratch_only (id int)', 'billing')) AS ops;
CREATE TABLE billing.after_diff (id int);
ROLLBACK;
DO $$
BEGIN
    PERFORM migrate.diff('CREATE TABLE t (id int); CREATE TABLE t (id int)');
EXCEPTION WHEN duplicate_table THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END
$$;
SELECT count(*) AS scratch_schemas FROM pg_namespace WHERE nspname LIKE 'migrate_live%';
SHOW search_path;
SELECT count(*) AS revisions, count(*) FILTER (WHERE applied) AS applied FROM migrate.history();
