#!/usr/bin/env bash
# A migrations folder: one SQL file per revision, <seq>_<id>_<slug>.sql,
# as migrate.export_files() writes them (see docs/workflow.md).
#
#   scripts/migrations.sh export DIR [RANGE]         write DIR from the database
#   scripts/migrations.sh apply [--each|--load] DIR [TARGET]  load DIR, then upgrade
#   scripts/migrations.sh check DIR                   fail unless DIR and the database agree
#
# The database is the one psql connects to: the standard PG* variables
# (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSERVICE, ...), and any
# psql options after `--`, e.g. `scripts/migrations.sh check migrations -- -d app`.
#
# export  writes one file per revision, parents first, and removes the
#         folder's other revision files, so that the folder is the
#         database's revisions exactly. With RANGE (an Alembic range such as
#         'base:head' or 'ae10:'): only those revisions, numbered from 1
#         within the range, and nothing is removed; write them to a folder
#         of their own.
# apply   CREATE EXTENSION IF NOT EXISTS migrate_ext; stores every file in
#         name order in ONE transaction (all or none; a file already stored
#         with the same content changes nothing; one whose revision is stored
#         with other content stops everything with 23505, and psql names the
#         file and line); then SELECT migrate.upgrade(TARGET) (default head),
#         one more transaction. With --each: CALL migrate.run(TARGET), which
#         commits after each revision. With --load: no upgrade (to adopt a
#         database with migrate.stamp() next).
# check   loads the folder in a transaction that it rolls back, and fails
#         (exit 1) when a file's revision is stored with other content, when
#         a revision is in the folder and not in the database or the other
#         way round, or when the folder's graph has several heads. Needs
#         author access (it stores, then rolls back).
set -euo pipefail
export LC_ALL=C

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "migrations.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || usage
cmd=$1; shift
args=()
psql_args=()
while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; psql_args=("$@"); break; fi
    args+=("$1"); shift
done

PSQL=${PSQL:-psql}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 ${psql_args[@]+"${psql_args[@]}"} "$@"; }

# the revision files of DIR, in name (= load) order
revision_files() {
    local dir=$1 f
    shopt -s nullglob
    for f in "$dir"/[0-9]*_*.sql; do printf '%s\n' "$f"; done | sort
    shopt -u nullglob
}

# psql's \i with a quoted path
include_line() { local f=${1//\'/\'\'}; printf "\\\\i '%s'\n" "$f"; }

# the id a revision file stores: its `id => '...'` line
file_id() {
    local ids
    ids=$(sed -n "s/^    id => '\\([A-Za-z0-9_.]*\\)',\$/\\1/p" "$1")
    [ -n "$ids" ] && [ "$(printf '%s\n' "$ids" | wc -l)" -eq 1 ] ||
        die "$1: cannot tell which revision this file stores (no single \"    id => '...',\" line)"
    printf '%s\n' "$ids"
}

do_export() {
    local dir=$1 range=${2:-} tmp file content n=0
    mkdir -p "$dir"
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    # file and content, each ended by a zero byte (neither can hold one)
    if [ -n "$range" ]; then
        run_psql -At -z -0 -v range="$range" -f - > "$tmp/stream" <<'SQL'
SELECT file, content FROM migrate.export_files(:'range') ORDER BY seq;
SQL
    else
        run_psql -At -z -0 -c "SELECT file, content FROM migrate.export_files() ORDER BY seq" > "$tmp/stream"
    fi
    : > "$tmp/names"
    while IFS= read -r -d '' file; do
        IFS= read -r -d '' content || true
        printf '%s' "$content" > "$tmp/$file"
        printf '%s\n' "$file" >> "$tmp/names"
        n=$((n + 1))
    done < "$tmp/stream"
    # the folder's other revision files go (renumbered, or no longer
    # stored), unless only a range was exported
    if [ -z "$range" ]; then
        while IFS= read -r file; do
            grep -qxF "$(basename "$file")" "$tmp/names" || rm -f "$file"
        done < <(revision_files "$dir")
    fi
    while IFS= read -r file; do
        cmp -s "$tmp/$file" "$dir/$file" || cp "$tmp/$file" "$dir/$file"
    done < "$tmp/names"
    echo "exported $n revision(s) to $dir"
}

do_apply() {
    local mode=upgrade
    case ${1:-} in
        --each) mode=each; shift ;;
        --load) mode=load; shift ;;
    esac
    [ $# -ge 1 ] || usage
    local dir=$1 target=${2:-head} files before after
    [ -d "$dir" ] || die "$dir is not a folder"
    files=$(revision_files "$dir")
    run_psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS migrate_ext"
    before=$(run_psql -At -c "SELECT count(*) FROM migrate.revisions")
    if [ -n "$files" ]; then
        { echo "BEGIN;"
          echo "SET LOCAL client_min_messages = warning;"
          while IFS= read -r f; do include_line "$f"; done <<< "$files"
          echo "COMMIT;"
        } | run_psql -f - >/dev/null || die "loading $dir failed; nothing of it was stored"
    fi
    after=$(run_psql -At -c "SELECT count(*) FROM migrate.revisions")
    echo "loaded $(printf '%s' "$files" | grep -c . || true) file(s) from $dir: $((after - before)) new revision(s)"
    local at
    case $mode in
        load) return 0 ;;
        each) run_psql -v target="$target" -f - <<'SQL'
