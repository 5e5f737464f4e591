#!/usr/bin/env bash
# pg_dump / pg_restore keeps the migration history: revisions, version and
# log come back, upgrade('head') has nothing to do, and downgrade still
# works in the restored database. Uses the cluster in PGHOST/PGPORT, and
# pg_dump and pg_restore from PG_BIN (its version's, or the first on the PATH).
set -euo pipefail
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
SRC=dump_src_$$
DST=dump_dst_$$
BAD=dump_bad_$$
RSRC=dump_rsrc_$$
RDST=dump_rdst_$$
READER=dump_reader_$$
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $SRC" -c "DROP DATABASE IF EXISTS $DST" -c "DROP DATABASE IF EXISTS $BAD" -c "DROP DATABASE IF EXISTS $RSRC" -c "DROP DATABASE IF EXISTS $RDST" -c "DROP ROLE IF EXISTS $READER" >/dev/null 2>&1 || true' EXIT
psql -X -q -d postgres -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST" -c "CREATE DATABASE $BAD"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext;
CREATE TABLE my_table (id int);
INSERT INTO my_table VALUES (1);
SELECT migrate.revision('enum', '[{"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2"]},
  {"op": "add_column", "table": "my_table", "column": {"name": "c", "type": "my_enum_type", "server_default": "option1"}}]', id => 'a1');
SELECT migrate.revision('more', '[{"op": "add_column", "table": "my_table", "column": {"name": "d", "type": "text"}}]', id => 'b2');
SELECT migrate.revision('not yet', id => 'c3');
SELECT migrate.upgrade('b2');
SQL

state() {
    psql -X -At -d "$1" -c "SELECT json_agg(h ORDER BY h.id) FROM migrate.history() h" \
        -c "SELECT json_agg(v) FROM migrate.version v" \
        -c "SELECT json_agg(l ORDER BY l.id) FROM migrate.log l" \
        -c "SELECT json_agg(r ORDER BY r.id) FROM migrate.revisions r" \
        -c "SELECT json_agg(a ORDER BY a.revision) FROM migrate.applied a"
}

"${PG_BIN:+$PG_BIN/}pg_dump" -Fc -d "$SRC" -f "$WORK/dump.pgc"
"${PG_BIN:+$PG_BIN/}pg_restore" --exit-on-error -d "$DST" "$WORK/dump.pgc"

before=$(state "$SRC")
after=$(state "$DST")
if [ "$before" != "$after" ]; then
    echo "history differs after restore:"; diff <(echo "$before") <(echo "$after") || true
    exit 1
fi
echo "history, version, log, revisions and applied identical after restore"

# the log's sequence continues after the restored rows
next_src=$(psql -X -At -d "$SRC" -c "SELECT last_value FROM migrate.log_id_seq")
next_dst=$(psql -X -At -d "$DST" -c "SELECT last_value FROM migrate.log_id_seq")
[ "$next_src" = "$next_dst" ] || { echo "log sequence not restored: $next_src vs $next_dst"; exit 1; }

out=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DST" -c "SELECT migrate.upgrade('b2')" \
      -c "SELECT migrate.downgrade(-1)" -c "SELECT migrate.upgrade('head')" 2>&1)
expected=$'b2\na1\nc3'
if [ "$(echo "$out" | grep -v NOTICE)" != "$expected" ]; then
    echo "unexpected results in the restored database:"; echo "$out"; exit 1
fi
echo "restored database upgrades and downgrades"

# a doctored dump: an applied revision's ops edited in the dump's data. The
# checksum column is not dumped (PostgreSQL computes it on restore), so the
# restored database refuses to run until the history is whole again.
"${PG_BIN:+$PG_BIN/}pg_dump" -Fp -d "$SRC" -f "$WORK/dump.sql"
grep -q '"name": "d", "type": "text"' "$WORK/dump.sql" || { echo "the dump does not hold revision b2 as expected"; exit 1; }
sed -i 's/"name": "d", "type": "text"/"name": "d", "type": "bigint"/' "$WORK/dump.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$BAD" -f "$WORK/dump.sql" >/dev/null 2>&1 \
    || { echo "restoring the doctored dump failed"; exit 1; }
