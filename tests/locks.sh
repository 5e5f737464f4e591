#!/usr/bin/env bash
# Migrations on a busy database, with real sessions (uses the cluster in
# PGHOST/PGPORT):
#  1. a migration blocked by a long read waits in bounded tries: NOTICEs
#     name the table and the blocking pid; when the read ends, it succeeds;
#  2. when the read outlasts every try: 55P03 naming table and pid, and
#     nothing of the run is kept;
#  3. while the migration is blocked, a reader that queues behind it waits
#     about one lock_timeout, not the whole run;
#  4. the caller's own statement_timeout ends a run with a clean error;
#  5. CALL migrate.run interrupted by statement_timeout keeps the revisions
#     it committed, and the next CALL goes on from there;
#  6. concurrent CALLs apply each revision once;
#  7. a concurrent index build through CALL migrate.run completes while
#     another session holds an open transaction with a snapshot and while
#     INSERTs into the table go on; those INSERTs complete during the build.
set -euo pipefail
DB=locks_$$
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
psql -X -q -d postgres -c "CREATE DATABASE $DB"
work=$(mktemp -d)
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }

q -q <<'SQL'
CREATE EXTENSION migrate_ext;
CREATE TABLE account (id int PRIMARY KEY, email text);
INSERT INTO account SELECT g, 'u' || g FROM generate_series(1, 1000) g;
SELECT migrate.revision('add a status', '[{"op": "add_column", "table": "account", "column": {"name": "status", "type": "text"}}]', id => 'a1');
SQL

# holder SECONDS: a session that reads account and keeps its lock
holder() {
    psql -X -q -d "$DB" -c "BEGIN; SELECT count(*) FROM account; SELECT pg_sleep($1); COMMIT;" >/dev/null 2>&1 &
    echo $!
}
wait_for_holder() {
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()")" -ge 1 ] && return 0
        sleep 0.05
    done
    fail "the holding session did not start"
}

