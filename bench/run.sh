#!/usr/bin/env bash
# Benchmark (not a test): ratios measured side by side in one run.
#
# 1. Engine overhead beside the DDL it runs. For each size N, stores N
#    revisions of 5 ops each (an enum, a table, two columns, an index). Each
#    round times SELECT migrate.upgrade('head') on a fresh database, then the
#    very same statements (taken from migrate.log) run by psql in one
#    transaction on another fresh database; REPEAT rounds alternate the two.
#    Prints the medians, their ratio (target <= 1.05 at N = 1000) and the
#    spread of the per-round ratios; and the ratio of the two backends' CPU
#    time (from /proc/<pid>/schedstat: what the server itself spent, not
#    counting waits for a core, so it holds on a busy machine), median and
#    spread.
#
# 2. A long-lived project: a graph of 10,000 and 100,000 revisions (a chain,
#    a side branch every 500 revisions, merges). Times, in the server (the
#    median of 7 calls, no client round trips): storing them (one INSERT),
#    the first upgrade, the no-op upgrade('head') at head (target <= 10 ms at
#    10,000), current(), heads(), history() (all, and '-10:'), verify(),
#    sql('head') from base, and storing one more revision with
#    migrate.revision(): cold (the first call after the bulk INSERT, which
#    reads the graph) and next (once a revision() call has recorded the
#    stored heads);
#    and the backend's peak memory (VmHWM). Each figure may grow about 10x
#    from 10,000 to 100,000 (linear).
#
# 3. Autogenerate: diff and check of a 50- and a 200-table desired schema,
#    beside the same DDL run by psql.
#
# 4. A busy database (see below). 5. Enum values on 1,000,000 rows:
#    add_enum_value and rename_enum_value without a rewrite, beside
#    drop_enum_value's type swap.
#
# 6. migrate.diff beside Alembic's compare_metadata on the same 200-table
#    pair (5 enums, foreign keys, indexes, unique constraints, comments; 58
#    differences): medians of alternating rounds, wall and CPU time; the
#    tenth consecutive diff against the first (no VACUUM in between); and
#    migrate.model() of the live schema (bench/alembic_compare.py).
#
# Usage: bash bench/run.sh [N ...]     (default: 250 500 1000)
#   REPEAT=7 rounds in part 1; GRAPH_SIZES="10000 100000" for part 2;
#   ROUNDS=10 in part 6; PARTS="1 2 3 4 5 6" the parts to run (default 1 2 3)
# Needs the extension installed (scripts/install.sh); starts its own cluster
# with the server that scripts/cluster.sh chooses (PG_VERSION and PG_CONFIG
# exported pick another, e.g. a private copy). Part 6 needs Alembic: it
# installs the pins of scripts/import-alembic.py and psycopg2-binary into a
# throwaway virtualenv, or uses MIGRATE_ALEMBIC_VENV if set (one with
# alembic, SQLAlchemy and psycopg2).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-250 500 1000}")
[ $# -eq 0 ] && SIZES=(250 500 1000)
REPEAT=${REPEAT:-7}
GRAPH_SIZES=(${GRAPH_SIZES:-10000 100000})
PARTS=" ${PARTS:-1 2 3} "
part() { [[ $PARTS == *" $1 "* ]]; }
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

median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

# the backend's CPU time (ms) from /proc/<pid>/schedstat, around a run:
# unlike wall time, it does not count waiting for the other core's tenants
cat >"$WORK/cpu0.sql" <<'SQL'
SELECT pg_catalog.split_part(pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/schedstat'), ' ', 1) AS cpu0 \gset
SQL
cat >"$WORK/cpu1.sql" <<'SQL'
SELECT round((pg_catalog.split_part(pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/schedstat'), ' ', 1)::bigint - :cpu0) / 1e6, 1);
SQL

if part 1; then
echo "== 1. engine overhead: migrate.upgrade('head') beside the same statements through psql"
printf '%6s %10s %10s %8s %16s %14s %24s\n' revisions engine_ms plain_ms ratio ratio_spread engine_ms/rev 'cpu_ratio (spread)'
declare -A per_rev
for n in "${SIZES[@]}"; do
    revisions_sql "$n" >"$WORK/revisions.sql"
    engines=(); plains=(); ratios=(); cpu_ratios=()
    for r in $(seq 1 "$REPEAT"); do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_engine" -c "DROP DATABASE IF EXISTS bench_plain" \
            -c "CREATE DATABASE bench_engine" -c "CREATE DATABASE bench_plain"
        psql -X -q -v ON_ERROR_STOP=1 -d bench_engine -c "CREATE EXTENSION migrate_ext" -f "$WORK/revisions.sql"
        if [ "$r" -eq 1 ]; then
            # the statements a run executes, once, from a run's log
            psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_probe" -c "CREATE DATABASE bench_probe"
            psql -X -q -v ON_ERROR_STOP=1 -d bench_probe -c "CREATE EXTENSION migrate_ext" -f "$WORK/revisions.sql" \
                -c "SET client_min_messages = warning" -c "SELECT migrate.upgrade('head')" >/dev/null
            psql -X -At -d bench_probe -c "SELECT s || ';' FROM migrate.log, unnest(statements) s ORDER BY id" \
                >"$WORK/plain.sql"
        fi
        psql -X -q -d postgres -c "CHECKPOINT"
        t0=$(ms_now)
        ce=$(psql -X -q -At -v ON_ERROR_STOP=1 -d bench_engine -c "SET client_min_messages = warning" \
            -f "$WORK/cpu0.sql" -c "SELECT pg_catalog.count(*) FROM (SELECT migrate.upgrade('head')) s" \
            -f "$WORK/cpu1.sql" | tail -1)
        t1=$(ms_now)
        psql -X -q -d postgres -c "CHECKPOINT"
        t2=$(ms_now)
        cp=$(psql -X -q -At -1 -v ON_ERROR_STOP=1 -d bench_plain -c "SET client_min_messages = warning" \
            -f "$WORK/cpu0.sql" -f "$WORK/plain.sql" -f "$WORK/cpu1.sql" | tail -1)
        t3=$(ms_now)
        engines+=($((t1 - t0))); plains+=($((t3 - t2)))
        ratios+=("$(python3 -c "print($((t1 - t0)) / max($((t3 - t2)), 1))")")
        cpu_ratios+=("$(python3 -c "print($ce / max($cp, 0.001))")")
    done
    e=$(median "${engines[@]}"); p=$(median "${plains[@]}")
    stmts=$(wc -l <"$WORK/plain.sql")
    spread=$(python3 -c "import sys; r = [float(x) for x in sys.argv[1:]]; print(f'{min(r):.2f}-{max(r):.2f}')" "${ratios[@]}")
    cpu=$(python3 -c "import statistics, sys; r = [float(x) for x in sys.argv[1:]]; print(f'{statistics.median(r):.3f} ({min(r):.2f}-{max(r):.2f})')" "${cpu_ratios[@]}")
    per=$(python3 -c "print(f'{$e / $n:.2f}')")
    per_rev[$n]=$per
    printf '%6s %10.0f %10.0f %8s %16s %14s %24s   (%s statements, median of %s alternating rounds)\n' \
        "$n" "$e" "$p" "$(python3 -c "print(f'{$e / $p:.3f}')")" "$spread" "$per" "$cpu" "$stmts" "$REPEAT"
done
first=${SIZES[0]}; last=${SIZES[-1]}
echo "growth: time per revision at $last vs $first revisions: $(python3 -c "print(f'{${per_rev[$last]} / ${per_rev[$first]}:.2f}x')") (1.00x = linear)"
fi

graph_sql() { # N -> a chain of N empty revisions; every 500, a side branch that merges back 250 later
    local n=$1
    cat <<SQL
INSERT INTO migrate.revisions (id, down_revision, message, upgrade)
SELECT 'r' || i,
       CASE WHEN i = 1 THEN '{}'::text[]
            WHEN i % 500 = 250 AND i > 500 THEN ARRAY['r' || (i - 1), 's' || (i / 500)]
            ELSE ARRAY['r' || (i - 1)] END,
       'step ' || i, '[]'::jsonb
  FROM generate_series(1, $n) i
UNION ALL
SELECT 's' || k, ARRAY['r' || (k * 500)], 'side ' || k, '[]' FROM generate_series(1, $n / 500 - 1) k;
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

# bench_ms(sql, tries, rolled_back): the median time of sql in the server
BENCH_MS=$(cat <<'SQL'
CREATE FUNCTION bench_ms(sql text, tries int DEFAULT 7, rolled_back boolean DEFAULT false)
RETURNS numeric LANGUAGE plpgsql AS $f$
DECLARE t0 timestamptz; times numeric[] := '{}';
BEGIN
  FOR i IN 1..tries LOOP
    t0 := clock_timestamp();
    IF rolled_back THEN
      BEGIN EXECUTE sql; RAISE EXCEPTION USING ERRCODE = 'XB001';
      EXCEPTION WHEN SQLSTATE 'XB001' THEN END;
    ELSE
      EXECUTE sql;
    END IF;
    times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
  END LOOP;
  RETURN round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x)::numeric, 2);
END $f$;
SQL
)

if part 2; then
echo
echo "== 2. a long-lived project: ${GRAPH_SIZES[*]} revisions (ms in the server, median of 7; memory: the backend's peak RSS)"
figures=(store first_upgrade noop_head current heads history history_-10 verify sql_from_base revision_cold revision_next peak_rss_mb)
declare -A fig
for n in "${GRAPH_SIZES[@]}"; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_graph" -c "CREATE DATABASE bench_graph"
    psql -X -q -v ON_ERROR_STOP=1 -d bench_graph -c "CREATE EXTENSION migrate_ext" -c "$BENCH_MS"
    graph_sql "$n" >"$WORK/graph.sql"
    t0=$(ms_now); psql -X -q -v ON_ERROR_STOP=1 -d bench_graph -f "$WORK/graph.sql"; t1=$(ms_now)
    fig[$n,store]=$((t1 - t0))
    t0=$(ms_now)
    psql -X -q -v ON_ERROR_STOP=1 -d bench_graph -c "SET client_min_messages = warning" -c "SELECT migrate.upgrade('head')" >/dev/null
    t1=$(ms_now)
    fig[$n,first_upgrade]=$((t1 - t0))
    out=$(psql -X -At -F' ' -v ON_ERROR_STOP=1 -d bench_graph <<'SQL'
SET client_min_messages = warning;
SELECT 'noop_head', bench_ms($$SELECT migrate.upgrade('head')$$);
SELECT 'current', bench_ms($$SELECT count(*) FROM migrate.current()$$);
SELECT 'heads', bench_ms($$SELECT count(*) FROM migrate.heads()$$);
SELECT 'history', bench_ms($$SELECT count(*) FROM migrate.history()$$);
SELECT 'history_-10', bench_ms($$SELECT count(*) FROM migrate.history('-10:')$$);
SELECT 'verify', bench_ms($$SELECT count(*) FROM migrate.verify()$$);
SELECT 'sql_from_base', bench_ms($$SELECT count(*) FROM migrate.sql('head', 'base')$$, 3);
SELECT 'revision_cold', bench_ms($$SELECT migrate.revision('one more')$$, 7, true);
SELECT 'stored_n_plus_1', migrate.revision('revision N+1') IS NOT NULL;
SELECT 'revision_next', bench_ms($$SELECT migrate.revision('one more')$$, 7, true);
SELECT 'peak_rss_mb', round(substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s+(\d+)')::numeric / 1024, 1);
SQL
)
    while read -r name value; do fig[$n,$name]=$value; done <<<"$out"
done
printf '%-15s' figure; for n in "${GRAPH_SIZES[@]}"; do printf '%14s' "$n"; done; printf '%10s\n' growth
for f in "${figures[@]}"; do
    printf '%-15s' "$f"
    for n in "${GRAPH_SIZES[@]}"; do printf '%14s' "${fig[$n,$f]}"; done
    a=${fig[${GRAPH_SIZES[0]},$f]}; b=${fig[${GRAPH_SIZES[-1]},$f]}
    printf '%9sx\n' "$(python3 -c "print(f'{float($b) / max(float($a), 0.01):.1f}')")"
done

fi

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

if part 3; then
echo
echo "== 3. autogenerate beside the same DDL through psql"
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
fi

if part 4; then
# 4. A busy database. (a) 10,000 revisions that each create a table, by
#    CALL migrate.run() and back down by CALL migrate.run_down('base'),
#    beside SELECT migrate.upgrade() in one transaction; (b) a reader of a
#    table while a migration waits for its lock behind a 3 s read: the
#    worst and median reader wait, with the default bounded waits and with
#    migrate.lock_timeout = 0 (plain PostgreSQL); (c) a concurrent index
#    build on 1,000,000 rows through CALL migrate.run while two sessions
#    insert single rows: inserts per second before and during the build.
echo
echo "== 4. a busy database"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_busy" -c "CREATE DATABASE bench_busy"
bq() { psql -X -q -At -v ON_ERROR_STOP=1 -d bench_busy "$@"; }
bq -c "CREATE EXTENSION migrate_ext"
bq -c "INSERT INTO migrate.revisions (id, down_revision, upgrade, downgrade)
SELECT 'r' || g, CASE WHEN g = 1 THEN '{}'::text[] ELSE ARRAY['r' || (g - 1)] END,
       jsonb_build_array(jsonb_build_object('op', 'execute', 'sql', format('CREATE TABLE t%s (id int PRIMARY KEY)', g))),
       jsonb_build_array(jsonb_build_object('op', 'execute', 'sql', format('DROP TABLE t%s', g)))
  FROM generate_series(1, 10000) g"
t0=$(ms_now); out=$(bq -c "SELECT migrate.upgrade('head')" 2>&1) && one="$(( $(ms_now) - t0 )) ms, then rolled back" || one="fails after $(( $(ms_now) - t0 )) ms: $(echo "$out" | grep -o 'out of shared memory' | head -1)"
[ -z "${out##*ERROR*}" ] || bq -c "SELECT migrate.downgrade('base')" >/dev/null 2>&1 || true
t0=$(ms_now); bq -c "CALL migrate.run()"; up=$(( $(ms_now) - t0 ))
t0=$(ms_now); bq -c "CALL migrate.run_down('base')"; down=$(( $(ms_now) - t0 ))
echo "10,000 revisions creating a table: CALL migrate.run() ${up} ms, CALL migrate.run_down('base') ${down} ms; SELECT migrate.upgrade() in one transaction: $one"

bq -c "CREATE TABLE account (id int PRIMARY KEY, email text); INSERT INTO account SELECT g, 'u' || g FROM generate_series(1, 100000) g"
reader_waits() { # lock_timeout -> "worst median" reader wait in ms
    bq -c "SELECT migrate.revision('col', '[{\"op\": \"add_column\", \"table\": \"account\", \"column\": {\"name\": \"c\", \"type\": \"int\"}}]', id => 'col', down_revision => 'r10000')" >/dev/null
    psql -X -q -d bench_busy -c "BEGIN; SELECT count(*) FROM account; SELECT pg_sleep(3); COMMIT;" >/dev/null &
    sleep 0.3
    psql -X -q -d bench_busy -c "SET migrate.lock_timeout = '$1'" -c "SET migrate.lock_retries = 30" -c "CALL migrate.run()" >/dev/null 2>&1 &
    sleep 0.2
    local waits=()
    for _ in $(seq 1 25); do
        local s; s=$(date +%s%N)
        bq -c "SELECT count(*) FROM account WHERE id = 1" >/dev/null
        waits+=($(( ($(date +%s%N) - s) / 1000000 )))
        sleep 0.1
    done
    wait
    bq -c "CALL migrate.run_down('r10000')" >/dev/null
    bq -c "DELETE FROM migrate.revisions WHERE id = 'col'"
    printf '%s\n' "${waits[@]}" | sort -n | awk '{a[NR]=$1} END {print a[NR], a[int((NR+1)/2)]}'
}
CALL_UP=$(bq -c "CALL migrate.run()" 2>&1 || true)
read -r w_worst w_median < <(reader_waits 500ms)
read -r p_worst p_median < <(reader_waits 0)
echo "reader of a table while a migration waits behind a 3 s read: worst ${w_worst} ms, median ${w_median} ms (migrate.lock_timeout 500ms); worst ${p_worst} ms, median ${p_median} ms (lock_timeout 0, plain PostgreSQL)"

bq -c "CREATE TABLE event (id bigserial PRIMARY KEY, payload text); INSERT INTO event (payload) SELECT md5(g::text) FROM generate_series(1, 1000000) g" -c "VACUUM ANALYZE event"
bq -c "SELECT migrate.revision('ix', '[{\"op\": \"create_index\", \"name\": \"event_payload_idx\", \"table\": \"event\", \"columns\": [\"payload\"], \"concurrently\": true}]', id => 'ix', down_revision => 'r10000')" >/dev/null
touch "$WORK/writing"
for w in 1 2; do
    (while [ -f "$WORK/writing" ]; do echo "INSERT INTO event (payload) VALUES ('w');"; done) | psql -X -q -d bench_busy >/dev/null 2>&1 &
done
sleep 1
c0=$(bq -c "SELECT count(*) FROM event"); sleep 3; c1=$(bq -c "SELECT count(*) FROM event")
before=$(( (c1 - c0) / 3 ))
t0=$(ms_now); bq -c "CALL migrate.run()"; build=$(( $(ms_now) - t0 ))
c2=$(bq -c "SELECT count(*) FROM event")
rm -f "$WORK/writing"; wait
during=$(( (c2 - c1) * 1000 / (build + 1) ))
echo "concurrent index build on 1,000,000 rows through CALL migrate.run: ${build} ms; inserts/s from 2 sessions: ${before} before, ${during} during"

fi

if part 5; then
# 5. Enum values on a big table: add_enum_value and rename_enum_value are
#    catalog-only (the table keeps its relfilenode; the time does not grow
#    with the rows), beside drop_enum_value, which swaps the type and
#    rewrites the table. Prints each op's time and whether the table was
#    rewritten.
echo
echo "== 5. enum values on a table of 1,000,000 rows"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_enum" -c "CREATE DATABASE bench_enum"
eq() { psql -X -q -At -v ON_ERROR_STOP=1 -d bench_enum "$@"; }
eq -c "CREATE EXTENSION migrate_ext" \
   -c "CREATE TYPE st AS ENUM ('new', 'open', 'done')" \
   -c "CREATE TABLE ticket (id bigint PRIMARY KEY, state st NOT NULL DEFAULT 'new')" \
   -c "INSERT INTO ticket SELECT g, (ARRAY['new','open','done']::st[])[1 + g % 3] FROM generate_series(1, 1000000) g" \
   -c "VACUUM ANALYZE ticket"
printf '%-18s %10s %12s\n' op ms rewritten
for op in '{"op": "add_enum_value", "name": "st", "value": "escalated", "after": "open"}' \
          '{"op": "rename_enum_value", "name": "st", "value": "escalated", "new_value": "urgent"}' \
          '{"op": "drop_enum_value", "name": "st", "value": "urgent"}'; do
    kind=$(python3 -c "import json, sys; print(json.loads(sys.argv[1])['op'])" "$op")
    before=$(eq -c "SELECT pg_relation_filenode('ticket')")
    eq -c "SELECT migrate.revision('$kind', '[$op]')" >/dev/null
    t0=$(ms_now)
    eq -c "SET client_min_messages = warning" -c "SELECT migrate.upgrade('head')" >/dev/null
    t1=$(ms_now)
    after=$(eq -c "SELECT pg_relation_filenode('ticket')")
    printf '%-18s %10s %12s\n' "$kind" "$((t1 - t0))" "$([ "$before" = "$after" ] && echo no || echo yes)"
done
fi

part 6 || exit 0
echo
echo "== 6. migrate.diff beside Alembic's compare_metadata: 200 tables, 5 enums, 58 differences"
VENV=${MIGRATE_ALEMBIC_VENV:-}
if [ -z "$VENV" ]; then
    VENV=$WORK/venv
    pins=$(python3 - <<'PY'
import ast
tree = ast.parse(open("scripts/import-alembic.py").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PINNED":
        print(" ".join(ast.literal_eval(node.value)))
PY
)
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
        $pins psycopg2-binary==2.9.10
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_alembic" -c "CREATE DATABASE bench_alembic"
psql -X -q -v ON_ERROR_STOP=1 -d bench_alembic -c "CREATE EXTENSION migrate_ext"
load0=$(cut -d' ' -f1 /proc/loadavg)
out=$("$VENV/bin/python" bench/alembic_compare.py \
    "host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench_alembic" "${ROUNDS:-10}")
load1=$(cut -d' ' -f1 /proc/loadavg)
declare -A a6
while read -r name value; do a6[$name]=$value; done <<<"$out"
ratio() { python3 -c "print(f'{float($1) / max(float($2), 0.001):.2f}')"; }
printf '%-28s %10s %10s %8s\n' '' alembic diff ratio
printf '%-28s %10s %10s %8s\n' 'wall ms (median)' "${a6[alembic_ms]}" "${a6[diff_ms]}" "$(ratio "${a6[diff_ms]}" "${a6[alembic_ms]}")"
printf '%-28s %10s %10s %8s\n' 'CPU ms (median)' "${a6[alembic_cpu_ms]}" "${a6[diff_cpu_ms]}" "$(ratio "${a6[diff_cpu_ms]}" "${a6[alembic_cpu_ms]}")"
echo "differences found: Alembic ${a6[alembic_differences]}, migrate.diff ${a6[diff_ops]} ops (a column's type and nullability are separate ops)"
echo "tenth diff against the first: wall ${a6[diff_last_ms]} / ${a6[diff_first_ms]} ms = $(ratio "${a6[diff_last_ms]}" "${a6[diff_first_ms]}"), CPU ${a6[diff_last_cpu_ms]} / ${a6[diff_first_cpu_ms]} ms = $(ratio "${a6[diff_last_cpu_ms]}" "${a6[diff_first_cpu_ms]}")"
echo "migrate.model() of the 202 live tables after the ${a6[rounds]} diffs: ${a6[model_ms]} ms, CPU ${a6[model_cpu_ms]} ms (in the server, medians of 7)"
echo "all rounds (ms): alembic ${a6[alembic_all]}; diff ${a6[diff_all]}"
echo "load average ${load0} before, ${load1} after"
