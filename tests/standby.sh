#!/usr/bin/env bash
# Hot standby: a real streaming replica (pg_basebackup -R) of the cluster in
# PGHOST/PGPORT serves every read-only function with the primary's answers,
# and the functions that write refuse there, and in a READ ONLY transaction
# on the primary, with SQLSTATE 25006 and one clean line: the function's
# name, no panic or backtrace text anywhere (DETAIL included).
#   tests/standby.sh WORK PORT     (the standby runs in WORK on PORT)
set -euo pipefail
WORK=$1
PORT=$2
DB=standby_$$
PRIMARY_HOST=$PGHOST
PRIMARY_PORT=$PGPORT
. "$(dirname "$0")/../scripts/cluster.sh"
mkdir -p "$WORK"; chmod 755 "$WORK"
cleanup() {
    cluster_stop "$WORK/standby"
    psql -X -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -X -q -d postgres -c "CREATE DATABASE $DB"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'happy');
CREATE TABLE app.person (id serial PRIMARY KEY, name text NOT NULL, mood app.mood DEFAULT 'happy');
SELECT migrate.revision('account', '[{"op": "execute", "sql": "CREATE TABLE account (id int PRIMARY KEY)"}]',
    '[{"op": "execute", "sql": "DROP TABLE account"}]', id => 'a1');
SELECT migrate.revision('status', '[{"op": "create_enum", "name": "status", "values": ["new", "done"]},
    {"op": "add_column", "table": "account", "column": {"name": "status", "type": "status"}}]', id => 'b2');
SELECT migrate.revision('cart', '[{"op": "execute", "sql": "CREATE TABLE cart (id int)"}]',
    '[{"op": "execute", "sql": "DROP TABLE cart"}]', id => 'c3', down_revision => 'a1', branch_label => 'shop');
SELECT migrate.merge(id => 'd4');
SELECT migrate.revision('more', '[{"op": "add_column", "table": "cart", "column": {"name": "n", "type": "int"}}]',
    id => 'e5');
SELECT migrate.upgrade('head');
SQL

# the standby: a base backup with the primary's connection written into it
rm -rf "$WORK/standby"
mkdir -p "$WORK/standby"
chown postgres:postgres "$WORK/standby"
as_postgres "$PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres \
    -D "$WORK/standby/data" -R -X stream -c fast
