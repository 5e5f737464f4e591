#!/usr/bin/env bash
# Build an installable package of migrate_ext for one PostgreSQL version:
#   bash scripts/package.sh [15|16|18]        (default 15)
# prints the path of target/package/migrate_ext-<version>-pg<NN>-<arch>.tar.gz,
# which holds one directory:
#   pkglibdir/migrate_ext.so              -> $(pg_config --pkglibdir)/
#   sharedir/extension/migrate_ext.control, migrate_ext--<version>.sql and
#   the upgrade scripts migrate_ext--<from>--<to>.sql
#                                         -> $(pg_config --sharedir)/extension/
#   install.sh                            copies both, with no cargo needed
# PROFILE=debug builds a debug package (faster to build; the tests use it).
# The package is built against the server scripts/setup.sh installed for
# that version; it fits any build of the same major version.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/cluster.sh
export PATH="$HOME/.cargo/bin:$PATH"
version=${1:-15}
pg_use "$version"
PROFILE=${PROFILE:-release}

crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
name=migrate_ext-$crate_version-pg$version-$(uname -m)
[ "$PROFILE" = release ] || name=$name-$PROFILE
out=$ROOT/target/package
build=$out/$name.build
rm -rf "$build" "${out:?}/$name" "$out/$name.tar.gz"
mkdir -p "$out"

args=(--pg-config "$PG_CONFIG" --out-dir "$build")
[ "$PROFILE" = release ] || args+=(--debug)
log=$(mktemp)
if ! cargo pgrx package "${args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "package: cargo pgrx package failed" >&2
    exit 1
fi
rm -f "$log"

# cargo pgrx package mirrors the build machine's absolute paths: move the
# files to paths relative to the server's own directories
pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
mkdir -p "$out/$name/pkglibdir" "$out/$name/sharedir/extension"
mv "$build$pkglibdir/migrate_ext.so" "$out/$name/pkglibdir/"
mv "$build$sharedir/extension/"migrate_ext* "$out/$name/sharedir/extension/"
rm -rf "$build"
for f in migrate_ext.control "migrate_ext--$crate_version.sql" sql/migrate_ext--*--*.sql; do
    [ -f "$out/$name/sharedir/extension/$(basename "$f")" ] \
        || { echo "package: $(basename "$f") is missing from the package" >&2; exit 1; }
done

cat >"$out/$name/install.sh" <<'SH'
#!/bin/sh
# Install migrate_ext into a PostgreSQL server: copies the library into
# $(pg_config --pkglibdir) and the control and SQL files into
# $(pg_config --sharedir)/extension. Run as a user who may write there:
#   sh install.sh [path/to/pg_config]      (default: pg_config on the PATH)
set -eu
PG_CONFIG=${1:-${PG_CONFIG:-pg_config}}
here=$(dirname "$0")
want=@PG_MAJOR@
have=$("$PG_CONFIG" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
if [ "$have" != "$want" ]; then
    echo "install.sh: this package is for PostgreSQL $want, but $PG_CONFIG is PostgreSQL $have" >&2
    exit 1
fi
pkglibdir=$("$PG_CONFIG" --pkglibdir)
extdir=$("$PG_CONFIG" --sharedir)/extension
cp "$here/pkglibdir/migrate_ext.so" "$pkglibdir/"
cp "$here/sharedir/extension/"migrate_ext* "$extdir/"
chmod 644 "$pkglibdir/migrate_ext.so" "$extdir/"migrate_ext*
echo "installed migrate_ext into $pkglibdir and $extdir"
SH
sed -i "s/@PG_MAJOR@/$version/" "$out/$name/install.sh"
chmod 755 "$out/$name/install.sh"
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
rm -rf "${out:?}/$name"
echo "$out/$name.tar.gz"
