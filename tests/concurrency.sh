#!/usr/bin/env bash
# Several real sessions run the same bootstrap script at once: store the
# revisions (ON CONFLICT DO NOTHING) and SELECT migrate.upgrade('head').
# Every session must succeed and every revision must run exactly once.
# Then the same with migrate.autogenerate(..., id => 'boot').
# Uses the cluster in PGHOST/PGPORT.
set -euo pipefail
SESSIONS=${SESSIONS:-8}
REVISIONS=${REVISIONS:-20}
DB=concurrency_$$
psql -X -q -d postgres -c "CREATE DATABASE $DB"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
psql -X -q -d "$DB" -c "CREATE EXTENSION migrate_ext"

script=$(mktemp)
{
    echo "INSERT INTO migrate.revisions (id, down_revision, message, upgrade, downgrade) VALUES"
    for i in $(seq 1 "$REVISIONS"); do
        parent=$([ "$i" -gt 1 ] && echo "{r$((i - 1))}" || echo "{}")
        sep=$([ "$i" -lt "$REVISIONS" ] && echo "," || echo "")
        echo "  ('r$i', '$parent', 'step $i',"
        echo "   '[{\"op\": \"execute\", \"sql\": \"CREATE TABLE t$i (id int); SELECT pg_sleep(0.01)\"}]',"
        echo "   '[{\"op\": \"execute\", \"sql\": \"DROP TABLE t$i\"}]')$sep"
    done
    echo "ON CONFLICT (id) DO NOTHING;"
    echo "SELECT migrate.upgrade('head');"
} >"$script"

# sessions FILE: run FILE in $SESSIONS sessions at once; sets $errors to
# the number that failed, and prints their output
sessions() {
    local file=$1 pids=() s
    for s in $(seq 1 "$SESSIONS"); do
        psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$file" >"$file.$s.out" 2>&1 &
        pids+=($!)
    done
    errors=0
    for s in $(seq 1 "$SESSIONS"); do
        if ! wait "${pids[$((s - 1))]}"; then
            errors=$((errors + 1))
            echo "session $s failed:"; cat "$file.$s.out"
        fi
    done
}

sessions "$script"

runs=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM migrate.log WHERE direction = 'upgrade'")
distinct=$(psql -X -At -d "$DB" -c "SELECT count(DISTINCT revision) FROM migrate.log")
version=$(psql -X -At -d "$DB" -c "SELECT string_agg(version_num, ',') FROM migrate.version")
tables=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t[0-9]+$'")
rm -f "$script" "$script".*

echo "sessions failed: $errors; steps run: $runs (distinct $distinct); version: $version; tables: $tables"
[ "$errors" -eq 0 ] && [ "$runs" -eq "$REVISIONS" ] && [ "$distinct" -eq "$REVISIONS" ] \
    && [ "$version" = "r$REVISIONS" ] && [ "$tables" -eq "$REVISIONS" ] || exit 1

# The same sessions run a bootstrap script that autogenerates a revision
# with a fixed id and upgrades: one revision is stored and runs once.
auto=$(mktemp)
cat >"$auto" <<'SQL'
SELECT migrate.autogenerate('bootstrap', $ddl$
    CREATE TYPE state AS ENUM ('new', 'done');
    CREATE TABLE job (id serial PRIMARY KEY, state state NOT NULL DEFAULT 'new');
$ddl$, id => 'boot');
SELECT migrate.upgrade('head');
SQL
sessions "$auto"
stored=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM migrate.revisions WHERE message = 'bootstrap'")
boot_runs=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM migrate.log WHERE revision = 'boot'")
version=$(psql -X -At -d "$DB" -c "SELECT string_agg(version_num, ',') FROM migrate.version")
rm -f "$auto" "$auto".*
echo "autogenerate: sessions failed: $errors; revisions stored: $stored; runs: $boot_runs; version: $version"
[ "$errors" -eq 0 ] && [ "$stored" -eq 1 ] && [ "$boot_runs" -eq 1 ] && [ "$version" = "boot" ] || exit 1

# A REPEATABLE READ transaction whose snapshot predates another session's
# run must not run the same revisions again: it fails with 40001 instead.
psql -X -q -d "$DB" -c "SELECT migrate.revision('late', '[{\"op\": \"execute\", \"sql\": \"CREATE TABLE late (id int)\"}]',
    '[{\"op\": \"execute\", \"sql\": \"DROP TABLE late\"}]', id => 'late')" >/dev/null
rr_out=$(mktemp)
psql -X -q -d "$DB" >"$rr_out" 2>&1 <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM migrate.version;
SELECT pg_sleep(1);
SELECT migrate.upgrade('head');
COMMIT;
SQL
rr=$!
sleep 0.3
psql -X -q -d "$DB" -c "SELECT migrate.upgrade('head')" >/dev/null 2>&1
wait "$rr" || true
late_runs=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM migrate.log WHERE revision = 'late'")
version=$(psql -X -At -d "$DB" -c "SELECT string_agg(version_num, ',') FROM migrate.version")
echo "repeatable read: late ran $late_runs time(s); version: $version; stale session said: $(grep -o 'ERROR: .*' "$rr_out" | head -1)"
grep -q "could not serialize" "$rr_out" && [ "$late_runs" -eq 1 ] && [ "$version" = "late" ] || exit 1
rm -f "$rr_out"

# The caller's lock_timeout while another session holds the run lock: the
# waiting call fails with PostgreSQL's own 55P03 and message, and nothing
# else: no panic text, no backtrace, in any field (VERBOSITY verbose shows
# them all; LOCATION is the source line that raised it, as for any
# extension).
lt_out=$(mktemp)
psql -X -q -d "$DB" >/dev/null 2>&1 <<'SQL' &
BEGIN;
SELECT migrate.revision('held', id => 'held');
SELECT pg_sleep(2);
ROLLBACK;
SQL
holder=$!
sleep 0.5
psql -X -q -d "$DB" -v VERBOSITY=verbose >"$lt_out" 2>&1 <<'SQL'
\set VERBOSITY verbose
SET lock_timeout = '100ms';
SELECT migrate.upgrade('head');
SQL
wait "$holder" || true
echo "lock_timeout while waiting for the run lock: $(tr '\n' ' ' <"$lt_out")"
grep -q "ERROR:  55P03: canceling statement due to lock timeout" "$lt_out" \
    && ! grep -v '^LOCATION:' "$lt_out" | grep -Eiq "panic|backtrace|\.rs:|rust" \
    && [ "$(grep -c . "$lt_out")" -le 3 ]
status=$?
rm -f "$lt_out"
exit $status
