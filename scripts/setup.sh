#!/usr/bin/env bash
# Install what building and testing migrate_ext needs on Debian 12, as root.
# Idempotent: installs only what is missing. Never lets pgrx download anything.
set -euo pipefail

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev clang pkg-config sudo
          build-essential libssl-dev ca-certificates)

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: Rust (cargo, 1.85 or newer) is required; install it with rustup first." >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.1'; then
    echo "== installing cargo-pgrx 0.18.1 (about 3 minutes)"
    cargo install cargo-pgrx --version 0.18.1 --locked --quiet
fi

if ! grep -qs "^pg15 = \"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
    cargo pgrx init --pg15="$PG_CONFIG" >/dev/null
fi
