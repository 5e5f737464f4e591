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
