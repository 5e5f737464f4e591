#!/usr/bin/env bash
# Importing an Alembic project, against a real server (the cluster in
# PGHOST/PGPORT). The project is tests/alembic_project (the guide's enum
# revision, a labelled branch, depends_on across the branches, a merge)
# plus 45 generated revisions after it (enums created by create_table and
# by Enum.create(checkfirst=True), columns), 54 in all.
#
# Alembic's own `upgrade head` migrates one database; scripts/import-alembic.py
# writes a migrations folder, which scripts/migrations.sh applies to another.
# The two must have the same ids, parents, labels and dependencies, and the
# same `pg_dump -s` at head, after a downgrade to a middle revision on both,
# after one across the merge and the branches, and at base. Last, the
# database Alembic migrated is adopted: the folder loaded, migrate.stamp()
# at its alembic_version, and migrate.upgrade('head') goes on from there.
#
# Alembic runs from a virtualenv with pinned versions (created in WORK, or
# reused from MIGRATE_ALEMBIC_VENV), plus psycopg2-binary for its online runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${1:-$(mktemp -d)}
rm -rf "$WORK"; mkdir -p "$WORK"
export MIGRATE_ALEMBIC_VENV=${MIGRATE_ALEMBIC_VENV:-$WORK/venv}
export PGOPTIONS="-c client_min_messages=warning"
DUMP=${PG_BIN:+$PG_BIN/}pg_dump
AL=alembic_a_$$ MG=alembic_m_$$
trap 'for d in $AL $MG; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done' EXIT
for d in $AL $MG; do psql -X -q -d postgres -c "CREATE DATABASE $d"; done
fail() { echo "FAILED: $*"; exit 1; }

