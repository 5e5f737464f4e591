#!/usr/bin/env bash
# Upgrading the extension itself. The first release, 0.1.0 (commit 49e7408,
# tagged v0.1.0), is built from its own sources and installed into a private
# copy of PostgreSQL 15 (running backends elsewhere must not see their
# library replaced); a database stores and applies revisions with it. Then
# the current package is installed over it, the server restarts, and after
# ALTER EXTENSION migrate_ext UPDATE: the version is the current one;
# revisions, history, version, applied checksums and log are unchanged;
# verify() is clean; upgrade and downgrade work; and the extension's objects
# equal those of a fresh CREATE EXTENSION in another database.
#   tests/upgrade.sh WORK PORT PACKAGE    (PACKAGE: scripts/package.sh 15's tarball)
# 0.1.0 builds only for PostgreSQL 15.
set -euo pipefail
WORK=$1
PORT=$2
PACKAGE=$(realpath "$3")
RELEASE=49e7408
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/cluster.sh"
pg_use 15
export PATH="$HOME/.cargo/bin:$PATH"
current=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)

# 0.1.0 from its own sources; CI clones without tags, so by commit
git -C "$ROOT" cat-file -e "$RELEASE^{commit}" 2>/dev/null \
    || { echo "commit $RELEASE (v0.1.0) is not in this clone (a shallow clone?)"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK/src"
chmod 755 "$WORK"
git -C "$ROOT" archive "$RELEASE" | tar -x -C "$WORK/src"
grep -q '^version = "0.1.0"' "$WORK/src/Cargo.toml"
start=$SECONDS
# (no debug info: the old sources' own profile would keep all of it)
if ! (cd "$WORK/src" && CARGO_TARGET_DIR="$ROOT/target/v0.1.0" CARGO_PROFILE_DEV_DEBUG=false \
        cargo pgrx package --debug --pg-config "$PG_CONFIG" --out-dir "$WORK/pkg-0.1.0") \
        >"$WORK/build-0.1.0.log" 2>&1; then
    tail -50 "$WORK/build-0.1.0.log"; echo "building 0.1.0 failed"; exit 1
fi
echo "built 0.1.0 in $((SECONDS - start))s"
if [ "${CI:-}" = true ]; then rm -rf "$ROOT/target/v0.1.0"; fi

# a private copy of the server, with 0.1.0 in it
pgc=$(server_copy 15 "$WORK/server")
cp "$WORK/pkg-0.1.0$("$PG_CONFIG" --pkglibdir)/migrate_ext.so" "$("$pgc" --pkglibdir)/"
cp "$WORK/pkg-0.1.0$("$PG_CONFIG" --sharedir)/extension/"migrate_ext* "$("$pgc" --sharedir)/extension/"
pg_use 15 "$pgc"
export PATH="$PG_BIN:$PATH"
trap 'cluster_stop "$WORK/pg"' EXIT
cluster_start "$WORK/pg" "$PORT"

psql -X -q -d postgres -c "CREATE DATABASE upgraded" -c "CREATE DATABASE fresh"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d upgraded >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext VERSION '0.1.0';
SELECT migrate.revision('account', '[{"op": "execute", "sql": "CREATE TABLE account (id int PRIMARY KEY)"}]',
    '[{"op": "execute", "sql": "DROP TABLE account"}]', id => 'a1');
SELECT migrate.revision('status', '[{"op": "create_enum", "name": "status", "values": ["new", "done"]},
    {"op": "add_column", "table": "account", "column": {"name": "status", "type": "status"}}]', id => 'b2');
SELECT migrate.revision('cart', '[{"op": "execute", "sql": "CREATE TABLE cart (id int)"}]',
    '[{"op": "execute", "sql": "DROP TABLE cart"}]', id => 'c3', down_revision => 'a1', branch_label => 'shop');
SELECT migrate.merge(id => 'd4');
SELECT migrate.revision('network', '[{"op": "execute", "sql": "CREATE TABLE ip (id int)"}]',
    '[{"op": "execute", "sql": "DROP TABLE ip"}]', id => 'n1', down_revision => 'base', branch_label => 'net');
SELECT migrate.revision('count', '[{"op": "add_column", "table": "cart", "column": {"name": "n", "type": "int"}}]',
    id => 'e5', down_revision => 'd4', depends_on => ARRAY['n1']);
SELECT migrate.revision('pending', '[{"op": "create_index", "name": "cart_n_idx", "table": "cart", "columns": ["n"]}]',
    id => 'f6', down_revision => 'e5');
SELECT migrate.upgrade('heads');
SELECT migrate.downgrade('e5');
SQL

q() { psql -X -At -v ON_ERROR_STOP=1 -d "${DB:-upgraded}" "$@"; }
state() {
    q -c "SELECT json_agg(json_build_array(r.id, r.down_revision, r.branch_labels, r.depends_on,
                 r.message, r.upgrade, r.downgrade, r.created_at) ORDER BY r.id) FROM migrate.revisions r" \
      -c "SELECT json_agg(v ORDER BY v.version_num) FROM migrate.version v" \
      -c "SELECT json_agg(json_build_array(a.revision, a.checksum, a.applied_at) ORDER BY a.revision)
            FROM migrate.applied a" \
      -c "SELECT json_agg(l ORDER BY l.id) FROM migrate.log l" \
      -c "SELECT json_agg(h) FROM migrate.history() h" \
      -c "SELECT json_agg(b) FROM migrate.branches() b" \
      -c "SELECT string_agg(h, ',' ORDER BY h) FROM migrate.heads() h" \
      -c "SELECT count(*) FROM migrate.verify()" \
      -c "SELECT last_value FROM migrate.log_id_seq"
}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[ "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'migrate_ext'")" = 0.1.0 ] \
    || fail "the extension was not created at 0.1.0"
