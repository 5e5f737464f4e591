#!/usr/bin/env bash
# Benchmark: the engine's overhead beside the DDL it runs.
#
# For each size N, stores N revisions of 5 ops each (an enum, a table,
# two columns, an index), times SELECT migrate.upgrade('head'), and times
# the very same SQL statements (taken from migrate.log) run by psql in one
# transaction on a fresh database. Prints the ratio engine / plain SQL; the
# target is <= 1.15 at N = 1000, with time per revision flat as N grows.
#
# Then, for a graph of 2,500 and 10,000 revisions (a long chain, side
# branches, a merge), times the graph work alone: the first upgrade of
# empty revisions, and upgrade('head'), current() and history() on a
# database already at head. Time per revision must not grow with N.
#
# Last, autogenerate: diff and check of a 50- and a 200-table desired schema,
# beside the same DDL run by psql.
#
# Usage: bash bench/run.sh [N ...]     (default: 250 500 1000)
# Needs the extension installed (scripts/install.sh); starts its own cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-250 500 1000}")
[ $# -eq 0 ] && SIZES=(250 500 1000)
REPEAT=${REPEAT:-3}
WORK=$(mktemp -d /tmp/migrate_ext_bench.XXXXXX)
chmod 755 "$WORK"
. scripts/cluster.sh
trap 'cluster_stop "$WORK/pg"; rm -rf "$WORK"' EXIT
# no autovacuum worker competing for the two cores during a timed run
PG_EXTRA_OPTS="-c autovacuum=off" cluster_start "$WORK/pg" "${BENCH_PORT:-55434}"

export PGOPTIONS="-c client_min_messages=warning"
ms_now() { date +%s%N | cut -c1-13; }

revisions_sql() { # N -> an INSERT of N chained revisions
    local n=$1
    echo "INSERT INTO migrate.revisions (id, down_revision, message, upgrade, downgrade) VALUES"
    for i in $(seq 1 "$n"); do
        local parent sep
        parent=$([ "$i" -gt 1 ] && echo "{r$((i - 1))}" || echo "{}")
        sep=$([ "$i" -lt "$n" ] && echo "," || echo ";")
        cat <<ROW
('r$i', '$parent', 'step $i', '[
  {"op": "create_enum", "name": "e$i", "values": ["a", "b", "c"]},
  {"op": "execute", "sql": "CREATE TABLE t$i (id bigint PRIMARY KEY)"},
  {"op": "add_column", "table": "t$i", "column": {"name": "state", "type": "e$i", "nullable": false, "server_default": "a"}},
  {"op": "add_column", "table": "t$i", "column": {"name": "note", "type": "varchar(80)"}},
  {"op": "execute", "sql": "CREATE INDEX t${i}_state_idx ON t$i (state)"}]',
 '[{"op": "execute", "sql": "DROP TABLE t$i"}, {"op": "drop_enum", "name": "e$i"}]')$sep
ROW
    done
}

printf '%6s %12s %12s %8s %14s\n' revisions engine_ms plain_ms ratio engine_ms/rev
declare -A per_rev
for n in "${SIZES[@]}"; do
    revisions_sql "$n" >"$WORK/revisions.sql"
    best_engine=""; best_plain=""
    for r in $(seq 1 "$REPEAT"); do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_engine" -c "DROP DATABASE IF EXISTS bench_plain" \
            -c "CREATE DATABASE bench_engine" -c "CREATE DATABASE bench_plain"
        psql -X -q -v ON_ERROR_STOP=1 -d bench_engine -c "CREATE EXTENSION migrate_ext" -f "$WORK/revisions.sql"
        psql -X -q -d bench_engine -c "CHECKPOINT"
        t0=$(ms_now)
        psql -X -q -v ON_ERROR_STOP=1 -d bench_engine -c "SET client_min_messages = warning" \
            -c "SELECT migrate.upgrade('head')" >/dev/null
        t1=$(ms_now)
        psql -X -At -d bench_engine -c "SELECT s || ';' FROM migrate.log, unnest(statements) s ORDER BY id" \
            >"$WORK/plain.sql"
        psql -X -q -d postgres -c "CHECKPOINT"
        t2=$(ms_now)
        psql -X -q -1 -v ON_ERROR_STOP=1 -d bench_plain -c "SET client_min_messages = warning" \
            -f "$WORK/plain.sql" >/dev/null
        t3=$(ms_now)
        e=$((t1 - t0)); p=$((t3 - t2))
        if [ -z "$best_engine" ] || [ "$e" -lt "$best_engine" ]; then best_engine=$e; fi
        if [ -z "$best_plain" ] || [ "$p" -lt "$best_plain" ]; then best_plain=$p; fi
    done
    stmts=$(wc -l <"$WORK/plain.sql")
    ratio=$(python3 -c "print(f'{$best_engine / $best_plain:.3f}')")
    per=$(python3 -c "print(f'{$best_engine / $n:.2f}')")
    per_rev[$n]=$per
    printf '%6s %12s %12s %8s %14s   (%s statements)\n' "$n" "$best_engine" "$best_plain" "$ratio" "$per" "$stmts"
done
first=${SIZES[0]}; last=${SIZES[-1]}
echo "growth: time per revision at $last vs $first revisions: $(python3 -c "print(f'{${per_rev[$last]} / ${per_rev[$first]}:.2f}x')") (1.00x = linear)"

