#!/usr/bin/env bash
# pg_dump / pg_restore keeps the migration history: revisions, version and
# log come back, upgrade('head') has nothing to do, and downgrade still
# works in the restored database. Uses the cluster in PGHOST/PGPORT, and
# pg_dump and pg_restore from PG_BIN (its version's, or the first on the PATH).
set -euo pipefail
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
SRC=dump_src_$$
DST=dump_dst_$$
BAD=dump_bad_$$
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $SRC" -c "DROP DATABASE IF EXISTS $DST" -c "DROP DATABASE IF EXISTS $BAD" >/dev/null 2>&1 || true' EXIT
psql -X -q -d postgres -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST" -c "CREATE DATABASE $BAD"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext;
CREATE TABLE my_table (id int);
INSERT INTO my_table VALUES (1);
SELECT migrate.revision('enum', '[{"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2"]},
  {"op": "add_column", "table": "my_table", "column": {"name": "c", "type": "my_enum_type", "server_default": "option1"}}]', id => 'a1');
SELECT migrate.revision('more', '[{"op": "add_column", "table": "my_table", "column": {"name": "d", "type": "text"}}]', id => 'b2');
SELECT migrate.revision('not yet', id => 'c3');
SELECT migrate.upgrade('b2');
SQL

state() {
    psql -X -At -d "$1" -c "SELECT json_agg(h ORDER BY h.id) FROM migrate.history() h" \
        -c "SELECT json_agg(v) FROM migrate.version v" \
        -c "SELECT json_agg(l ORDER BY l.id) FROM migrate.log l" \
        -c "SELECT json_agg(r ORDER BY r.id) FROM migrate.revisions r"
}

"${PG_BIN:+$PG_BIN/}pg_dump" -Fc -d "$SRC" -f "$WORK/dump.pgc"
"${PG_BIN:+$PG_BIN/}pg_restore" --exit-on-error -d "$DST" "$WORK/dump.pgc"

before=$(state "$SRC")
after=$(state "$DST")
if [ "$before" != "$after" ]; then
    echo "history differs after restore:"; diff <(echo "$before") <(echo "$after") || true
    exit 1
fi
echo "history, version, log and revisions identical after restore"

# the log's sequence continues after the restored rows
next_src=$(psql -X -At -d "$SRC" -c "SELECT last_value FROM migrate.log_id_seq")
next_dst=$(psql -X -At -d "$DST" -c "SELECT last_value FROM migrate.log_id_seq")
[ "$next_src" = "$next_dst" ] || { echo "log sequence not restored: $next_src vs $next_dst"; exit 1; }

out=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DST" -c "SELECT migrate.upgrade('b2')" \
      -c "SELECT migrate.downgrade(-1)" -c "SELECT migrate.upgrade('head')" 2>&1)
expected=$'b2\na1\nc3'
if [ "$(echo "$out" | grep -v NOTICE)" != "$expected" ]; then
    echo "unexpected results in the restored database:"; echo "$out"; exit 1
fi
echo "restored database upgrades and downgrades"

# a doctored dump: an applied revision's ops edited in the dump's data. The
# checksum column is not dumped (PostgreSQL computes it on restore), so the
# restored database refuses to run until the history is whole again.
"${PG_BIN:+$PG_BIN/}pg_dump" -Fp -d "$SRC" -f "$WORK/dump.sql"
grep -q '"name": "d", "type": "text"' "$WORK/dump.sql" || { echo "the dump does not hold revision b2 as expected"; exit 1; }
sed -i 's/"name": "d", "type": "text"/"name": "d", "type": "bigint"/' "$WORK/dump.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$BAD" -f "$WORK/dump.sql" >/dev/null 2>&1 \
    || { echo "restoring the doctored dump failed"; exit 1; }
problems=$(psql -X -At -d "$BAD" -c "SELECT revision || ': ' || problem FROM migrate.verify()")
refused=$(psql -X -At -d "$BAD" -c "SELECT migrate.upgrade('head')" 2>&1 || true)
echo "doctored dump: verify() says: $problems; upgrade('head') says: $(echo "$refused" | head -1)"
[ "$problems" = "b2: changed after it was applied" ] && echo "$refused" | grep -q "the migration history has drifted"