# the project: the committed one, and 45 generated revisions after its head
cp -r tests/alembic_project "$WORK/project"
python3 - "$WORK/project/versions" <<'PY'
import sys
d = sys.argv[1]
parent = "4d0000000002"
for k in range(1, 46):
    rid = f"5e{k:010d}"
    if k % 3 == 0:   # a table whose enum column creates the type
        up = (f"    op.create_table('t_{k}', sa.Column('id', sa.Integer, primary_key=True),\n"
              f"                    sa.Column('level', sa.Enum('low', 'high', name='level_{k}'), nullable=False))")
        down = (f"    op.drop_table('t_{k}')\n"
                f"    sa.Enum(name='level_{k}').drop(op.get_bind(), checkfirst=True)")
    elif k % 3 == 1:  # the guide's way: the type first, checkfirst, then the column
        up = (f"    e = sa.Enum('a', 'b', 'c', name='kind_{k}')\n"
              f"    e.create(op.get_bind(), checkfirst=True)\n"
              f"    op.add_column('my_table', sa.Column('kind_{k}', e, nullable=False, server_default='b'))")
        down = (f"    op.drop_column('my_table', 'kind_{k}')\n"
                f"    op.execute('DROP TYPE IF EXISTS kind_{k}')")
    else:
        up = f"    op.add_column('account', sa.Column('c_{k}', sa.Integer, server_default='{k}'))"
        down = f"    op.drop_column('account', 'c_{k}')"
    with open(f"{d}/{rid}_generated_{k}.py", "w") as f:
        f.write(f'"""generated revision {k}\n\nRevision ID: {rid}\nRevises: {parent}\n"""\n'
                "from alembic import op\nimport sqlalchemy as sa\n\n"
                f"revision = {rid!r}\ndown_revision = {parent!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
                f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n")
    parent = rid
PY
MIDDLE=5e0000000020
LAST=5e0000000045

# import (creates the virtualenv on first use)
python3 scripts/import-alembic.py -c "$WORK/project/alembic.ini" "$WORK/migrations"
[ "$(ls "$WORK/migrations" | wc -l)" = 54 ] || fail "expected 54 files"
"$MIGRATE_ALEMBIC_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: psycopg2-binary==2.9.10
alembic_cmd() { # database, alembic arguments...
    local db=$1; shift
    (cd "$WORK/project" &&
     ALEMBIC_URL="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT" \
         "$MIGRATE_ALEMBIC_VENV/bin/alembic" -c alembic.ini "$@")
}

# the same graph: ids, parents, labels, dependencies
"$MIGRATE_ALEMBIC_VENV/bin/python" - "$WORK/project/alembic.ini" > "$WORK/graph.alembic" <<'PY'
import sys
from alembic.config import Config
from alembic.script import ScriptDirectory
s = ScriptDirectory.from_config(Config(sys.argv[1]))
def t(x):
    return [] if x is None else [x] if isinstance(x, str) else list(x)
for r in sorted(s.walk_revisions(), key=lambda r: r.revision):
    deps = [s.revision_map.get_revision(d).revision for d in t(r.dependencies)]
    print(r.revision, ",".join(t(r.down_revision)), ",".join(sorted(r._orig_branch_labels)), ",".join(deps), r.doc, sep="|")
PY
bash scripts/migrations.sh apply "$WORK/migrations" -- -d "$MG"
psql -X -At -F'|' -d "$MG" -c "SELECT id, array_to_string(down_revision, ','), array_to_string(branch_labels, ','),
                                      array_to_string(depends_on, ','), message FROM migrate.revisions ORDER BY id" > "$WORK/graph.migrate"
diff "$WORK/graph.alembic" "$WORK/graph.migrate" || fail "the graphs differ"
grep -q '^4d0000000001|2b0000000002,3c0000000002||' "$WORK/graph.migrate" || fail "the merge lost a parent"
grep -q '^2b0000000001|1a0000000003|reporting|' "$WORK/graph.migrate" || fail "the branch label is missing"
echo "same graph: $(wc -l < "$WORK/graph.migrate") revisions, ids, parents, labels, depends_on, messages"

schema() { "$DUMP" -s -n public -T public.alembic_version -d "$1" | grep -v '^--' | grep -v '^$' | grep -v '^\\\(un\)\{0,1\}restrict'; }
same_schema() { # what
    diff <(schema "$AL") <(schema "$MG") > "$WORK/schema.diff" || { head -50 "$WORK/schema.diff"; fail "schemas differ $1"; }
    echo "same pg_dump -s $1"
}

alembic_cmd "$AL" upgrade head
same_schema "at head"
alembic_cmd "$AL" downgrade "$MIDDLE"
psql -X -q -v ON_ERROR_STOP=1 -d "$MG" -c "SELECT migrate.downgrade('$MIDDLE')" >/dev/null
same_schema "after downgrade to $MIDDLE"
alembic_cmd "$AL" downgrade 1a0000000003
psql -X -q -v ON_ERROR_STOP=1 -d "$MG" -c "SELECT migrate.downgrade('1a0000000003')" >/dev/null
same_schema "after downgrade across the merge to 1a0000000003"
alembic_cmd "$AL" downgrade base
psql -X -q -v ON_ERROR_STOP=1 -d "$MG" -c "SELECT migrate.downgrade('base')" >/dev/null
same_schema "at base"
[ -z "$(psql -X -At -d "$MG" -c "SELECT string_agg(typname, ',') FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE nspname = 'public' AND typtype = 'e'")" ] ||
    fail "enums left at base"

# a revision that reads the database cannot be rendered offline: listed,
# nothing written
cp -r "$WORK/project" "$WORK/reads"
cat > "$WORK/reads/versions/6f0000000001_reads.py" <<'PY'
"""reads the database"""
from alembic import op
import sqlalchemy as sa

revision = "6f0000000001"
down_revision = "5e0000000045"
branch_labels = None
depends_on = None


def upgrade():
    n = op.get_bind().execute(sa.text("SELECT count(*) FROM my_table")).scalar()
    op.execute(f"CREATE TABLE copy_{n} (id int)")


def downgrade():
    pass
PY
if out=$(python3 scripts/import-alembic.py -c "$WORK/reads/alembic.ini" "$WORK/reads_out" 2>&1); then
    echo "$out"; fail "a revision that reads the database was imported"
fi
echo "$out" | grep -q "6f0000000001: Alembic cannot render its SQL offline" || { echo "$out"; fail "the revision is not named"; }
[ ! -e "$WORK/reads_out" ] || fail "a folder was written"
echo "a revision that reads the database is listed, nothing written"

# adopting the database Alembic migrated: load the folder, stamp, go on
alembic_cmd "$AL" upgrade "$MIDDLE"
psql -X -q -v ON_ERROR_STOP=1 -d "$MG" -c "SELECT migrate.upgrade('head')" >/dev/null
bash scripts/migrations.sh apply --load "$WORK/migrations" -- -d "$AL" >/dev/null
at=$(psql -X -At -v ON_ERROR_STOP=1 -d "$AL" -c "SELECT migrate.stamp(version_num) FROM alembic_version")
[ "$at" = "$MIDDLE" ] || fail "stamp gave $at"
at=$(psql -X -At -v ON_ERROR_STOP=1 -d "$AL" -c "SELECT migrate.upgrade('head')")
[ "$at" = "$LAST" ] || fail "upgrade after stamp gave $at"
same_schema "after adopting the Alembic database at $MIDDLE and upgrading"
bash scripts/migrations.sh check "$WORK/migrations" -- -d "$AL"
echo "alembic import: all good"
