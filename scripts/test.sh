#!/usr/bin/env bash
# Every test layer. Once: formatting and lints, Rust unit and property
# tests, the shell's in-process #[pg_test]s on PostgreSQL 15. Then on each PostgreSQL version (15, 16, 18), against a real server:
# pg_regress stories, concurrency with real sessions, lock waits and
# concurrent index builds with real sessions (tests/locks.sh), a fuzz target
# (tests/fuzz.py: 5,000 hostile op documents from a fixed seed per version,
# so a run is repeatable; bench/fuzz.sh explores with random seeds),
# pg_dump/pg_restore, an enum swap and its downgrade leaving pg_dump -s
# unchanged, a migrations folder exported and applied (tests/migrations.sh),
# a hot standby; on 15 the extension upgrade from 0.1.0 and an Alembic
# project imported and compared with Alembic's own run (tests/alembic.sh,
# which makes a virtualenv with pinned Alembic), on 18 the release
# package installed without Rust. Ends with "N passed, N failed".
#
# Each version's server is a private copy of its install (see server_copy in
# scripts/cluster.sh) with the extension installed from a package, so the
# tests never write into a server install that anything else uses.
#   TEST_VERSIONS="15 18"   only these versions
#   TEST_PORT=55433         first of the four ports each version uses in turn
#   FUZZ_SEED=N FUZZ_COUNT=N   other fuzz documents (default: seed = the version, 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# On CI (CI=true, a fresh clone that is thrown away): no incremental
# compilation caches, and each layer's own target directory (the
# #[pg_test] build, 0.1.0 for the upgrade test) is removed once the layer
# is done, so that the whole run fits on a small disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
. scripts/cluster.sh
BASE_PATH=$PATH
VERSIONS=${TEST_VERSIONS:-$PG_VERSIONS}
PORT=${TEST_PORT:-55433}
START=$SECONDS

passed=0
failed=0
layer() { # name command...
    local name=$1 start=$SECONDS; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); echo "-- $name: ok ($((SECONDS - start))s)"
    else failed=$((failed + 1)); echo "-- $name: FAILED ($((SECONDS - start))s)"; fi
}

layer "cargo fmt" cargo fmt --check
layer "cargo clippy" cargo clippy --quiet --all-targets -- -D warnings
layer "unit and property tests" cargo test --quiet --lib

WORK=$(mktemp -d /tmp/migrate_ext_test.XXXXXX)
chmod 755 "$WORK"

# In-process tests of the shell (#[pg_test]: the error boundary, the
# subtransaction wrapper, the catalog reader), run by `cargo pgrx test` in a
# server copy of their own (PGRX_HOME points pgrx at it) as user postgres.
# pgrx builds against the copy's pg_config, which reports the copy's own
# include directory: the server headers go into the copy too. A target
# directory of its own keeps the other layers' builds (against the system
# pg_config) from being redone.
pg_tests() {
    local pgc home=$WORK/pgrx-home
    pg_use 15
    pgc=$(server_copy 15 "$WORK/server-pgtest") || return 1
    mkdir -p "$WORK/server-pgtest/usr/include"
    cp -a /usr/include/postgresql "$WORK/server-pgtest/usr/include/"
    mkdir -p "$home" "$WORK/pgtest"
    printf '[configs]\npg15 = "%s"\n' "$pgc" >"$home/config.toml"
    chown postgres "$WORK/pgtest"
    PGRX_HOME=$home CARGO_TARGET_DIR="$ROOT/target/pg_test" \
        cargo pgrx test pg15 --runas postgres --pgdata "$WORK/pgtest/data"
}
layer "in-process tests of the shell (15)" pg_tests
if [ "${CI:-}" = true ]; then rm -rf "$ROOT/target/pg_test" "$WORK/server-pgtest" "$WORK/pgtest"; fi
finish() {
    cluster_stop "$WORK/pg$PG_VERSION"
    if [ "${all_passed:-no}" = yes ]; then rm -rf "$WORK"; fi
}
trap finish EXIT

# build VERSION: a debug package for VERSION, installed into a fresh copy
# of that server; leaves PG_* naming the copy and its tarball in $package
build() {
    local v=$1 pgc
    pg_use "$v"
    package=$(PROFILE=debug bash scripts/package.sh "$v") || return 1
    pgc=$(server_copy "$v" "$WORK/server$v") || return 1
    mkdir -p "$WORK/package$v"
    tar -xzf "$package" -C "$WORK/package$v"
    sh "$WORK/package$v"/*/install.sh "$pgc" >/dev/null || return 1
    pg_use "$v" "$pgc"
}

regress() {
    local tests out=tests/results/pg$PG_VERSION
    tests=$(stories tests)
    rm -rf "$out"
    mkdir -p "$out"
    "$PG_REGRESS" --use-existing --bindir="$PG_BIN" \
        --host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=postgres \
        --inputdir=tests --outputdir="$out" $tests \
        || { [ -f "$out/regression.diffs" ] && head -200 "$out/regression.diffs"; return 1; }
}

# the release build, as users install it
package_layer() {
    local release
    release=$(bash scripts/package.sh "$PG_VERSION") || return 1
    bash tests/package.sh "$WORK/release$PG_VERSION" "$((PORT + 3))" "$release"
}

for v in $VERSIONS; do
    echo
    echo "==== PostgreSQL $v"
    vstart=$SECONDS
    export PATH=$BASE_PATH
    layer "build and install ($v)" build "$v" || true
    if [ "${PG_CONFIG#"$WORK"}" = "$PG_CONFIG" ]; then
        echo "-- skipping PostgreSQL $v: the build failed"; failed=$((failed + 1)); continue
    fi
    export PATH="$PG_BIN:$BASE_PATH"
    if ! cluster_start "$WORK/pg$v" "$PORT"; then
        echo "-- skipping PostgreSQL $v: the server did not start"; failed=$((failed + 1)); continue
    fi
    layer "pg_regress ($v)" regress
    layer "concurrency ($v)" bash tests/concurrency.sh
    layer "busy database: lock waits, CALL, concurrent builds ($v)" bash tests/locks.sh
    # shellcheck disable=SC2086
    layer "fuzz ($v)" python3 tests/fuzz.py --seconds 600 --count "${FUZZ_COUNT:-5000}" --seed "${FUZZ_SEED:-$v}" \
        --server-log "$WORK/pg$v/server.log"
    layer "dump and restore ($v)" bash tests/dump_restore.sh "$WORK/dump$v"
    layer "enum swap leaves pg_dump unchanged ($v)" bash tests/enum_swap_dump.sh "$WORK/enumdump$v"
    layer "autogenerate reaches real schemas and back ($v)" bash tests/corpus.sh "$WORK/corpus$v"
    layer "migrations folder ($v)" bash tests/migrations.sh "$WORK/migrations$v"
    layer "hot standby ($v)" bash tests/standby.sh "$WORK/standby$v" "$((PORT + 1))"
    if [ "$v" = 15 ]; then
        layer "extension upgrade from 0.1.0 ($v)" bash tests/upgrade.sh "$WORK/upgrade" "$((PORT + 2))" "$package"
        layer "Alembic import ($v)" bash tests/alembic.sh "$WORK/alembic"
    fi
    if [ "$v" = 18 ]; then
        layer "release package without Rust ($v)" package_layer
    fi
    cluster_stop "$WORK/pg$v"
    echo "==== PostgreSQL $v: $((SECONDS - vstart))s"
done

echo
echo "total: $((SECONDS - START))s"
if [ "$failed" -eq 0 ]; then all_passed=yes
else echo "(the clusters, their logs and the server copies are kept in $WORK)"; fi
echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