problems=$(psql -X -At -d "$BAD" -c "SELECT revision || ': ' || problem FROM migrate.verify()")
refused=$(psql -X -At -d "$BAD" -c "SELECT migrate.upgrade('head')" 2>&1 || true)
echo "doctored dump: verify() says: $problems; upgrade('head') says: $(echo "$refused" | head -1)"
[ "$problems" = "b2: changed after it was applied" ] && echo "$refused" | grep -q "the migration history has drifted"

# recorded downgrades: a revision that drops and changes things without an
# explicit downgrade records what it removes as it runs; the record comes
# through a dump and restore, and the downgrade, run in the restored
# database, gives back the schema exactly as pg_dump -s printed it before
# the upgrade (the dropped column is the table's last: it comes back last)
psql -X -q -d postgres -c "CREATE DATABASE $RSRC" -c "CREATE DATABASE $RDST" -c "CREATE ROLE $READER"
psql -X -q -v ON_ERROR_STOP=1 -v reader="$READER" -d "$RSRC" >/dev/null <<'SQL'
CREATE EXTENSION migrate_ext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE size AS ENUM ('s', 'm', 'l');
REVOKE USAGE ON TYPE size FROM PUBLIC;
GRANT USAGE ON TYPE size TO :"reader";
COMMENT ON TYPE size IS 'shirt sizes';
CREATE TABLE person (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
                     mood mood DEFAULT 'ok', note varchar(100) DEFAULT 'none' CHECK (note <> ''));
CREATE TABLE visit (id bigserial PRIMARY KEY, person_id bigint NOT NULL REFERENCES person ON DELETE CASCADE,
                    at timestamptz NOT NULL DEFAULT now(), score numeric(5,2) CHECK (score >= 0),
                    doubled numeric GENERATED ALWAYS AS (score * 2) STORED,
                    CONSTRAINT visit_once UNIQUE (person_id, at) DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX visit_at_idx ON visit USING brin (at) WITH (pages_per_range = 16);
CREATE UNIQUE INDEX person_lower_name_idx ON person (lower(name)) INCLUDE (id) WHERE name <> '';
COMMENT ON TABLE visit IS 'visits';
COMMENT ON COLUMN visit.score IS 'out of 10';
COMMENT ON INDEX visit_at_idx IS 'by time';
COMMENT ON CONSTRAINT visit_once ON visit IS 'once';
GRANT SELECT ON visit TO :"reader";
INSERT INTO person (name) VALUES ('ann');
INSERT INTO visit (person_id, score) VALUES (1, 2);
SQL
# (recent pg_dump wraps its output in \restrict with a random key)
schema() { "${PG_BIN:+$PG_BIN/}pg_dump" -s -d "$1" | grep -v '^\\\(un\)\?restrict '; }
schema "$RSRC" > "$WORK/schema_before.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$RSRC" >/dev/null <<'SQL'
SELECT migrate.revision('drops', '[
  {"op": "drop_index", "name": "person_lower_name_idx"},
  {"op": "alter_column", "table": "person", "column": "note", "type": "text", "server_default": null, "nullable": false},
  {"op": "drop_column", "table": "person", "column": "note"},
  {"op": "drop_constraint", "table": "person", "name": "person_name_key"},
  {"op": "drop_table", "name": "visit"},
  {"op": "drop_enum", "name": "size"},
  {"op": "set_enum_values", "name": "mood", "values": ["ok", "happy", "great"]}
]', id => 'd1');
SELECT migrate.upgrade();
SQL
"${PG_BIN:+$PG_BIN/}pg_dump" -Fc -d "$RSRC" -f "$WORK/recorded.pgc"
"${PG_BIN:+$PG_BIN/}pg_restore" --exit-on-error -d "$RDST" "$WORK/recorded.pgc"
[ "$(state "$RSRC")" = "$(state "$RDST")" ] || { echo "the recorded downgrade differs after restore"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$RDST" -c "SELECT migrate.downgrade('base')" >/dev/null 2>&1 \
    || { echo "the recorded downgrade failed in the restored database"; exit 1; }
schema "$RDST" > "$WORK/schema_after.sql"
if ! diff "$WORK/schema_before.sql" "$WORK/schema_after.sql"; then
    echo "pg_dump -s differs after upgrade, dump, restore and the recorded downgrade"; exit 1
fi
echo "recorded downgrade restored: pg_dump -s identical before the upgrade and after the downgrade"
