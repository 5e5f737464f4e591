#!/usr/bin/env bash
# The release package installs without Rust: unpack it into a clean copy of
# the PostgreSQL 18 install, run its install.sh with no cargo, rustc or
# pgrx on the PATH, start a server from the copy, and CREATE EXTENSION;
# then run the pg_regress stories against that release build.
#   tests/package.sh WORK PORT PACKAGE    (PACKAGE: scripts/package.sh 18's tarball)
set -euo pipefail
WORK=$1
PORT=$2
PACKAGE=$(realpath "$3")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/cluster.sh"
version=$(tar -tzf "$PACKAGE" | sed -n '1s/^migrate_ext-[^/]*-pg\([0-9]*\)-.*/\1/p')
[ -n "$version" ] || { echo "not a migrate_ext package: $PACKAGE"; exit 1; }
crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
rm -rf "$WORK"
mkdir -p "$WORK/unpacked" "$WORK/bin"
chmod 755 "$WORK"

# what the package holds
listing=$(tar -tzf "$PACKAGE" | grep -v '/$' | sed 's|^[^/]*/||' | sort)
expected=$(printf '%s\n' install.sh pkglibdir/migrate_ext.so sharedir/extension/migrate_ext.control \
    "sharedir/extension/migrate_ext--$crate_version.sql" \
    $(cd "$ROOT/sql" && ls migrate_ext--*--*.sql | sed 's|^|sharedir/extension/|') | sort)
if [ "$listing" != "$expected" ]; then
    echo "the package holds:"; echo "$listing"; echo "expected:"; echo "$expected"; exit 1
fi
echo "package holds $(echo "$listing" | tr '\n' ' ')"

# a PATH with only the tools install.sh, the server and this test need: no cargo
for t in sh tar gzip cp chmod chown sed dirname mkdir cat rm runuser id grep paste ls sort diff head tail; do
    ln -s "$(command -v "$t")" "$WORK/bin/$t"
done
pgc=$(server_copy "$version" "$WORK/server")
pg_use "$version" "$pgc"
if PATH=$WORK/bin command -v cargo >/dev/null; then echo "cargo is on the test PATH"; exit 1; fi
(cd "$WORK/unpacked" && PATH=$WORK/bin tar -xzf "$PACKAGE" && PATH=$WORK/bin sh ./*/install.sh "$pgc")

trap 'cluster_stop "$WORK/pg"' EXIT
PATH=$WORK/bin cluster_start "$WORK/pg" "$PORT"
export PATH="$PG_BIN:$WORK/bin"
out=$(psql -X -At -v ON_ERROR_STOP=1 -d postgres \
    -c "CREATE EXTENSION migrate_ext" \
    -c "SELECT extversion FROM pg_extension WHERE extname = 'migrate_ext'" \
    -c "SELECT migrate.revision('t', '[{\"op\": \"create_enum\", \"name\": \"e\", \"values\": [\"a\"]}]', id => 'r1')" \
    -c "SELECT migrate.upgrade('head')" \
    -c "SELECT count(*) FROM migrate.verify()" \
    -c "SELECT string_agg(source || '-' || target, ',' ORDER BY source) FROM pg_extension_update_paths('migrate_ext') WHERE path IS NOT NULL AND target = '$crate_version'" \
    -c "DROP EXTENSION migrate_ext" 2>&1 | grep -vE "^(NOTICE|CREATE EXTENSION|DROP EXTENSION)")
echo "$out"
expected_out=$(printf '%s\n' "$crate_version" r1 r1 0 \
    "$(cd "$ROOT/sql" && ls migrate_ext--*--*.sql | sed 's/migrate_ext--\(.*\)--.*\.sql/\1-'"$crate_version"'/' | sort | paste -sd,)")
[ "$out" = "$expected_out" ] || { echo "expected:"; echo "$expected_out"; exit 1; }
echo "CREATE EXTENSION from the package works on PostgreSQL $version without cargo"

# every story against the release build
tests=$(stories "$ROOT/tests")
mkdir -p "$WORK/regress"
"$PG_REGRESS" --use-existing --bindir="$PG_BIN" --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --dbname=postgres --inputdir="$ROOT/tests" --outputdir="$WORK/regress" $tests >"$WORK/regress.out" 2>&1 \
    || { cat "$WORK/regress.out"; head -200 "$WORK/regress/regression.diffs" 2>/dev/null; exit 1; }
grep -E 'tests? (passed|failed)|All [0-9]+ tests' "$WORK/regress.out" || tail -3 "$WORK/regress.out"
