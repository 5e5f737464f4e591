"""Part 6 of bench/run.sh: migrate.diff beside Alembic's compare_metadata.

Run with the Python of a virtualenv holding alembic, SQLAlchemy and
psycopg2 (bench/run.sh makes one):

    python bench/alembic_compare.py DSN [ROUNDS]

DSN names an empty database where migrate_ext is installed. The script
builds a live schema of 202 tables in it (200 shared with the desired
schema, 2 only live), 5 enums, foreign keys, indexes, unique constraints
and comments, then a desired schema as SQLAlchemy metadata that differs
from it in 58 ways. The desired DDL given to migrate.diff is the metadata's
own CREATE statements (SQLAlchemy's create_all on a mock engine), so both
tools compare the same live schema with the same desired one.

After one VACUUM of the catalogs, ROUNDS rounds (default 10) alternate
Alembic's compare_metadata (a new MigrationContext each time, as
`alembic revision --autogenerate` makes) and SELECT migrate.diff(ddl),
timed by the client over the same unix socket, in wall time and in CPU
time (the backend's, from /proc/<pid>/schedstat, plus, for Alembic, the
Python process's own; CPU time holds on a busy machine, where wall time
counts waiting for a core, once per query for Alembic's ~2,800 reflection
queries but once for the single migrate.diff call). migrate.diff is not
vacuumed after: its rolled-back scratch schema leaves dead catalog rows,
and the last round shows what they cost. Last, migrate.model() of the
live schema, timed in the server (median of 7, wall and CPU), after
those rounds.

Prints one line per figure, `name value`, for bench/run.sh.
"""

import statistics
import sys
import time

import psycopg2
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql

TABLES = 200
ENUMS = [sa.Enum(*[f"v{k}" for k in range(3 + e % 2)], name=f"e{e}") for e in range(5)]

# which tables carry which difference (disjoint sets of table numbers)
ADD_COLUMN = range(10, 20)          # desired has a column more         10
DROP_COLUMN = range(20, 30)         # live has a column more            10
NULLABLE = range(30, 38)            # name becomes nullable              8
TYPE = range(40, 46)                # code varchar(20) -> varchar(40)    6
ADD_INDEX = range(50, 56)           # desired has an index more          6
DROP_INDEX = range(60, 64)          # live has an index more             4
ADD_UNIQUE = (70, 71, 73, 74)      # desired has a unique constraint    4
COMMENT = range(80, 84)             # the table's comment changes        4
ADD_FK = range(90, 92)              # desired has the parent FK          2
#                                     2 tables only desired, 2 only live 4
#                                                                     = 58


def metadata(desired):
    m = sa.MetaData()
    for i in range(TABLES):
        cols = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=desired and i in NULLABLE,
                      comment=f"name of t{i}"),
            sa.Column("state", ENUMS[i % 5], nullable=False),
            sa.Column("amount", sa.Numeric(10, 2)),
            sa.Column("code", sa.String(40 if desired and i in TYPE else 20)),
            sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now()),
        ]
        if i > 0:
            fk = i not in ADD_FK or desired
            cols.append(sa.Column("parent_id", sa.Integer,
                                  sa.ForeignKey(f"t{i - 1}.id") if fk else None))
        if i in ADD_COLUMN and desired:
            cols.append(sa.Column("extra", sa.Text))
        if i in DROP_COLUMN and not desired:
            cols.append(sa.Column("legacy", sa.Text))
        args = []
        if i % 3 == 0 or (i in ADD_UNIQUE and desired):
            args.append(sa.UniqueConstraint("code", name=f"t{i}_code_key"))
        comment = f"table {i}" + (" (renamed)" if desired and i in COMMENT else "")
        t = sa.Table(f"t{i}", m, *cols, *args, comment=comment)
        if i % 2 == 0:
            sa.Index(f"t{i}_name_idx", t.c.name)
        if i in ADD_INDEX and desired:
            sa.Index(f"t{i}_amount_idx", t.c.amount)
        if i in DROP_INDEX and not desired:
            sa.Index(f"t{i}_created_idx", t.c.created)
    for name in (["new_a", "new_b"] if desired else ["old_a", "old_b"]):
        sa.Table(name, m, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("t0_id", sa.Integer, sa.ForeignKey("t0.id")),
                 sa.Column("note", sa.Text))
    return m


def ddl(m):
    out = []
    engine = sa.create_mock_engine(
        "postgresql+psycopg2://",
        lambda sql, *a, **k: out.append(str(sql.compile(dialect=postgresql.dialect())).strip() + ";"))
    m.create_all(engine, checkfirst=False)
    return "\n".join(out)


