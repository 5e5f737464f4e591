#!/usr/bin/env bash
# A migrations folder round trip against a real server (the cluster in
# PGHOST/PGPORT): scripts/migrations.sh export writes one file per revision;
# apply on another database stores an identical revision table (every
# column, created_at and checksum included) and the same schema; a second
# export is identical byte for byte; apply is idempotent; check fails when
# the folder and the database disagree or the folder has several heads; a
# file whose revision is stored with other content is refused (23505) with
# its name; the documented psql-only bootstrap does what apply does.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-$(mktemp -d)}
rm -rf "$WORK"; mkdir -p "$WORK"
DUMP=${PG_BIN:+$PG_BIN/}pg_dump
A=mig_a_$$ B=mig_b_$$ C=mig_c_$$ D=mig_d_$$
dbs="$A $B $C $D"
cleanup() { for d in $dbs; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
for d in $dbs; do psql -X -q -d postgres -c "CREATE DATABASE $d"; done
M="bash scripts/migrations.sh"
export PGOPTIONS="-c client_min_messages=warning"
fail() { echo "FAILED: $*"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 -d "$A" >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext;
SELECT migrate.revision('add my_enum_column', '[
  {"op": "create_table", "name": "my_table", "columns": [{"name": "id", "type": "int", "nullable": false}], "primary_key": ["id"]},
  {"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2", "option3"]},
  {"op": "add_column", "table": "my_table",
   "column": {"name": "my_enum_column", "type": "my_enum_type", "nullable": false, "server_default": "option1"}}]',
  id => 'a1');
SELECT migrate.revision(E'it''s a \\ "quoted"\nmessage', '[{"op": "execute", "sql": "CREATE TABLE prices (p numeric DEFAULT 1.10)", "down": "DROP TABLE prices"}]',
  id => 'a2');
-- a branch with two labels, and one with a dependency on it
SELECT migrate.revision('feature table', '[{"op": "create_table", "name": "feature", "columns": [{"name": "id", "type": "int"}]}]',
  id => 'f1', down_revision => 'a2', branch_labels => '{feature,feat2}');
SELECT migrate.revision('other side', '[{"op": "execute", "sql": "CREATE VIEW v AS SELECT 1 AS one", "down": "DROP VIEW v"}]',
  id => 'o1', down_revision => 'a2', depends_on => '{a1}');
SELECT migrate.merge(ARRAY['o1', 'f1'], 'join the branches', 'm1');
SELECT migrate.revision('after the merge', '[{"op": "add_column", "table": "feature", "column": {"name": "n", "type": "bigint"}}]',
  id => 'z9');
SELECT migrate.upgrade('head');
SQL

rows() { # every column of every revision, checksum and created_at included
    psql -X -At -d "$1" -c "SELECT json_agg(r ORDER BY r.id) FROM migrate.revisions r"
}
schema() { "$DUMP" -s -n public -d "$1" | grep -v '^--' | grep -v '^$' | grep -v '^\\\(un\)\{0,1\}restrict'; }

# export, and again: the same bytes
PGDATABASE=$A $M export "$WORK/m1"
ls "$WORK/m1" > "$WORK/m1.list"
expected_list=$'0001_a1_add_my_enum_column.sql\n0002_a2_it_s_a_quoted_message.sql\n0003_f1_feature_table.sql\n0004_o1_other_side.sql\n0005_m1_join_the_branches.sql\n0006_z9_after_the_merge.sql'
[ "$(cat "$WORK/m1.list")" = "$expected_list" ] || { cat "$WORK/m1.list"; fail "unexpected file names"; }
PGDATABASE=$A $M export "$WORK/m1b"
diff -r "$WORK/m1" "$WORK/m1b" || fail "a second export differs"
grep -q "down_revisions => ARRAY\['f1', 'o1'\]" "$WORK/m1/0005_m1_join_the_branches.sql" || fail "the merge file does not name both parents"
# a range: only those revisions, numbered within it
PGDATABASE=$A $M export "$WORK/range" f1:head >/dev/null
[ "$(ls "$WORK/range" | tr '\n' ' ')" = "0001_f1_feature_table.sql 0002_m1_join_the_branches.sql 0003_z9_after_the_merge.sql " ] ||
    { ls "$WORK/range"; fail "unexpected files for the range f1:head"; }
echo "export: one file per revision, stable byte for byte"

# the folder agrees with its database
PGDATABASE=$A $M check "$WORK/m1"

