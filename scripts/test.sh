#!/usr/bin/env bash
# Every test layer: formatting and lints, Rust unit and property tests,
# pg_regress stories against a real PostgreSQL 15, concurrency with real
# sessions, a fuzz target (tests/fuzz.py), and pg_dump/pg_restore. Ends
# with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

passed=0
failed=0
layer() { # name command...
    local name=$1; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); echo "-- $name: ok"
    else failed=$((failed + 1)); echo "-- $name: FAILED"; fi
}

layer "cargo fmt" cargo fmt --check
layer "cargo clippy" cargo clippy --quiet --all-targets -- -D warnings
layer "unit and property tests" cargo test --quiet --lib
bash scripts/install.sh

WORK=$(mktemp -d /tmp/migrate_ext_test.XXXXXX)
chmod 755 "$WORK"
. scripts/cluster.sh
trap 'cluster_stop "$WORK/pg"' EXIT
cluster_start "$WORK/pg" "${TEST_PORT:-55433}"

regress() {
    local tests
    tests=$(cd tests/sql && ls *.sql | sed 's/\.sql$//' | sort)
    rm -rf tests/results tests/regression.diffs tests/regression.out
    /usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
        --use-existing --bindir=/usr/lib/postgresql/15/bin \
        --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=postgres \
        --inputdir=tests --outputdir=tests $tests \
        || { [ -f tests/regression.diffs ] && head -200 tests/regression.diffs; return 1; }
}
layer "pg_regress" regress
layer "concurrency" bash tests/concurrency.sh
# generated hostile op documents, about a minute (bench/fuzz.sh runs longer);
# FUZZ_SEED=N replays a run, FUZZ_SECONDS changes the budget
layer "fuzz" python3 tests/fuzz.py --seconds "${FUZZ_SECONDS:-60}" ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    --server-log "$WORK/pg/server.log"
layer "dump and restore" bash tests/dump_restore.sh "$WORK"

echo
echo "test layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
