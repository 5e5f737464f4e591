#!/usr/bin/env bash
# Build migrate_ext (release) and install it into the PostgreSQL 15 server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log=$(mktemp)
if ! cargo pgrx install --release --pg-config /usr/lib/postgresql/15/bin/pg_config >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "install: cargo pgrx install failed" >&2
    exit 1
fi
grep -E 'Finished installing' "$log" || true
rm -f "$log"