graph_sql() { # N -> a chain of N empty revisions, a side branch every 500, and a merge of all heads
    local n=$1
    cat <<SQL
INSERT INTO migrate.revisions (id, down_revision, message, upgrade)
SELECT 'r' || i, CASE WHEN i = 1 THEN '{}'::text[] ELSE ARRAY['r' || (i - 1)] END, 'step ' || i, '[]'
  FROM generate_series(1, $n) i;
INSERT INTO migrate.revisions (id, down_revision, message, upgrade)
SELECT 's' || k, ARRAY['r' || (k * 500)], 'side ' || k, '[]' FROM generate_series(1, $n / 500) k;
INSERT INTO migrate.revisions (id, down_revision, message, upgrade)
SELECT 'm', ARRAY['r$n'] || ARRAY(SELECT 's' || k FROM generate_series(1, $n / 500) k), 'merge', '[]';
SQL
}

time_sql() { # db sql [prep] -> best of 5, ms; prep (untimed) runs before each try
    local best=""
    for _ in 1 2 3 4 5; do
        if [ -n "${3:-}" ]; then psql -X -q -d "$1" -c "$3"; fi
        local t0 t1
        t0=$(ms_now)
        psql -X -q -d "$1" -c "$2" >/dev/null
        t1=$(ms_now)
        if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
    done
    echo "$best"
}

echo
printf '%8s %14s %16s %12s %12s\n' revisions first_upgrade upgrade_at_head current history
declare -A at_head
for n in 2500 10000; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_graph" -c "CREATE DATABASE bench_graph"
    psql -X -q -v ON_ERROR_STOP=1 -d bench_graph -c "CREATE EXTENSION migrate_ext"
    graph_sql "$n" | psql -X -q -v ON_ERROR_STOP=1 -d bench_graph
    t0=$(ms_now)
    psql -X -q -v ON_ERROR_STOP=1 -d bench_graph -c "SELECT migrate.upgrade('head')" >/dev/null
    t1=$(ms_now)
    first=$((t1 - t0))
    up=$(time_sql bench_graph "SELECT migrate.upgrade('head')")
    cur=$(time_sql bench_graph "SELECT * FROM migrate.current()")
    hist=$(time_sql bench_graph "SELECT count(*) FROM migrate.history()")
    at_head[$n]=$up
    printf '%8s %12s ms %14s ms %9s ms %9s ms\n' "$n" "$first" "$up" "$cur" "$hist"
done
echo "growth: upgrade('head') at head, 10000 vs 2500 revisions: $(python3 -c "print(f'{${at_head[10000]} / max(${at_head[2500]}, 1):.2f}x')") (4.00x = linear)"

# Autogenerate: a desired schema of T tables (serial key, defaults, an enum
# column, a foreign key to the previous table, an expression index). Times
# migrate.diff on an empty schema (evaluating the DDL in the scratch schema
# plus reading both sides), and migrate.check once the revision is applied,
# beside the same DDL run by psql in one transaction.
desired_sql() { # T -> DDL
    python3 - "$1" <<'PY'
import sys
t = int(sys.argv[1])
out = ["CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"]
for i in range(t):
    ref = f" REFERENCES t{i - 1}" if i else ""
    out.append(f"CREATE TABLE t{i} (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x', m mood,"
               f" n numeric(10,2), created timestamptz DEFAULT now(), ref int{ref});")
    out.append(f"CREATE INDEX t{i}_name ON t{i} (lower(name));")
print("\n".join(out))
PY
}

# Every timed DDL run is rolled back, leaving dead catalog rows; with
# autovacuum off they pile up and slow every later run, so the catalogs
# are vacuumed (untimed) before each repetition.
VACUUM_CATALOGS="VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type,
    pg_catalog.pg_depend, pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_attrdef,
    pg_catalog.pg_namespace, pg_catalog.pg_enum, pg_catalog.pg_description,
    pg_catalog.pg_sequence, pg_catalog.pg_shdepend"

echo
printf '%8s %12s %12s %12s %14s\n' tables plain_ddl diff check diff/plain
for t in 50 200; do
    ddl=$(desired_sql "$t")
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_auto" -c "CREATE DATABASE bench_auto"
    psql -X -q -v ON_ERROR_STOP=1 -d bench_auto -c "CREATE EXTENSION migrate_ext"
    plain=$(time_sql bench_auto "BEGIN; $ddl ROLLBACK;" "$VACUUM_CATALOGS")
    quoted="\$ddl\$$ddl\$ddl\$"
    diff=$(time_sql bench_auto "SELECT migrate.diff($quoted)" "$VACUUM_CATALOGS")
    psql -X -q -v ON_ERROR_STOP=1 -d bench_auto -c "SELECT migrate.autogenerate('bench', $quoted)" -c "SELECT migrate.upgrade('head')" >/dev/null
    check=$(time_sql bench_auto "SELECT migrate.check($quoted)" "$VACUUM_CATALOGS")
    printf '%8s %9s ms %9s ms %9s ms %13s\n' "$t" "$plain" "$diff" "$check" \
        "$(python3 -c "print(f'{$diff / max($plain, 1):.2f}')")"
done
