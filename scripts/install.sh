#!/usr/bin/env bash
# Build migrate_ext (release) and install it into the PostgreSQL 15 server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo pgrx install --release --pg-config /usr/lib/postgresql/15/bin/pg_config 2>&1 \
    | grep -E 'Installing|Finished installing|error|warning' || true
test -f /usr/share/postgresql/15/extension/migrate_ext--0.1.0.sql