CALL migrate.run(:'target');
SQL
              at=$(run_psql -At -c "SELECT string_agg(c, ', ') FROM migrate.current() c") ;;
        *)    at=$(run_psql -At -v target="$target" -f - <<'SQL'
SELECT migrate.upgrade(:'target');
SQL
) ;;
    esac
    echo "at: $at"
}

do_check() {
    local dir=$1 files ids="" f id out status=0
    [ -d "$dir" ] || die "$dir is not a folder"
    files=$(revision_files "$dir")
    if [ -n "$files" ]; then
        while IFS= read -r f; do
            id=$(file_id "$f") || exit 1
            ids+="$id"$'\n'
        done <<< "$files"
    fi
    local dup
    dup=$(printf '%s' "$ids" | sort | uniq -d)
    [ -z "$dup" ] || die "several files store revision(s): $(echo $dup)"
    out=$({ echo "BEGIN;"
            echo "SET LOCAL client_min_messages = warning;"
            echo "CREATE TEMP TABLE migrations_check_before ON COMMIT DROP AS SELECT id FROM migrate.revisions;"
            if [ -n "$files" ]; then
                echo '\o /dev/null'
                while IFS= read -r f; do include_line "$f"; done <<< "$files"
                echo '\o'
            fi
            cat <<'SQL'
WITH folder AS (SELECT pg_catalog.unnest(pg_catalog.string_to_array(pg_catalog.rtrim(:'ids', E'\n'), E'\n')) AS id)
SELECT 'not in the database: ' || f.id FROM folder f
 WHERE f.id NOT IN (SELECT id FROM migrations_check_before)
UNION ALL
SELECT 'not in the folder: ' || b.id FROM migrations_check_before b
 WHERE b.id NOT IN (SELECT id FROM folder)
UNION ALL
SELECT 'heads: ' || pg_catalog.string_agg(r.id, ', ' ORDER BY r.id) FROM migrate.revisions r
 WHERE r.id IN (SELECT id FROM folder)
   AND NOT EXISTS (SELECT 1 FROM migrate.revisions c
                    WHERE c.id IN (SELECT id FROM folder) AND r.id = ANY (c.down_revision))
HAVING pg_catalog.count(*) > 1;
ROLLBACK;
SQL
          } | run_psql -At -v ids="$ids" -f -) || die "$dir does not load into this database"
    if [ -n "$out" ]; then
        printf '%s\n' "$out" | sed 's/^/migrations.sh: /' >&2
        status=1
    fi
    if [ $status -eq 0 ]; then
        echo "$dir agrees with the database: $(printf '%s' "$ids" | grep -c . || true) revision(s), one head"
    fi
    return $status
}

case $cmd in
    export) [ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || usage; do_export "${args[@]}" ;;
    apply)  [ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 3 ] || usage; do_apply "${args[@]}" ;;
    check)  [ ${#args[@]} -eq 1 ] || usage; do_check "${args[@]}" ;;
    *) usage ;;
esac
