#!/usr/bin/env bash
# The demo: install migrate_ext, start a throwaway cluster, and run the
# Alembic guide's workflow from SQL. The cluster keeps running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install.sh

DEMO_DIR=${DEMO_DIR:-/tmp/migrate_ext_demo}
DEMO_PORT=${DEMO_PORT:-55432}
. scripts/cluster.sh
mkdir -p "$DEMO_DIR"; chmod 755 "$DEMO_DIR"
cluster_stop "$DEMO_DIR"
cluster_start "$DEMO_DIR" "$DEMO_PORT"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS demo" -c "CREATE DATABASE demo"
psql -X -q -d demo -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION migrate_ext;

-- alembic revision -m "create my_table"
SELECT migrate.revision('create my_table',
    '[{"op": "execute", "sql": "CREATE TABLE my_table (id serial PRIMARY KEY, name text)"},
      {"op": "execute", "sql": "INSERT INTO my_table (name) VALUES (''alice''), (''bob'')"}]',
    downgrade => '[{"op": "execute", "sql": "DROP TABLE my_table"}]',
    id => '1975ea83b712');

-- the guide's enum example: create the type, then the column with a default;
-- its downgrade (derived) drops the column first, then the type
SELECT migrate.revision('add my_enum_column',
    '[{"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2", "option3"]},
      {"op": "add_column", "table": "my_table",
       "column": {"name": "my_enum_column", "type": "my_enum_type",
                  "nullable": false, "server_default": "option1"}}]',
    id => 'ae1027a6acf0');

-- alembic revision -m "empty migration"
SELECT migrate.revision('empty migration', id => '27c6a30d7c24');

\echo
\echo '== alembic upgrade head'
SELECT migrate.upgrade('head');
\echo '== migrate.history()'
SELECT * FROM migrate.history();
\echo '== my_table'
SELECT * FROM my_table;
\echo '== migrate.log'
SELECT revision, direction, statements FROM migrate.log ORDER BY id;
SQL

echo
echo "The demo cluster is running. Connect and go on by hand with:"
echo "  psql -h $DEMO_DIR/socket -p $DEMO_PORT -U postgres -d demo"
echo "Try: SELECT migrate.downgrade(-1);  SELECT * FROM migrate.history();"
echo "Stop it with: runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D $DEMO_DIR/data stop"