echo "-- 1. blocked, then granted"
holder 1.5 >/dev/null
wait_for_holder
blocker=$(q -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()")
out=$(psql -X -d "$DB" -c "SET migrate.lock_timeout = '200ms'" -c "SELECT migrate.upgrade('a1')" 2>&1) || fail "upgrade failed: $out"
echo "$out" | grep NOTICE | head -3
echo "$out" | grep -q "AccessExclusiveLock on public.account not granted within 200ms (blocked by pid $blocker); try 2 of 9" \
    || fail "no NOTICE naming the table and pid $blocker"
[ "$(q -c "SELECT version_num FROM migrate.version")" = a1 ] || fail "a1 not applied"
wait

echo "-- 2. every try fails: 55P03, nothing kept"
q -q -c "SELECT migrate.revision('add a note', '[{\"op\": \"add_column\", \"table\": \"account\", \"column\": {\"name\": \"note\", \"type\": \"text\"}}]', id => 'a2')" >/dev/null
holder 5 >/dev/null
wait_for_holder
start=$(date +%s%N)
out=$(psql -X -d "$DB" -v VERBOSITY=verbose -c "SET migrate.lock_timeout = '100ms'" -c "SET migrate.lock_retries = 3" -c "SELECT migrate.upgrade('a2')" 2>&1) && fail "upgrade succeeded while blocked"
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out" | grep ERROR
echo "$out" | grep -q "ERROR:  55P03: revision a2, upgrade op 1 (add_column): AccessExclusiveLock on public.account not granted in 4 tries of 100ms (blocked by pid" \
    || fail "no 55P03 naming table and blocker: $out"
echo "$out" | grep -q "backtrace\|panicked" && fail "a backtrace reached the client"
[ "$(q -c "SELECT version_num FROM migrate.version")" = a1 ] || fail "the version moved"
[ "$(q -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'account' AND column_name = 'note'")" = 0 ] || fail "the column was kept"
echo "gave up after ${took} ms (4 tries of 100 ms and 3 pauses)"
[ "$took" -lt 5000 ] || fail "took too long"
wait

echo "-- 3. a reader queued behind the blocked migration waits about one try"
holder 4 >/dev/null
wait_for_holder
(psql -X -d "$DB" -c "SET migrate.lock_timeout = '300ms'" -c "SET migrate.lock_retries = 20" -c "SELECT migrate.upgrade('a2')" >"$work/migration.out" 2>&1 || true) &
sleep 0.5
worst=0
for _ in $(seq 1 5); do
    s=$(date +%s%N)
    q -c "SELECT count(*) FROM account" >/dev/null
    ms=$(( ($(date +%s%N) - s) / 1000000 ))
    [ "$ms" -gt "$worst" ] && worst=$ms
    sleep 0.2
done
echo "worst reader wait while the migration was blocked: ${worst} ms (lock_timeout 300 ms)"
[ "$worst" -lt 1500 ] || fail "a reader waited ${worst} ms"
wait
grep -q "not granted within 300ms" "$work/migration.out" || fail "the migration never waited"
[ "$(q -c "SELECT version_num FROM migrate.version")" = a2 ] || fail "a2 not applied once the reader left: $(cat "$work/migration.out")"

echo "-- 4. the caller's statement_timeout"
holder 3 >/dev/null
wait_for_holder
q -q -c "SELECT migrate.revision('drop the note', '[{\"op\": \"drop_column\", \"table\": \"account\", \"column\": \"note\"}]', '[]', id => 'a3')" >/dev/null
out=$(psql -X -d "$DB" -c "SET statement_timeout = '700ms'" -c "SELECT migrate.upgrade('a3')" 2>&1) && fail "ran past statement_timeout"
echo "$out" | grep ERROR
echo "$out" | grep -q "canceling statement due to statement timeout" || fail "not the statement_timeout error: $out"
echo "$out" | grep -q "backtrace\|panicked" && fail "a backtrace reached the client"
[ "$(q -c "SELECT version_num FROM migrate.version")" = a2 ] || fail "the version moved"
wait
q -q -c "SELECT migrate.upgrade('a3')" >/dev/null

echo "-- 5. CALL migrate.run interrupted, then resumed"
q -q <<'SQL'
INSERT INTO migrate.revisions (id, down_revision, upgrade, downgrade)
SELECT 'm' || g, ARRAY[CASE WHEN g = 1 THEN 'a3' ELSE 'm' || (g - 1) END],
       jsonb_build_array(jsonb_build_object('op', 'execute', 'sql', format('CREATE TABLE many_%s (id int); SELECT pg_sleep(0.01)', g))),
       jsonb_build_array(jsonb_build_object('op', 'execute', 'sql', format('DROP TABLE many_%s', g)))
  FROM generate_series(1, 300) g;
SQL
out=$(psql -X -d "$DB" -c "SET client_min_messages = warning" -c "SET statement_timeout = '1s'" -c "CALL migrate.run()" 2>&1) && fail "the run was not interrupted"
echo "$out" | grep ERROR
kept=$(q -c "SELECT count(*) FROM migrate.applied WHERE revision LIKE 'm%'")
tables=$(q -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'many\_%'")
echo "interrupted after $kept revisions ($tables tables)"
[ "$kept" -gt 0 ] && [ "$kept" -lt 300 ] || fail "expected some revisions kept, got $kept"
[ "$kept" = "$tables" ] || fail "applied ($kept) and tables ($tables) differ"
q -c "SET client_min_messages = warning" -c "CALL migrate.run()" >/dev/null
[ "$(q -c "SELECT version_num FROM migrate.version")" = m300 ] || fail "not at m300 after the second CALL"
[ "$(q -c "SELECT count(*) FROM migrate.log WHERE revision LIKE 'm%'")" = 300 ] || fail "a revision ran twice"

echo "-- 6. concurrent CALLs apply each revision once"
q -q -c "SET client_min_messages = warning" -c "CALL migrate.run_down('a3')"
pids=()
for s in 1 2 3 4; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "SET client_min_messages = warning" -c "CALL migrate.run()" >"$work/call$s.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$work"/call*.out; fail "a CALL failed"; }; done
[ "$(q -c "SELECT count(*) FROM migrate.log WHERE revision LIKE 'm%' AND direction = 'upgrade'")" = 600 ] \
    || fail "revisions ran more than once: $(q -c "SELECT count(*) FROM migrate.log WHERE revision LIKE 'm%' AND direction = 'upgrade'")"

echo "-- 7. a concurrent build with an open snapshot elsewhere, while INSERTs go on"
q -q <<'SQL'
CREATE TABLE event (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp(), payload text);
INSERT INTO event (payload) SELECT md5(g::text) FROM generate_series(1, 300000) g;
SELECT migrate.revision('index the payloads', '[{"op": "create_index", "name": "event_payload_idx", "table": "event", "columns": ["payload"], "concurrently": true}]', id => 'ix', down_revision => 'm300');
SQL
# a session with an open transaction and a snapshot, that ends after a while
psql -X -q -d "$DB" -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM account; SELECT pg_sleep(2); COMMIT;" >/dev/null 2>&1 &
# writers that insert one row per statement until told to stop
touch "$work/writing"
for w in 1 2; do
    (while [ -f "$work/writing" ]; do echo "INSERT INTO event (payload) VALUES ('w$w');"; done) \
        | psql -X -q -d "$DB" >/dev/null 2>&1 &
done
sleep 0.3
before=$(q -c "SELECT count(*) FROM event")
q -c "SELECT now()" >"$work/build_start"
start=$(date +%s%N)
timeout 120 psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CALL migrate.run()" >"$work/build.out" 2>&1 || { cat "$work/build.out"; fail "the build failed or hung"; }
took=$(( ($(date +%s%N) - start) / 1000000 ))
during=$(q -c "SELECT count(*) FROM event WHERE payload LIKE 'w%' AND at >= '$(cat "$work/build_start")'::timestamptz AND at <= now()")
rm -f "$work/writing"
sleep 0.3
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'event_payload_idx'::regclass")" = t ] || fail "the index is not valid"
[ "$(q -c "SELECT version_num FROM migrate.version")" = ix ] || fail "ix not applied"
echo "concurrent build of an index on $before rows: ${took} ms; $during INSERTs from 2 sessions completed during it"
[ "$during" -gt 0 ] || fail "no INSERT completed during the build"
echo "locks: all passed"