cluster_start "$WORK/standby" "$PORT" >/dev/null
export PGHOST=$PRIMARY_HOST PGPORT=$PRIMARY_PORT
standby() { psql -X -h "$WORK/standby/socket" -p "$PORT" -d "$DB" "$@"; }
primary() { psql -X -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -d "$DB" "$@"; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[ "$(standby -At -c 'SELECT pg_is_in_recovery()')" = t ] || fail "the standby is not in recovery"

# it streams: a change on the primary arrives
primary -q -c "CREATE TABLE streamed (id int)"
lsn=$(primary -At -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 100); do
    [ "$(standby -At -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
    sleep 0.1
done
[ "$(standby -At -c "SELECT to_regclass('streamed') IS NOT NULL")" = t ] \
    || fail "the standby did not replay the primary's changes"

# a clean refusal (psql's verbose form): the first line is
# "ERROR:  <SQLSTATE>: ..." and names the function, every other line is
# DETAIL/HINT/CONTEXT/LOCATION, and nothing says panic or backtrace, or
# points into Rust source outside LOCATION
clean_refusal() { # name output [SQLSTATE regex]
    local name=$1 out codes=${3:-25006} first
    out=$(sed 's/^psql:[^ ]*:[0-9]*: //' <<<"$2")
    first=${out%%$'\n'*}
    if ! echo "$first" | grep -qE "^ERROR:  ($codes): .*$name"; then
        fail "$name: expected 'ERROR:  $codes: ...$name...', got: $first"; echo "$out"; return
    fi
    if echo "$out" | tail -n +2 | grep -vqE '^(DETAIL|HINT|CONTEXT|LOCATION|STATEMENT):  '; then
        fail "$name: the error has more than one line of message:"; echo "$out"
    fi
    if echo "$out" | grep -iqE 'panic|backtrace|rust_|stack trace' \
        || echo "$out" | grep -v '^LOCATION:' | grep -qE '\.rs(:|\b)'; then
        fail "$name: panic or backtrace text in the error:"; echo "$out"
    fi
}

writers=(
    "upgrade|SELECT migrate.upgrade('head')"
    "downgrade|SELECT migrate.downgrade(-1)"
    "stamp|SELECT migrate.stamp('head')"
    "revision|SELECT migrate.revision('on the standby')"
    "merge|SELECT migrate.merge(ARRAY['b2', 'c3'], id => 'm9')"
    "autogenerate|SELECT migrate.autogenerate('standby', 'CREATE TABLE t (id int)')"
)
readers=(
    "SELECT * FROM migrate.current() ORDER BY 1"
    "SELECT * FROM migrate.heads() ORDER BY 1"
    "SELECT * FROM migrate.branches()"
    "SELECT * FROM migrate.history()"
    "SELECT * FROM migrate.history('a1:d4')"
    "SELECT migrate.show('b2')"
    "SELECT * FROM migrate.verify()"
    "SELECT migrate.sql('head')"
    "SELECT * FROM migrate.lint('base')"
    "SELECT migrate.model('public')"
    "SELECT migrate.model('app')"
)
before=$(primary -At -c "SELECT json_agg(r ORDER BY id) FROM migrate.revisions r" \
                    -c "SELECT json_agg(v) FROM migrate.version v" -c "SELECT count(*) FROM migrate.log")

for q in "${readers[@]}"; do
    want=$(primary -At -v ON_ERROR_STOP=1 -c "$q" 2>&1) || { fail "on the primary: $q: $want"; continue; }
    [ -n "$want" ] || [ "$q" = "SELECT * FROM migrate.verify()" ] || fail "on the primary: $q returned nothing"
    got=$(standby -At -v ON_ERROR_STOP=1 -c "$q" 2>&1) || { fail "on the standby: $q: $got"; continue; }
    [ "$got" = "$want" ] || { fail "on the standby, $q differs:"; diff <(echo "$want") <(echo "$got") || true; }
    got=$(primary -q -At -v ON_ERROR_STOP=1 -c "BEGIN READ ONLY" -c "$q" -c "COMMIT" 2>&1) \
        || { fail "in a READ ONLY transaction: $q: $got"; continue; }
    [ "$got" = "$want" ] || { fail "in a READ ONLY transaction, $q differs:"; diff <(echo "$want") <(echo "$got") || true; }
done
echo "standby: ${#readers[@]} read-only calls checked"

for w in "${writers[@]}"; do
    name=${w%%|*} q=${w#*|}
    # each call is valid: it succeeds on the primary (rolled back), so read-only is why it is refused
    out=$(primary -q -At -v ON_ERROR_STOP=1 -c "BEGIN" -c "$q" -c "ROLLBACK" 2>&1) \
        || fail "$name: the call fails on the primary too: $out"
    out=$(standby -q -At -c '\set VERBOSITY verbose' -c "$q" 2>&1 || true)
    clean_refusal "$name" "$out"
    out=$(primary -q -At -c '\set VERBOSITY verbose' -c "BEGIN READ ONLY" -c "$q" -c "ROLLBACK" 2>&1 || true)
    clean_refusal "$name" "$out"
done
echo "standby: ${#writers[@]} writers checked on the standby and in READ ONLY transactions"

# diff and check either answer as on the primary or say cleanly that they
# cannot run on a standby (diff: one column to add; check: no difference)
same="CREATE TYPE mood AS ENUM ('sad', 'happy');
      CREATE TABLE person (id serial PRIMARY KEY, name text NOT NULL, mood mood DEFAULT 'happy');"
desired="${same%;*}; ALTER TABLE person ADD COLUMN email text;"
for q in "SELECT migrate.diff(:'d', 'app')" "SELECT migrate.check(:'s', 'app')"; do
    name=$(echo "$q" | sed 's/SELECT migrate\.\([a-z]*\).*/\1/')
    want=$(primary -At -v ON_ERROR_STOP=1 -v d="$desired" -v s="$same" <<<"$q" 2>&1) || { fail "on the primary: $q: $want"; continue; }
    [ "$name" = check ] || [[ $want == *add_column*email* ]] || fail "diff on the primary: no add_column: $want"
    if got=$(standby -q -At -v ON_ERROR_STOP=1 -v d="$desired" -v s="$same" -c '\set VERBOSITY verbose' -f - <<<"$q" 2>&1); then
        [ "$got" = "$want" ] || { fail "on the standby, $name differs:"; diff <(echo "$want") <(echo "$got") || true; }
    else
        echo "standby: $name refuses: ${got%%$'\n'*}"
        clean_refusal "$name" "$got" "25006|0A000"
    fi
done

after=$(primary -At -c "SELECT json_agg(r ORDER BY id) FROM migrate.revisions r" \
                   -c "SELECT json_agg(v) FROM migrate.version v" -c "SELECT count(*) FROM migrate.log")
[ "$before" = "$after" ] || fail "the refused calls changed the primary's history"

echo "standby: $failures failure(s)"
[ "$failures" -eq 0 ]
