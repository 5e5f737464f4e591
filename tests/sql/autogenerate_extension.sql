-- requires extension: citext
-- (scripts/test.sh runs this story only where the server has it: the
-- PostgreSQL 16 install it tests ships no contrib modules)
-- An extension's objects belong to the extension, not to the schema: they
-- are not compared, and the desired schema may use them.
CREATE DATABASE autogenerate_extension;
\c autogenerate_extension
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
CREATE SCHEMA people;
CREATE EXTENSION citext SCHEMA people;
SELECT jsonb_pretty(migrate.diff($$
    CREATE TABLE person (id int PRIMARY KEY, email citext NOT NULL UNIQUE);
$$, 'people'));

-- ... but still not the schema's own objects: the desired schema must
-- define what it uses
CREATE TYPE people.mood AS ENUM ('ok');
SELECT migrate.diff('CREATE TABLE person (id int PRIMARY KEY, m mood)', 'people');
DROP TYPE people.mood;
CREATE FUNCTION people.answer() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 42';
SELECT migrate.diff('CREATE TABLE person (id int PRIMARY KEY DEFAULT answer())', 'people');
DROP FUNCTION people.answer();

-- A whole `pg_dump -s -n people` names the extension and writes each of
-- its objects with the schema (people.citext). CREATE EXTENSION and
-- COMMENT ON EXTENSION of an installed extension are ignored; while the
-- desired schema is evaluated, the extension follows the schema's name,
-- so the qualified names are found.
SELECT migrate.autogenerate('people', $$
    CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA people;
    COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';
    CREATE TABLE people.person (id integer NOT NULL, email people.citext NOT NULL);
    ALTER TABLE ONLY people.person ADD CONSTRAINT person_pkey PRIMARY KEY (id);
$$, 'people', 'p1');
SELECT migrate.upgrade('head');
SELECT migrate.check($$
    CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA people;
    CREATE TABLE people.person (id integer NOT NULL, email people.citext NOT NULL);
    ALTER TABLE ONLY people.person ADD CONSTRAINT person_pkey PRIMARY KEY (id);
$$, 'people');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'people.person'::regclass AND attname = 'email';

-- Autogenerate does not install extensions: one that is not installed is
-- refused, naming it, with 42704 (undefined_object)
DO $do$
BEGIN
    PERFORM migrate.diff($$
        CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA people;
        CREATE TABLE people.person (id integer PRIMARY KEY, tags people.hstore);
    $$, 'people');
EXCEPTION WHEN undefined_object THEN
    RAISE NOTICE '% %', SQLSTATE, SQLERRM;
END
$do$;