# apply to a fresh database: same revisions, same checksums, same schema
PGDATABASE=$B $M apply "$WORK/m1"
[ "$(rows "$A")" = "$(rows "$B")" ] || { diff <(rows "$A") <(rows "$B"); fail "revision tables differ"; }
[ -z "$(psql -X -At -d "$B" -c "SELECT * FROM migrate.verify()")" ] || fail "verify() reports changes"
diff <(schema "$A") <(schema "$B") || fail "schemas differ"
[ "$(psql -X -At -d "$B" -c "SELECT migrate.current()")" = z9 ] || fail "not at head"
PGDATABASE=$B $M export "$WORK/m2"
diff -r "$WORK/m1" "$WORK/m2" || fail "the export of the applied folder differs"
echo "apply: identical revision table (checksums, created_at), schema and export"

# apply again: nothing new, nothing run
out=$(PGDATABASE=$B $M apply "$WORK/m1" 2>&1)
echo "$out" | grep -q "0 new revision(s)" || { echo "$out"; fail "a second apply stored something"; }
PGDATABASE=$B $M check "$WORK/m1"

# a file changed after its revision was stored: refused, naming the file
cp -r "$WORK/m1" "$WORK/bad"
sed -i 's/DEFAULT 1.10/DEFAULT 1.20/' "$WORK/bad/0002_a2_it_s_a_quoted_message.sql"
if out=$(PGDATABASE=$B $M apply "$WORK/bad" 2>&1); then echo "$out"; fail "apply took a changed file"; fi
echo "$out" | grep -q "0002_a2_it_s_a_quoted_message.sql:.*ERROR:  revision a2 already exists" ||
    { echo "$out"; fail "the error does not name the file"; }
if out=$(PGDATABASE=$B $M check "$WORK/bad" 2>&1); then echo "$out"; fail "check passed a changed file"; fi
echo "$out" | grep -q "0002_a2_it_s_a_quoted_message.sql" || { echo "$out"; fail "check does not name the file"; }
echo "a changed file is refused, naming it"

# a revision only in the database, or only in the folder; several heads
psql -X -q -v ON_ERROR_STOP=1 -d "$B" -c "SELECT migrate.revision('db only', id => 'x1')" >/dev/null
if out=$(PGDATABASE=$B $M check "$WORK/m1" 2>&1); then echo "$out"; fail "check missed a revision not in the folder"; fi
echo "$out" | grep -q "not in the folder: x1" || { echo "$out"; fail "check does not name x1"; }
PGDATABASE=$B $M export "$WORK/m3" >/dev/null
[ "$(ls "$WORK/m3" | wc -l)" = 7 ] || fail "export did not add x1"
PGDATABASE=$B $M export "$WORK/m1b" >/dev/null   # over an older folder: the same as a fresh one
diff -r "$WORK/m3" "$WORK/m1b" || fail "exporting over an existing folder differs"
if out=$(PGDATABASE=$A $M check "$WORK/m3" 2>&1); then echo "$out"; fail "check missed a revision not in the database"; fi
echo "$out" | grep -q "not in the database: x1" || { echo "$out"; fail "check does not name x1"; }
cp -r "$WORK/m1" "$WORK/twoheads"
rm "$WORK/twoheads"/000[56]_*
if out=$(PGDATABASE=$C $M check "$WORK/twoheads" 2>&1); then echo "$out"; fail "check missed two heads"; fi
psql -X -q -d "$C" -c "CREATE EXTENSION migrate_ext"
out=$(PGDATABASE=$C $M check "$WORK/twoheads" 2>&1) && fail "check missed two heads"
echo "$out" | grep -q "heads: f1, o1" || { echo "$out"; fail "check does not name the heads"; }
echo "check: disagreements and several heads fail"

# apply --each (CALL migrate.run) up to a target, then on to head
PGDATABASE=$C $M apply --each "$WORK/m1" a2 | grep -q "at: a2" || fail "apply --each a2"
PGDATABASE=$C $M apply --each "$WORK/m1" | grep -q "at: z9" || fail "apply --each head"
diff <(schema "$A") <(schema "$C") || fail "schemas differ after apply --each"

# the bootstrap without this script, as docs/workflow.md shows it
psql -X -q -d "$D" -c "CREATE EXTENSION IF NOT EXISTS migrate_ext"
for f in "$WORK"/m1/[0-9]*_*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$D" -f "$f" >/dev/null
done
psql -X -q -v ON_ERROR_STOP=1 -d "$D" -c "SELECT migrate.upgrade('head')" >/dev/null
[ "$(rows "$A")" = "$(rows "$D")" ] || fail "psql bootstrap: revision tables differ"
diff <(schema "$A") <(schema "$D") || fail "psql bootstrap: schemas differ"
echo "bootstrap with psql alone: the same"

# and back down to base
psql -X -q -v ON_ERROR_STOP=1 -d "$D" -c "SELECT migrate.downgrade('base')" >/dev/null
[ -z "$(psql -X -At -d "$D" -c "SELECT migrate.current()")" ] || fail "not at base"
[ -z "$(psql -X -At -d "$D" -c "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public' AND true")" ] ||
    fail "downgrade to base left tables"
echo "migrations folder: all good"