before=$(state)
[ "$(q -c "SELECT count(*) FROM migrate.log")" = 8 ] || fail "expected 8 log rows under 0.1.0"

# the current build over it
cluster_stop "$WORK/pg"
mkdir -p "$WORK/pkg"
tar -xzf "$PACKAGE" -C "$WORK/pkg"
sh "$WORK"/pkg/*/install.sh "$pgc" >/dev/null
cluster_start "$WORK/pg" "$PORT"

paths=$(q -c "SELECT string_agg(source || '->' || target, ',') FROM pg_extension_update_paths('migrate_ext') WHERE path IS NOT NULL AND source = '0.1.0'")
echo "update paths from 0.1.0: $paths"
q -q -c "ALTER EXTENSION migrate_ext UPDATE" || fail "ALTER EXTENSION migrate_ext UPDATE failed"
version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'migrate_ext'")
[ "$version" = "$current" ] || fail "extension version after the update: $version, expected $current"

after=$(state)
if [ "$before" != "$after" ]; then
    fail "the migration history changed in the update:"; diff <(echo "$before") <(echo "$after") || true
else
    echo "revisions, version, applied checksums, log, history, branches, heads and verify() unchanged"
fi

# 0.2.0 stores each revision's checksum: it equals what 0.1.0 recorded
[ "$(q -c "SELECT count(*) FROM migrate.applied a JOIN migrate.revisions r ON r.id = a.revision
           WHERE r.checksum = a.checksum")" = "$(q -c "SELECT count(*) FROM migrate.applied")" ] \
    || fail "stored checksums differ from those 0.1.0 recorded"

# it still runs: the pending revision, back, a new one, and down across
# the merge (log rows: f6 up, f6 down, f6 and g7 up, g7 f6 e5 down, e5 f6
# g7 up: 10 more). The heads in each result, sorted.
failed_before=$failures
out=$(q -c "SELECT migrate.upgrade('heads')" -c "SELECT migrate.downgrade('e5')" \
        -c "SELECT migrate.revision('after the update', '[{\"op\": \"add_column\", \"table\": \"account\", \"column\": {\"name\": \"note\", \"type\": \"text\"}}]', id => 'g7', down_revision => 'f6')" \
        -c "SELECT migrate.upgrade('heads')" -c "SELECT migrate.downgrade('d4')" -c "SELECT migrate.upgrade('heads')" 2>&1 \
      | grep -v NOTICE | while read -r line; do tr , '\n' <<<"$line" | sort | paste -sd,; done) \
    || fail "upgrade/downgrade after the update failed: $out"
[ "$out" = $'f6,n1\ne5,n1\ng7\ng7,n1\nd4,n1\ng7,n1' ] \
    || fail "unexpected results of upgrade/downgrade after the update: $(echo "$out" | tr '\n' ' ')"
[ "$(q -c "SELECT count(*) FROM migrate.verify()")" = 0 ] || fail "verify() reports problems after the runs"
[ "$(q -c "SELECT count(*) FROM migrate.log")" = 18 ] \
    || fail "expected 18 log rows, found $(q -c "SELECT count(*) FROM migrate.log")"
[ "$(q -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'cart_n_idx'")" = 1 ] || fail "f6 is not applied"
[ "$failures" != "$failed_before" ] || echo "upgrade and downgrade work after the update"

# the same objects as a fresh CREATE EXTENSION
DB=fresh q -q -c "CREATE EXTENSION migrate_ext"
upgraded_objects=$(q -f "$ROOT/tests/helpers/extension_objects.sql")
fresh_objects=$(DB=fresh q -f "$ROOT/tests/helpers/extension_objects.sql")
if [ "$upgraded_objects" != "$fresh_objects" ]; then
    fail "the updated extension differs from a fresh CREATE EXTENSION ($current):"
    diff -u --label "0.1.0 updated" --label "fresh $current" <(echo "$upgraded_objects") <(echo "$fresh_objects") || true
    echo "(sql/migrate_ext--0.1.0--$current.sql must make these equal)"
else
    echo "the updated extension's $(echo "$fresh_objects" | grep -c '^') catalog lines equal a fresh CREATE EXTENSION"
fi
[ -n "$fresh_objects" ] && echo "$fresh_objects" | grep -q '^function migrate.upgrade(text)' \
    || fail "the objects helper listed no functions"

echo "upgrade: $failures failure(s)"
[ "$failures" -eq 0 ]
