#!/usr/bin/env bash
# An enum type swap loses nothing pg_dump sees: a drop_enum_value followed
# by adding the value back (its downgrade) leaves `pg_dump --schema-only`
# identical, on a schema with what the swap carries over (an enum[]
# default, a commented CHECK and partial index, a foreign key between enum
# columns, a partitioned table with a CHECK, a foreign key and a partial
# index on the parent, a sub-partition, a partition's index named by hand
# and attached to the parent's, a type with another owner, a revoked PUBLIC
# usage, a grant with grant option and a comment). Uses the cluster in
# PGHOST/PGPORT, and pg_dump from PG_BIN (or the first on the PATH).
set -euo pipefail
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
DB=enum_swap_dump_$$
OWNER=enum_swap_dump_owner_$$
READER=enum_swap_dump_reader_$$
PG_DUMP=${PG_BIN:+$PG_BIN/}pg_dump
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP ROLE IF EXISTS $OWNER" -c "DROP ROLE IF EXISTS $READER" >/dev/null 2>&1 || true' EXIT
psql -X -q -d postgres -c "CREATE DATABASE $DB" -c "CREATE ROLE $OWNER" -c "CREATE ROLE $READER"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL
CREATE EXTENSION migrate_ext;
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
ALTER TYPE mood OWNER TO $OWNER;
REVOKE USAGE ON TYPE mood FROM PUBLIC;
GRANT USAGE ON TYPE mood TO $READER WITH GRANT OPTION;
COMMENT ON TYPE mood IS 'how it feels';
CREATE TABLE diary (id int PRIMARY KEY, m mood CONSTRAINT diary_not_sad CHECK (m <> 'sad'), ms mood[] DEFAULT '{happy,sad}');
COMMENT ON CONSTRAINT diary_not_sad ON diary IS 'stay positive';
CREATE INDEX diary_happy ON diary (id) WHERE m = 'happy';
COMMENT ON INDEX diary_happy IS 'the good days';
CREATE TABLE mood_info (m mood PRIMARY KEY);
CREATE TABLE entry (id int, m mood REFERENCES mood_info ON UPDATE CASCADE, CONSTRAINT entry_not_sad CHECK (m <> 'sad'))
    PARTITION BY LIST (id);
CREATE TABLE entry_1 PARTITION OF entry FOR VALUES IN (1);
CREATE TABLE entry_2 PARTITION OF entry FOR VALUES IN (2) PARTITION BY RANGE (id);
CREATE TABLE entry_2a PARTITION OF entry_2 FOR VALUES FROM (0) TO (10);
CREATE INDEX entry_1_own_name ON entry_1 (id) WHERE m = 'happy';
COMMENT ON INDEX entry_1_own_name IS 'named by hand';
CREATE INDEX entry_happy ON entry (id) WHERE m = 'happy';
SELECT migrate.revision('drop meh', '[{"op": "drop_enum_value", "name": "mood", "value": "meh"}]',
  '[{"op": "add_enum_value", "name": "mood", "value": "meh", "after": "sad"}]', id => 'x1');
SQL
# pg_dump 15.14+ writes a random \restrict key: leave those lines out
dump() { "$PG_DUMP" --schema-only -d "$DB" | grep -v '^\\\(un\)\?restrict '; }
dump > "$WORK/before.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "SELECT migrate.upgrade()" -c "SELECT migrate.downgrade('base')" >/dev/null 2>&1
dump > "$WORK/after.sql"
if diff -u "$WORK/before.sql" "$WORK/after.sql"; then
    echo "ok: the schema dump is identical after drop_enum_value and its downgrade"
else
    echo "FAILED: the schema dump differs (above)"
    exit 1
fi
