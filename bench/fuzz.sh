#!/usr/bin/env bash
# The long fuzz run: tests/fuzz.py for 10 minutes (not a test layer; the
# test suite runs the same target for about 60 seconds).
#
# Usage: bash bench/fuzz.sh [SECONDS] [SEED]
#   SECONDS  time budget (default 600, or $FUZZ_SECONDS)
#   SEED     seed (default random, printed; or $FUZZ_SEED)
#   FUZZ_JOBS=N runs N fuzzers at once, seeds SEED, SEED+1, ... (default 1)
#   FUZZ_ARGS adds options (e.g. "--batch 300 --minimize-seconds 60")
# Needs the extension installed (scripts/install.sh); starts its own
# cluster. Exits non-zero when any fuzzer found a failure class.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_BUDGET=${1:-${FUZZ_SECONDS:-600}}
SEED=${2:-${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}}
JOBS=${FUZZ_JOBS:-1}
WORK=$(mktemp -d /tmp/migrate_ext_fuzz.XXXXXX)
chmod 755 "$WORK"
. scripts/cluster.sh
trap 'cluster_stop "$WORK/pg"; rm -rf "$WORK"' EXIT
cluster_start "$WORK/pg" "${FUZZ_PORT:-55435}"

echo "fuzz: $JOBS job(s), $SECONDS_BUDGET s, seed $SEED"
pids=()
for j in $(seq 0 $((JOBS - 1))); do
    # shellcheck disable=SC2086
    python3 tests/fuzz.py --seconds "$SECONDS_BUDGET" --seed "$((SEED + j))" \
        --server-log "$WORK/pg/server.log" ${FUZZ_ARGS:-} >"$WORK/fuzz.$j.out" 2>&1 &
    pids+=($!)
done
status=0
for j in $(seq 0 $((JOBS - 1))); do
    wait "${pids[$j]}" || status=1
    echo "== job $j (seed $((SEED + j)))"
    cat "$WORK/fuzz.$j.out"
done
exit $status
