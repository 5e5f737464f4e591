# Source this file: helpers to run a throwaway PostgreSQL 15 cluster as the
# `postgres` user, with a private socket directory, for the demo and tests.
#   cluster_start DIR PORT   initdb (if needed) and start; exports PGHOST/PGPORT/PGUSER
#   cluster_stop DIR         stop it
# PG_EXTRA_OPTS adds server options (e.g. "-c autovacuum=off").
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

cluster_start() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log"; return 1; }
    fi
    as_postgres mkdir -p "$dir/socket"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-k $dir/socket -p $port -c listen_addresses='' -c max_connections=50 ${PG_EXTRA_OPTS:-}" start >/dev/null \
        || { cat "$dir/server.log"; return 1; }
    export PGHOST="$dir/socket" PGPORT="$port" PGUSER=postgres
}

cluster_stop() {
    local dir=$1
    # a pid file left by a machine that went down names no live server:
    # nothing to stop, and pg_ctl start copes with it
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    return 0
}
