-- migrate.model(): the live schema as the JSON model the differ uses:
-- enums with ordered values, tables with columns (type, nullability,
-- default, comment), constraints and indexes; what the differ does not
-- understand is listed under "other", never silently ignored.
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
    id int PRIMARY KEY,
    account_id bigint REFERENCES app.account (id) ON DELETE CASCADE DEFERRABLE,
    amount numeric(10,2)
);
CREATE INDEX payment_big_idx ON app.payment (amount) WHERE amount > 1000;
CREATE INDEX account_lower_idx ON app.account (lower(name), id);
CREATE VIEW app.rich AS SELECT id FROM app.payment WHERE amount > 1000;
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);

SHOW search_path;
SELECT jsonb_pretty(migrate.model('app'));
-- the caller's search_path is left as it was
SHOW search_path;
-- an empty (or missing) schema is an empty model
SELECT migrate.model('nothing_here');
