-- migrate.model(): the live schema as the JSON model the differ uses:
-- enums with ordered values, tables with columns (type, nullability,
-- default, comment), constraints, indexes and partitioning; "objects"
-- (sequences, domains, functions, triggers, views...) by their
-- description, each with the SQL that creates it, drops it and (when
-- PostgreSQL can) replaces it in place, and the keys of what it depends
-- on; what the differ does not understand is listed under "other", never
-- silently ignored. Types and expressions are printed schema-qualified
-- (app.mood), so the ops made from a model run whatever the search_path.
CREATE DATABASE model;
\c model
CREATE EXTENSION migrate_ext;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE app.account (
    id bigint PRIMARY KEY,
    name varchar(50) NOT NULL DEFAULT 'n/a' UNIQUE,
    mood app.mood DEFAULT 'ok',
    CONSTRAINT account_name_check CHECK (name <> '')
);
COMMENT ON COLUMN app.account.name IS 'shown to people';
CREATE TABLE app.payment (
    id serial PRIMARY KEY,
    account_id bigint REFERENCES app.account (id) ON DELETE CASCADE DEFERRABLE,
    amount numeric(10,2)
);
CREATE INDEX payment_big_idx ON app.payment (amount) WHERE amount > 1000;
CREATE INDEX account_lower_idx ON app.account (lower(name), id);
-- more than create_index fields say: the definition is kept
CREATE INDEX payment_recent_idx ON app.payment (id DESC NULLS LAST);
COMMENT ON TABLE app.payment IS 'money in';
CREATE TABLE app.audit (
    n bigint GENERATED ALWAYS AS IDENTITY,
    amount_cents bigint GENERATED ALWAYS AS (n * 100) STORED
);
-- a table with no columns is still a table
CREATE TABLE app.marker ();
CREATE VIEW app.rich AS SELECT id FROM app.payment WHERE amount > 1000;
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);
CREATE TYPE app.span AS RANGE (subtype = integer);

SHOW search_path;
SELECT jsonb_pretty(migrate.model('app'));
-- the caller's search_path is left as it was
SHOW search_path;
-- an empty (or missing) schema is an empty model
SELECT migrate.model('nothing_here');
