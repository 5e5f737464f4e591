#!/usr/bin/env bash
# Build migrate_ext (release) and install it into a PostgreSQL server:
#   bash scripts/install.sh [15|16|18]     (default 15: Debian's server;
# 16 and 18: the installs scripts/setup.sh puts under /opt/migrate_ext)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
pg_use "${1:-15}"
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
if ! cargo pgrx install --release --pg-config "$PG_CONFIG" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "install: cargo pgrx install failed" >&2
    exit 1
fi
grep -E 'Finished installing' "$log" || true
rm -f "$log"
