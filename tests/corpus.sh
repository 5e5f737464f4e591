#!/usr/bin/env bash
# Autogenerate reaches a real schema exactly, and a second version of it
# and back, with rows intact. For each schema of tests/corpus (NAME.sql, a
# `pg_dump -s -n public` text; when there is one, NAME_v2.sql, changes
# applied to it to make version 2, and NAME_rows.sql, a few rows, which the
# rows compared below are written for: pagila; zync has a version 2 only):
#   1. a fresh database with migrate_ext: autogenerate('v1', NAME.sql),
#      upgrade('head'); its pg_dump -s equals that of a database NAME.sql
#      was loaded into; check() passes; a second autogenerate returns NULL;
#   2. rows go in; autogenerate('v2', dump of NAME.sql + NAME_v2.sql),
#      upgrade: pg_dump -s equals that of the version 2 database, rows kept;
#   3. downgrade to v1: pg_dump -s equals version 1's again, rows kept;
#   4. downgrade('base') leaves the schema empty.
# Uses the cluster in PGHOST/PGPORT, and pg_dump from PG_BIN (or the PATH).
set -euo pipefail
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
HERE=$(cd "$(dirname "$0")" && pwd)
PG_DUMP=${PG_BIN:+$PG_BIN/}pg_dump
DB=corpus_$$
REF1=corpus_ref1_$$
REF2=corpus_ref2_$$
trap 'for d in $DB $REF1 $REF2; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done' EXIT
# pg_dump 15.14+ writes a random \restrict key: leave those lines out
dump() { "$PG_DUMP" --schema-only -n public -d "$1" | grep -v '^\\\(un\)\?restrict '; }
# a pg_dump -n public text creates the schema a fresh database has already:
# that error, and no other, is expected when loading one
load() {
    psql -X -q -d "$1" -f "$2" >/dev/null 2>"$WORK/load.err" || true
    if grep -v 'schema "public" already exists' "$WORK/load.err" | grep -q ERROR; then
        cat "$WORK/load.err"; echo "FAILED: $2 does not load"; exit 1
    fi
}
same() {
    if diff -u "$1" "$2" > "$WORK/diff.txt"; then
        echo "ok: $3"
    else
        head -100 "$WORK/diff.txt"; echo "FAILED: $3 (pg_dump differs, above)"; exit 1
    fi
}
# autogenerate/check with a file's text as the desired schema
# (read by psql's \set: a dump is too long for one command-line argument)
run() {
    local out
    out=$(printf '\\set desired `cat %s`\n%s\n' "$1" "$2" |
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" 2>&1) || { echo "$out"; echo "FAILED: $2"; exit 1; } >&2
    echo "$out" | grep -v '^NOTICE:  ' || true
}
# the rows of every table (the columns both versions have), for comparing
rows() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
SELECT 'actor', count(*), string_agg(first_name || ' ' || last_name, ',' ORDER BY actor_id) FROM public.actor;
SELECT 'film', count(*), string_agg(title || ' ' || rental_rate || ' ' || rating, ',' ORDER BY film_id) FROM public.film;
SELECT 'customer', count(*), string_agg(first_name || ' ' || coalesce(email, '-'), ',' ORDER BY customer_id) FROM public.customer;
SELECT 'staff', count(*), string_agg(username, ',' ORDER BY staff_id) FROM public.staff;
SELECT 'rental', count(*), string_agg(rental_date::text, ',' ORDER BY rental_id) FROM public.rental;
SELECT 'payment', count(*), string_agg(amount || ' ' || payment_date || ' ' || tableoid::regclass, ',' ORDER BY payment_id) FROM public.payment;
SELECT 'address', count(*), string_agg(address || ' ' || coalesce(address2, '-'), ',' ORDER BY address_id) FROM public.address;
SELECT 'film_actor', count(*) FROM public.film_actor;
SELECT 'film_category', count(*) FROM public.film_category;
SQL
}

for v1 in "$HERE"/corpus/*.sql; do
    case "$v1" in *_v2.sql | *_rows.sql) continue ;; esac
    name=$(basename "$v1" .sql)
    v2=$HERE/corpus/${name}_v2.sql
    for d in $DB $REF1 $REF2; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"; done
    load "$REF1" "$v1"
    dump "$REF1" > "$WORK/$name.v1.sql"
    psql -X -q -d "$DB" -c "CREATE EXTENSION migrate_ext"
    run "$v1" "SELECT migrate.autogenerate('v1', :'desired', 'public', id => 'v1')" >/dev/null
    run "$v1" "SELECT migrate.upgrade('head')" >/dev/null
    dump "$DB" > "$WORK/$name.up1.sql"
    same "$WORK/$name.v1.sql" "$WORK/$name.up1.sql" "$name: autogenerate + upgrade reach the schema"
    run "$v1" "SELECT migrate.check(:'desired', 'public')" >/dev/null
    again=$(run "$v1" "SELECT migrate.autogenerate('again', :'desired', 'public') IS NULL")
    [ "$again" = t ] || { echo "FAILED: $name: a second autogenerate stored a revision"; exit 1; }
    echo "ok: $name: check passes and a second autogenerate returns NULL"
    if [ -f "$v2" ]; then
        load "$REF2" "$v1"
        psql -X -q -v ON_ERROR_STOP=1 -d "$REF2" -f "$v2" >/dev/null
        dump "$REF2" > "$WORK/$name.v2.sql"
        rows_file=$HERE/corpus/${name}_rows.sql
        [ -f "$rows_file" ] && psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$rows_file" >/dev/null
        [ ! -f "$rows_file" ] || rows > "$WORK/$name.rows1"
        run "$WORK/$name.v2.sql" "SELECT migrate.autogenerate('v2', :'desired', 'public', id => 'v2')" >/dev/null
        run "$v1" "SELECT migrate.upgrade('head')" >/dev/null
        dump "$DB" > "$WORK/$name.up2.sql"
        same "$WORK/$name.v2.sql" "$WORK/$name.up2.sql" "$name: the upgrade to version 2 reaches it"
        [ ! -f "$rows_file" ] || rows > "$WORK/$name.rows2"
        run "$WORK/$name.v2.sql" "SELECT migrate.check(:'desired', 'public')" >/dev/null
        run "$v1" "SELECT migrate.downgrade('v1')" >/dev/null
        dump "$DB" > "$WORK/$name.down1.sql"
        same "$WORK/$name.v1.sql" "$WORK/$name.down1.sql" "$name: the downgrade to version 1 reaches it again"
        [ ! -f "$rows_file" ] || rows > "$WORK/$name.rows3"
        # (the rows compared leave out what version 2 drops: a dropped
        # column comes back empty)
        if [ -f "$rows_file" ]; then
            diff -u "$WORK/$name.rows1" "$WORK/$name.rows2" || { echo "FAILED: $name: rows changed by the upgrade"; exit 1; }
            diff -u "$WORK/$name.rows1" "$WORK/$name.rows3" || { echo "FAILED: $name: rows changed by the downgrade"; exit 1; }
            echo "ok: $name: the rows are intact after the upgrade and the downgrade"
        fi
    fi
    run "$v1" "SELECT migrate.downgrade('base')" >/dev/null
    left=$(psql -X -q -At -d "$DB" -c "SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace)
        + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace)
        + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace)")
    [ "$left" = 0 ] || { echo "FAILED: $name: downgrade('base') left $left objects in public"; exit 1; }
    echo "ok: $name: downgrade('base') leaves the schema empty"
done