def main():
    dsn = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    live, desired = metadata(False), metadata(True)
    engine = sa.create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn))
    live.create_all(engine)
    text = ddl(desired)

    pg = psycopg2.connect(dsn)
    pg.autocommit = True
    cur = pg.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type, "
                "pg_catalog.pg_depend, pg_catalog.pg_constraint, pg_catalog.pg_index, "
                "pg_catalog.pg_attrdef, pg_catalog.pg_namespace, pg_catalog.pg_enum, "
                "pg_catalog.pg_description, pg_catalog.pg_sequence, pg_catalog.pg_shdepend")

    def cpu_ms(pid):
        # a backend's CPU time from /proc/<pid>/schedstat: unlike wall
        # time, it does not count waiting for a core on a busy machine
        cur.execute("SELECT pg_catalog.split_part(pg_catalog.pg_read_file("
                    "'/proc/' || %s || '/schedstat'), ' ', 1)::bigint / 1e6", (pid,))
        return float(cur.fetchone()[0])

    cur.execute("SELECT pg_catalog.pg_backend_pid()")
    own = cur.fetchone()[0]
    alembic_ms, diff_ms, alembic_cpu, diff_cpu, alembic_n, diff_n = [], [], [], [], None, None
    with engine.connect() as conn:
        theirs = conn.connection.dbapi_connection.get_backend_pid()
        for _ in range(rounds):
            c0, p0 = cpu_ms(theirs), time.process_time()
            t0 = time.perf_counter()
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            found = compare_metadata(ctx, desired)
            alembic_ms.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
            alembic_cpu.append(cpu_ms(theirs) - c0 + (time.process_time() - p0) * 1000)
            alembic_n = len(found)
            c0 = cpu_ms(own)
            t0 = time.perf_counter()
            cur.execute("SELECT pg_catalog.jsonb_array_length(migrate.diff(%s))", (text,))
            diff_n = cur.fetchone()[0]
            diff_ms.append((time.perf_counter() - t0) * 1000)
            diff_cpu.append(cpu_ms(own) - c0)
    cur.execute("""
        DO $$
        DECLARE t0 timestamptz; c0 numeric; times numeric[] := '{}'; cpu numeric[] := '{}';
        BEGIN
          FOR i IN 1..7 LOOP
            c0 := pg_catalog.split_part(pg_catalog.pg_read_file(
                    '/proc/' || pg_catalog.pg_backend_pid() || '/schedstat'), ' ', 1)::numeric;
            t0 := clock_timestamp();
            PERFORM migrate.model();
            times := times || (extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric;
            cpu := cpu || (pg_catalog.split_part(pg_catalog.pg_read_file(
                    '/proc/' || pg_catalog.pg_backend_pid() || '/schedstat'), ' ', 1)::numeric - c0) / 1e6;
          END LOOP;
          PERFORM pg_catalog.set_config('bench.model_ms',
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x)::text, false);
          PERFORM pg_catalog.set_config('bench.model_cpu_ms',
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(cpu) x)::text, false);
        END $$""")
    cur.execute("SELECT pg_catalog.current_setting('bench.model_ms'), "
                "pg_catalog.current_setting('bench.model_cpu_ms')")
    model_ms, model_cpu_ms = (float(x) for x in cur.fetchone())

    print("alembic_differences", alembic_n)
    print("diff_ops", diff_n)
    print("alembic_ms", f"{statistics.median(alembic_ms):.0f}")
    print("diff_ms", f"{statistics.median(diff_ms):.0f}")
    print("diff_first_ms", f"{diff_ms[0]:.0f}")
    print("diff_last_ms", f"{diff_ms[-1]:.0f}")
    print("alembic_cpu_ms", f"{statistics.median(alembic_cpu):.0f}")
    print("diff_cpu_ms", f"{statistics.median(diff_cpu):.0f}")
    print("diff_first_cpu_ms", f"{diff_cpu[0]:.0f}")
    print("diff_last_cpu_ms", f"{diff_cpu[-1]:.0f}")
    print("rounds", rounds)
    print("alembic_all", " ".join(f"{x:.0f}" for x in alembic_ms))
    print("diff_all", " ".join(f"{x:.0f}" for x in diff_ms))
    print("model_ms", f"{model_ms:.1f}")
    print("model_cpu_ms", f"{model_cpu_ms:.1f}")


if __name__ == "__main__":
    main()
