#!/usr/bin/env python3
"""Import an Alembic project into a migrations folder (see docs/workflow.md).

    python3 scripts/import-alembic.py [-c alembic.ini] [-n section] OUTDIR

Writes one file per revision, <seq>_<id>_<slug>.sql, parents first, in the
format of migrate.export(): the same revision ids, parents (in order),
branch labels, depends_on and messages as the Alembic project. Each
revision's upgrade and downgrade are the SQL Alembic renders in offline
mode for that revision alone (its module's upgrade() and downgrade() run
inside Operations on a MigrationContext with as_sql=True; nothing of the
other revisions, no BEGIN/COMMIT, no alembic_version statements), one
`execute` op per statement, with these exceptions that keep the meaning
the online migration had:

- `CREATE TYPE name AS ENUM (...)` becomes a `create_enum` op, which leaves
  an existing type with the same values alone (Alembic ignores
  `checkfirst=True` offline and always writes CREATE TYPE);
- `DROP TYPE name` (what `Enum.drop()` writes) becomes a `drop_enum` op,
  which skips a type that does not exist. `DROP TYPE IF EXISTS ...` written
  with op.execute stays an `execute` op.

The downgrade is stored explicitly (an ops list of Alembic's downgrade SQL).
Revisions whose SQL Alembic cannot render offline (ones that read the
database) are listed at the end and no folder is written (exit status 1).
created_at is left to the database (the time the files are loaded).

Alembic runs from a virtualenv with pinned versions, created on first use
in $MIGRATE_ALEMBIC_VENV (default: ~/.cache/migrate_ext/alembic-<version>),
outside the checkout. Nothing connects to a database.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import venv

PINNED = [
    "alembic==1.13.2",
    "SQLAlchemy==2.0.31",
    "Mako==1.3.5",
    "MarkupSafe==3.0.2",
    "typing_extensions==4.12.2",
    "greenlet==3.1.1",
]
INSIDE = "MIGRATE_ALEMBIC_INSIDE"


def venv_dir():
    default = os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "migrate_ext",
        "alembic-" + PINNED[0].split("==")[1],
    )
    return os.environ.get("MIGRATE_ALEMBIC_VENV") or default


def ensure_venv():
    """Re-run this script with the virtualenv's Python (created if missing)."""
    if os.environ.get(INSIDE):
        return
    d = venv_dir()
    py = os.path.join(d, "bin", "python")
    marker = os.path.join(d, ".pinned")
    want = "\n".join(PINNED)
    if not (os.path.exists(marker) and open(marker).read() == want):
        print(f"import-alembic: creating a virtualenv with {' '.join(PINNED[:2])} in {d}", file=sys.stderr)
        venv.create(d, with_pip=True, clear=True)
        subprocess.run(
            [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", *PINNED],
            check=True,
        )
        with open(marker, "w") as f:
            f.write(want)
    env = dict(os.environ, **{INSIDE: "1"})
    os.execve(py, [py, os.path.abspath(__file__), *sys.argv[1:]], env)


# ---- the rendering, inside the virtualenv ----


class Statements:
    """An output buffer that keeps each statement Alembic writes."""

    def __init__(self):
        self.items = []

    def write(self, text):
        text = text.strip()
        if text:
            self.items.append(text)

    def flush(self):
        pass


def render(fn):
    """The statements Alembic writes offline when `fn` (a revision's
    upgrade or downgrade) runs alone."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    out = Statements()
    ctx = MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": out, "literal_binds": True,
              "transactional_ddl": False},
    )
    with Operations.context(ctx):
        fn()
    return out.items


NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
CREATE_ENUM = re.compile(
    rf"^CREATE TYPE (?:({NAME})\.)?({NAME}) AS ENUM \(((?:\s*'(?:[^']|'')*'\s*,?)*)\)\s*;?$",
    re.S,
)
DROP_TYPE = re.compile(rf"^DROP TYPE (?:({NAME})\.)?({NAME})\s*;?$")


def unquote(name):
    if name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def to_op(statement):
    """A statement as an op: create_enum, drop_enum, or execute."""
    m = CREATE_ENUM.match(statement)
    if m:
        values = [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(3))]
        op = {"op": "create_enum", "name": unquote(m.group(2)), "values": values}
        if m.group(1):
            op["schema"] = unquote(m.group(1))
        return op
    m = DROP_TYPE.match(statement)
    if m:
        op = {"op": "drop_enum", "name": unquote(m.group(2))}
        if m.group(1):
            op["schema"] = unquote(m.group(1))
        return op
    return {"op": "execute", "sql": statement}


# ---- the file, in migrate.export()'s format ----


def jsonb_key(k):
    # jsonb's key order: shorter first, then bytewise
    b = k.encode()
    return (len(b), b)


def jsonb_text(v):
    """JSON as jsonb prints it: keys in jsonb's order, ', ' and ': '."""
    if isinstance(v, dict):
        return "{" + ", ".join(
            json.dumps(k, ensure_ascii=False) + ": " + jsonb_text(v[k])
            for k in sorted(v, key=jsonb_key)) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(jsonb_text(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def json_lines(ops):
    if not ops:
        return "[]"
    return "[\n  " + ",\n  ".join(jsonb_text(o) for o in ops) + "\n]"


def literal(text):
    out = "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "E" + out if "\\" in text else out


def array(items):
    if not items:
        return "'{}'"
    return "ARRAY[" + ", ".join(literal(i) for i in items) + "]"


def dollar_quote(text):
    n = 0
    while True:
        tag = "$migrate$" if n == 0 else f"$migrate{n}$"
        if (text + tag).find(tag) == len(text):
            return tag + text + tag
        n += 1


def one_line(message):
    return "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in message).strip()


def slug(message):
    out = ""
    for c in message:
        if c.isascii() and c.isalnum():
            out += c.lower()
        elif out and not out.endswith("_"):
            out += "_"
        if len(out) >= 40:
            break
    return out.rstrip("_")


def render_file(r):
    head = f"-- Revision {r['id']}"
    msg = one_line(r["message"] or "")
    if msg:
        head += ": " + msg
    parents = ", ".join(r["parents"]) or "base"
    message = "NULL" if r["message"] is None else literal(r["message"])
    return (
        f"{head}\n-- Parents: {parents}\n"
        "-- Imported from Alembic by scripts/import-alembic.py. Loading it again changes\n"
        "-- nothing; a stored revision with this id and other content is refused (23505).\n"
        "SELECT migrate.revision(\n"
        f"    id => {literal(r['id'])},\n"
        f"    down_revisions => {array(r['parents'])},\n"
        f"    branch_labels => {array(r['labels'])},\n"
        f"    depends_on => {array(r['depends_on'])},\n"
        f"    message => {message},\n"
        "    created_at => NULL,\n"
        f"    upgrade => {dollar_quote(json_lines(r['upgrade']))},\n"
        f"    downgrade => {dollar_quote(json_lines(r['downgrade']))});\n"
    )


# ---- the project ----


def tuple_of(x):
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


ID = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


def load_project(config_file, section):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(config_file, ini_section=section)
    here = os.path.dirname(os.path.abspath(config_file))
    for p in (cfg.get_main_option("prepend_sys_path") or "").replace(",", " ").split():
        sys.path.insert(0, os.path.join(here, p))
    script = ScriptDirectory.from_config(cfg)
    revisions = list(script.walk_revisions(base="base", head="heads"))
    revisions.reverse()
    return script, revisions


def order(revs):
    """Parents and dependencies first; ties by id, so that the order does not
    depend on where Alembic found the files."""
    import heapq

    by_id = {r["id"]: r for r in revs}
    before = {r["id"]: set(r["parents"]) | set(r["depends_on"]) for r in revs}
    after = {i: [] for i in by_id}
    for i, bs in before.items():
        for b in bs:
            after[b].append(i)
    ready = [i for i, bs in before.items() if not bs]
    heapq.heapify(ready)
    out = []
    indegree = {i: len(bs) for i, bs in before.items()}
    while ready:
        i = heapq.heappop(ready)
        out.append(by_id[i])
        for j in after[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, j)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--config", default="alembic.ini", help="the project's alembic.ini")
    ap.add_argument("-n", "--name", default="alembic", help="the ini section (default alembic)")
    ap.add_argument("outdir", help="the migrations folder to write")
    args = ap.parse_args()
    ensure_venv()

    script, revisions = load_project(args.config, args.name)
    revs, problems = [], []
    for sc in revisions:
        rid = sc.revision
        if not ID.match(rid):
            problems.append(f"{rid}: the id has characters migrate_ext does not take (letters, digits, _ and . only)")
            continue
        labels = sorted(sc._orig_branch_labels)
        bad = [l for l in labels if not LABEL.match(l)]
        if bad:
            problems.append(f"{rid}: branch label(s) {', '.join(bad)} not valid in migrate_ext")
        deps = []
        for d in tuple_of(sc.dependencies):
            try:
                deps.append(script.revision_map.get_revision(d).revision)
            except Exception as e:  # an unknown or ambiguous dependency
                problems.append(f"{rid}: depends_on {d}: {e}")
        try:
            up = [to_op(s) for s in render(sc.module.upgrade)]
            down = [to_op(s) for s in render(sc.module.downgrade)]
        except Exception as e:
            problems.append(f"{rid}: Alembic cannot render its SQL offline ({type(e).__name__}: {e}); "
                            "it probably reads the database. Rewrite it to plain operations, "
                            "or write its ops by hand.")
            continue
        revs.append({
            "id": rid,
            "parents": tuple_of(sc.down_revision),
            "labels": labels,
            "depends_on": deps,
            "message": sc.doc if sc.doc else None,
            "upgrade": up,
            "downgrade": down,
        })
    if problems:
        print("import-alembic: these revisions cannot be imported; nothing was written:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)

    os.makedirs(args.outdir, exist_ok=True)
    ordered = order(revs)
    width = max(4, len(str(len(ordered))))
    for n, r in enumerate(ordered, 1):
        s = slug(r["message"] or "")
        name = f"{n:0{width}d}_{r['id']}" + (f"_{s}" if s else "") + ".sql"
        with open(os.path.join(args.outdir, name), "w", encoding="utf-8") as f:
            f.write(render_file(r))
    print(f"imported {len(ordered)} revision(s) into {args.outdir}")


if __name__ == "__main__":
    main()
