#!/usr/bin/env python3
"""Fuzz migrate_ext with well-formed but hostile op documents.

Every document is generated from (seed, number), so any one can be run again
with --seed S --only N. Each one goes through migrate.revision() (or a direct
INSERT into migrate.revisions), migrate.show(), migrate.sql('head'),
migrate.lint('head'), migrate.upgrade('head') and, when that succeeded,
migrate.downgrade(-1), inside a PL/pgSQL block whose effects are always rolled back. Documents run
in batches, one psql session per batch, one autocommitted statement each, in
a database of their own that holds a fixture schema (fx).

A run FAILS (exit 1) when any document:
  - gets SQLSTATE class XX (internal error);
  - gets an error (message, detail, hint, context) or a notice that shows
    Rust internals: panic, backtrace, src/, .rs:, rust, Rust type names
    (u128, i64...), serde, unwrap;
  - gets an error that names an op the document does not have
    ('unknown op "exclude"' for an add_constraint kind);
  - makes a planted canary function run from a field that is not raw SQL
    (an injection), or refuses / changes a valid JSON number
    (number probes: every digit must survive);
  - loses the connection or crashes the server (psql exit 2, or
    'terminated by signal' / PANIC in the server log), or hangs;
  - leaves any change behind: the catalog of every non-system schema, the
    roles, the rows of every table (fixture and migrate.*), the session's
    settings and advisory locks are snapshotted before and after each batch
    and must be identical.
Each distinct failure class is reported once, with its smallest example
(minimized when the class is a per-document one) and a psql reproducer.

Uses psql from PATH and the server in PGHOST/PGPORT (user postgres unless
PGUSER is set); Python 3 standard library only.
"""

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------- JSON tree


class Raw:
    """A JSON token written exactly as given (numbers, escapes, junk)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "Raw(%r)" % self.text


class Obj:
    """A JSON object as a list of (key, value) pairs: keys may repeat."""

    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = list(items or [])

    def get(self, key, default=None):
        for k, v in reversed(self.items):
            if k == key:
                return v
        return default

    def set(self, key, value):
        for i, (k, _) in enumerate(self.items):
            if k == key:
                self.items[i] = (k, value)
                return
        self.items.append((key, value))

    def remove(self, key):
        self.items = [(k, v) for k, v in self.items if k != key]


def dump(v):
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, Obj):
        return "{" + ", ".join(dump(k) + ": " + dump(x) for k, x in v.items) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    if v is None or isinstance(v, (bool, int, float, str)):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(v)


def size(v):
    return len(dump(v))


# ---------------------------------------------------------------- pools

OPS = ["create_table", "drop_table", "rename_table", "add_column", "drop_column",
       "rename_column", "alter_column", "create_index", "drop_index", "add_constraint",
       "drop_constraint", "validate_constraint", "bulk_insert", "execute", "create_enum", "drop_enum",
       "rename_enum", "add_enum_value", "rename_enum_value", "drop_enum_value",
       "set_enum_values"]

SCHEMAS = ["fx", "fx", "fx", "public", "migrate", "pg_catalog", "information_schema",
           "pg_toast", "nope", "Odd Schema", "FX", "pg_temp", "fuzzh"]
TABLES = ["t1", "t1", "nums", "victim", "child", 'Odd "Table"', "v", "canary_seq", "mood",
          "base_marker", "nope", "revisions", "migrate.revisions", "T1"]
COLUMNS = ["id", "note", "m", "tags", "n", "tag", "t1_id", "Odd Col", "nope", "ctid",
           "xmin", "oid", "tableoid"]
ENUMS = ["mood", "mood", "status", "Odd Enum", "nope_enum", "t1", "int4", "dom",
         "MOOD", "fx.mood"]
ENUM_VALUES = ["sad", "ok", "happy", "open", "done", "a b", "it's", "nope", "OK", ""]
INDEXES = ["t1_note_idx", "t1_pkey", "nope_idx", "nums_pkey", "t1_m_idx"]
CONSTRAINTS = ["t1_pkey", "child_t1_id_fkey", "nums_n_check", "nope_con", "t1_note_check"]
KINDS = ["primary_key", "unique", "check", "foreign_key"]
BAD_KINDS = ["exclude", "EXCLUDE", "Check", "primary key", "not_null", "", "foreign-key",
             "uniq", "references"]
FK_ACTIONS = ["cascade", "restrict", "set null", "set_default", "no action", "NO_ACTION",
              "Cascade", "delete", "", "cascade; DROP TABLE fx.victim"]
METHODS = ["btree", "hash", "gist", "gin", "brin", "spgist", "BTREE", "nope", "heap", ""]
IDENTITIES = ["always", "by default", "ALWAYS", "by_default", "", "sometimes"]

GOOD_TYPES = ["integer", "text", "numeric", "bigint", "varchar(20)", "numeric(5,2)",
              "timestamp with time zone", "text[]", "mood", "fx.mood", '"Odd Enum"',
              'fx."Odd Enum"', "serial", "bigserial", "smallserial", "serial4", "boolean",
              "jsonb", "int[][]", "double precision", "bit varying(5)",
              "interval year to month", "character varying", "pg_catalog.int4", '"char"',
              "uuid", "bytea", "int4range", "money", "char(1)", "time(3) with time zone",
              "mood[]", "fx.dom", "INTEGER", "int4 ARRAY", "int ARRAY[3]"]
BAD_TYPES = ["int DEFAULT 1", "int; DROP TABLE fx.victim", "int -- c", "int /* c */",
             "'text'", "$$text$$", "text\\", "int4 CHECK (fx.canary())", "fx.canary()",
             "varchar(99999999999)", "varchar(-1)", "numeric(1001)", "numeric(1000, 2000)",
             "nope_type", "int4 int4", "int[", "SETOF int", "int)", "integer[99999999999]",
             '""', '"unterminated', "t1", "fx.t1", "record", "anyelement", "void", "trigger",
             "unknown", "cstring", 'pg_catalog."int4"', 'text COLLATE "C"', "a.b.c.d",
             'int4) NOT NULL, "x" int CHECK (fx.canary()', "int GENERATED ALWAYS AS (1) STORED",
             "int4range(1,2)", "%s", "double  precision", "pg_temp.x", "migrate.revisions",
             "interval(99999999999)", "timestamp(-5)", "bit(0)", "char(0)", "int\nDEFAULT 1",
             "integer[]" * 30, "x" * 70]

# raw SQL statements for execute (and down); "canary" becomes canary_ok in
# raw fields, where running it is what the op is for
SQL_STATEMENTS = [
    "SELECT 1", "CREATE TABLE fx.created (id int)", "DROP TABLE fx.victim",
    "COPY fx.t1 TO STDOUT", "COPY fx.t1 FROM STDIN", "COPY (SELECT 1) TO STDOUT",
    "COPY fx.t1 TO STDOUT; SELECT 1", "SELECT 1; COPY fx.nums TO STDOUT",
    "COPY fx.t1 TO '/dev/null'", "BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION",
    "SAVEPOINT s", "RELEASE SAVEPOINT s", "ROLLBACK TO SAVEPOINT s", "END", "ABORT",
    "PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "VACUUM fx.t1", "ANALYZE fx.t1",
    "CREATE INDEX CONCURRENTLY ci ON fx.t1 (note)", "CREATE DATABASE fuzz_nope",
    "SELECT 1/0", "DO $$BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '22012'; END$$",
    "DO $$BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = 'ZZ001'; END$$",
    "DO $$BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = 'P0001', DETAIL = 'd', HINT = 'h'; END$$",
    "SET search_path = ''", "SET LOCAL search_path = nope", "RESET ALL",
    "SELECT pg_catalog.set_config('search_path', '', false)", "SET ROLE fuzz_nobody",
    "SET session_replication_role = replica", "DISCARD ALL", "LISTEN x", "NOTIFY x, 'y'",
    "DECLARE c CURSOR FOR SELECT 1", "FETCH ALL FROM c", "CLOSE ALL", "SHOW search_path",
    "EXPLAIN ANALYZE SELECT 1", "CHECKPOINT", "SELECT migrate.upgrade('head')",
    "SELECT migrate.stamp('base')", "SELECT migrate.downgrade('base')",
    "SELECT migrate.revision('inner')", "TRUNCATE migrate.revisions", "TRUNCATE migrate.log",
    "DELETE FROM migrate.version", "DELETE FROM migrate.applied", "DROP TABLE migrate.log",
    "UPDATE migrate.revisions SET upgrade = '[]'", "DROP SCHEMA migrate CASCADE",
    "DROP EXTENSION migrate_ext", "ALTER TABLE migrate.version RENAME TO v2",
    "CREATE TABLE public.leak (id int)", "CREATE TEMP TABLE tmp (id int)",
    "CREATE ROLE fuzz_role", "GRANT ALL ON SCHEMA fx TO PUBLIC", "SELECT fx.canary()",
    "SELECT pg_catalog.pg_advisory_xact_lock(42)", "SELECT repeat('x', 100000)",
    "SELECT E'\\\\'", "SELECT $q$;$q$", "SELECT 'it''s'", "", " ", ";", ";;;", "--", "/*",
    "*/", "$$", "\\copy fx.t1 to stdout", "\\!ls", "SELECT 1 -- trailing",
    "SELECT 1 /* unterminated", "SELECT 'unterminated", "CALL nope()", "SELEC 1",
    "CREATE FUNCTION fx.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "ALTER TYPE fx.mood ADD VALUE 'new'", "ALTER TYPE fx.mood ADD VALUE 'new'; SELECT 'new'::fx.mood",
    "LOCK TABLE fx.t1", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SELECT lo_create(0)", "CREATE EXTENSION IF NOT EXISTS plpgsql",
    "SELECT pg_catalog.txid_current()", "SELECT * FROM fx.t1 FOR UPDATE",
    "INSERT INTO fx.t1 VALUES (1)", "WITH x AS (DELETE FROM fx.t1 RETURNING *) SELECT 1",
    "SELECT pg_notify('x', repeat('y', 9000))", "REFRESH MATERIALIZED VIEW fx.v",
]
SQL_EXPRESSIONS = [
    "id > 0", "lower(note)", "note IS NOT NULL", "fx.canary()", "1/0 > 0",
    "id > 0) OR (true", "true); SELECT fx.canary(); --", "(SELECT count(*) FROM fx.t1) > 0",
    "random() > 0.5", "", " ", "id", 'note COLLATE "C"', "m = 'ok'", "m = 'nope'",
    "now() > '2000-01-01'", "id::text", "note || 'x'", "(id)", "id, note", "nope_col > 0",
    "'x'", "NULL", "true", "1", "n * 2", "ARRAY[1,2]", "id +", "((((((((((1))))))))))",
    "SELECT 1", "$$x$$", "E'\\\\'", "'it''s'", "'unterminated", "note /* c */", "id -- c",
    "nextval('fx.canary_seq')", "pg_catalog.now()", "gen_random_uuid()",
]
# hostile strings for every string field; "canary" calls mark injections
INJECTIONS = [
    "x'; SELECT fx.canary(); --", "x\"; SELECT fx.canary(); --",
    "x$$; SELECT fx.canary(); --", "x'||fx.canary()||'", "\")||fx.canary()||(\"",
    "*/ SELECT fx.canary(); /*", "x' ; DROP TABLE fx.victim; --", "E'\\'; SELECT fx.canary(); --",
    "\\'; SELECT fx.canary(); --", "a\nSELECT fx.canary()", "x' AFTER 'y'); SELECT fx.canary(); --",
    "'); SELECT fx.canary(); --", "\"); SELECT fx.canary(); --", "$q$; SELECT fx.canary(); --",
    "x%s%I%L'; SELECT fx.canary(); --", "fx.canary()", "int4) ; SELECT fx.canary(); --",
    "x'::text); SELECT fx.canary(); --", "x' || (SELECT fx.canary())::text || '",
]
ODD_STRINGS = [
    "", " ", "\t", "\n", "a" * 63, "a" * 64, "é" * 31 + "a", "é" * 32, "€" * 21,
    "a" + "€" * 21, "😀" * 15 + "abc", "😀" * 16, "x" * 1000, "\u202eevil", "zero\u200bwidth",
    "e\u0301", "Ω", "日本語", "'", "''", '"', '""', 'x"y', "a'b", "\\", "\\'", "$$", "$a$",
    "--", "/*", "*/", ";", "%s", "%I", "%L", "%%", "{}", "[]", "null", "NULL", "DEFAULT",
    "CASCADE", "head", "base", "heads", "@", "+1", "-1", "r0", "fz", "pg_catalog",
    "migrate", "Odd Schema", "  padded  ", "UPPER", "tab\tin", "new\nline", "\x7f",
    "\x01\x02", "\uffff", "\ufeffbom", "a.b", "x" * 100000,
]
RAW_STRINGS = ['"\\u0000"', '"nul\\u0000byte"', '"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"',
               '"\\u00e9"', '"\\/"', '"\\b\\f\\r"']


def big_numbers():
    out = ["0", "-0", "1", "-1", "42", "2147483647", "2147483648", "-2147483649",
           "9223372036854775807", "9223372036854775808", "-9223372036854775808",
           "-9223372036854775809", str(2 ** 64 - 1), str(2 ** 64), str(2 ** 64 + 1),
           str(2 ** 100), str(2 ** 127 - 1), str(2 ** 127), str(2 ** 128 - 1), str(2 ** 128),
           str(2 ** 128 + 1), str(2 ** 200), "1" + "0" * 400, "9" * 3000, str(-2 ** 64),
           str(-2 ** 100), str(-2 ** 127), str(-2 ** 128), str(-2 ** 200), "0.5", "-0.0",
           "1.0", "1e308", "1e309", "1e-400", "1E+400", "-1.5e10", "0e0", "3.14159",
           "123456789012345678901234567890.123456789", "0.000000000000000000001",
           "1e131071", "18446744073709551616.5"]
    return out


NUMBERS = big_numbers()
# only these are valid numeric values a numeric column holds exactly
PROBE_NUMBERS = [n for n in NUMBERS if n not in ("1e131071",)]
FORBIDDEN = re.compile(
    r"panick|\bpanic|backtrace|src/|\.rs:|\brust|\b(?:u8|u16|u32|u64|u128|i8|i16|i32|i64|"
    r"i128|usize|isize|f32|f64)\b|serde|unwrap|called `|thread '|pgrx|struct [A-Z]\w*|"
    r"\b[a-z_]{1,30}::[a-z_]{1,30}::",
    re.IGNORECASE)


# ---------------------------------------------------------------- generator

class Gen:
    def __init__(self, rng):
        self.r = rng
        self.canary_raw = False   # a canary call was placed in a raw SQL field

    def p(self, x):
        return self.r.random() < x

    def pick(self, xs):
        return self.r.choice(xs)

    def rand_ident(self):
        n = self.r.randint(1, 12)
        return "".join(self.r.choice("abcdefghjkmnpqstwxyz_") for _ in range(n))

    def hostile_string(self):
        c = self.r.random()
        if c < 0.35:
            return self.pick(INJECTIONS)
        if c < 0.9:
            return self.pick(ODD_STRINGS)
        return Raw(self.pick(RAW_STRINGS))

    def s(self, pool, hostile=0.25):
        """A string from pool, or a hostile one."""
        if self.p(hostile):
            return self.hostile_string()
        if self.p(0.1):
            return self.rand_ident()
        return self.pick(pool)

    def raw_sql(self, pool, hostile=0.15):
        if self.p(hostile):
            v = self.hostile_string()
        else:
            v = self.pick(pool)
        if isinstance(v, str) and "canary()" in v:
            self.canary_raw = True
            v = v.replace("fx.canary()", "fx.canary_ok()")
        return v

    def number(self):
        return Raw(self.pick(NUMBERS))

    def junk(self, depth=0):
        c = self.r.random()
        if depth > 3 or c < 0.2:
            return self.pick([None, True, False, 0, -1, Raw(self.pick(NUMBERS)), "",
                              self.hostile_string()])
        if c < 0.3:
            d = self.r.choice([5, 50, 150, 300])
            return Raw("[" * d + "]" * d) if self.p(0.5) else Raw('{"a":' * d + "1" + "}" * d)
        if c < 0.6:
            return [self.junk(depth + 1) for _ in range(self.r.randint(0, 3))]
        return Obj([(self.s(["a", "op", "sql", "name"]), self.junk(depth + 1))
                    for _ in range(self.r.randint(0, 3))])

    def bool_(self):
        return self.r.random() < 0.5 if self.p(0.9) else self.junk()

    def default(self):
        c = self.r.random()
        if c < 0.3:
            return self.s(ENUM_VALUES + ["n/a", "0", "now()"])
        if c < 0.55:
            return self.number()
        if c < 0.65:
            return self.p(0.5)
        if c < 0.85:
            return Obj([("sql", self.raw_sql(SQL_EXPRESSIONS))])
        return self.pick([None, [1], Obj(), Obj([("sql", 5)]), Obj([("sql", "1"), ("x", 1)]),
                          Obj([("SQL", "1")]), self.junk()])

    def column(self):
        o = Obj([("name", self.s(COLUMNS + ["c", "new_col"])),
                 ("type", self.s(GOOD_TYPES) if self.p(0.75) else self.pick(BAD_TYPES))])
        if self.p(0.4):
            o.set("nullable", self.bool_())
        c = self.r.random()
        if c < 0.4:
            o.set("server_default", self.default())
        elif c < 0.5:
            o.set("identity", self.s(IDENTITIES, 0.1))
        elif c < 0.6:
            o.set("generated", self.raw_sql(SQL_EXPRESSIONS))
        if self.p(0.05):
            o.set("server_default", self.default())
            o.set("identity", self.pick(IDENTITIES))
        return o

    def names(self, pool, lo=0, hi=3):
        return [self.s(pool) for _ in range(self.r.randint(lo, hi))]

    def row(self):
        o = Obj()
        for _ in range(self.r.randint(0, 4)):
            key = self.s(["id", "note", "n", "tag", "m", "tags", "nope"])
            c = self.r.random()
            if c < 0.4:
                val = self.number()
            elif c < 0.7:
                val = self.s(ENUM_VALUES + ["x"])
            else:
                val = self.pick([None, True, [1, "a"], Obj([("k", 1)]), self.junk()])
            o.items.append((key, val))
        return o

    def op(self, name):
        s = self.s
        o = Obj([("op", name)])
        if name not in ("execute",) and self.p(0.5):
            o.set("schema", s(SCHEMAS))
        if name == "create_table":
            o.set("name", s(TABLES + ["new_table"]))
            o.set("columns", [self.column() for _ in range(self.r.randint(0, 3))])
            if self.p(0.4):
                o.set("primary_key", self.names(COLUMNS))
            if self.p(0.2):
                o.set("if_not_exists", self.bool_())
        elif name in ("drop_table",):
            o.set("name", s(TABLES))
        elif name == "rename_table":
            o.set("name", s(TABLES))
            o.set("new_name", s(TABLES + ["renamed"]))
        elif name == "add_column":
            o.set("table", s(TABLES))
            o.set("column", self.column())
        elif name == "drop_column":
            o.set("table", s(TABLES))
            o.set("column", s(COLUMNS))
        elif name == "rename_column":
            o.set("table", s(TABLES))
            o.set("column", s(COLUMNS))
            o.set("new_name", s(COLUMNS + ["renamed"]))
        elif name == "alter_column":
            o.set("table", s(TABLES))
            o.set("column", s(COLUMNS))
            for key, gen in (("type", lambda: s(GOOD_TYPES) if self.p(0.75) else self.pick(BAD_TYPES)),
                             ("using", lambda: self.raw_sql(SQL_EXPRESSIONS)),
                             ("nullable", self.bool_),
                             ("server_default", self.default),
                             ("comment", lambda: None if self.p(0.2) else s(["a short note"]))):
                if self.p(0.35):
                    o.set(key, gen())
        elif name == "create_index":
            o.set("name", s(INDEXES + ["new_idx"]))
            o.set("table", s(TABLES))
            if self.p(0.7):
                o.set("columns", self.names(COLUMNS))
            if self.p(0.4):
                o.set("expressions", [self.raw_sql(SQL_EXPRESSIONS)
                                      for _ in range(self.r.randint(0, 2))])
            if self.p(0.3):
                o.set("unique", self.bool_())
            if self.p(0.3):
                o.set("where", self.raw_sql(SQL_EXPRESSIONS))
            if self.p(0.3):
                o.set("method", s(METHODS))
        elif name == "drop_index":
            o.set("name", s(INDEXES))
        elif name == "add_constraint":
            o.set("table", s(TABLES))
            o.set("name", s(CONSTRAINTS + ["new_con"]))
            o.set("kind", self.pick(BAD_KINDS) if self.p(0.2) else s(KINDS, 0.05))
            if self.p(0.6):
                o.set("columns", self.names(COLUMNS, 0, 2))
            if self.p(0.4):
                o.set("expression", self.raw_sql(SQL_EXPRESSIONS))
            if self.p(0.4):
                ref = Obj([("table", s(TABLES)), ("columns", self.names(COLUMNS, 0, 2))])
                if self.p(0.3):
                    ref.set("schema", s(SCHEMAS))
                o.set("references", ref)
            for key in ("on_delete", "on_update"):
                if self.p(0.2):
                    o.set(key, s(FK_ACTIONS, 0.1))
            for key in ("deferrable", "initially_deferred", "not_valid"):
                if self.p(0.2):
                    o.set(key, self.bool_())
        elif name in ("drop_constraint", "validate_constraint"):
            o.set("table", s(TABLES))
            o.set("name", s(CONSTRAINTS))
        elif name == "bulk_insert":
            o.set("table", s(TABLES))
            o.set("rows", [self.row() for _ in range(self.r.randint(0, 3))])
        elif name == "execute":
            o.set("sql", self.raw_sql(SQL_STATEMENTS))
            if self.p(0.4):
                o.set("down", self.raw_sql(SQL_STATEMENTS))
        elif name in ("create_enum", "set_enum_values"):
            o.set("name", s(ENUMS + ["new_enum"]))
            o.set("values", self.names(ENUM_VALUES, 0, 4))
        elif name == "drop_enum":
            o.set("name", s(ENUMS))
        elif name == "rename_enum":
            o.set("name", s(ENUMS))
            o.set("new_name", s(ENUMS + ["renamed"]))
        elif name == "add_enum_value":
            o.set("name", s(ENUMS))
            o.set("value", s(ENUM_VALUES + ["new"]))
            if self.p(0.3):
                o.set(self.pick(["before", "after"]), s(ENUM_VALUES))
            if self.p(0.05):
                o.set("before", s(ENUM_VALUES))
                o.set("after", s(ENUM_VALUES))
            if self.p(0.2):
                o.set("if_not_exists", self.bool_())
        elif name == "rename_enum_value":
            o.set("name", s(ENUMS))
            o.set("value", s(ENUM_VALUES))
            o.set("new_value", s(ENUM_VALUES + ["new"]))
        elif name == "drop_enum_value":
            o.set("name", s(ENUMS))
            o.set("value", s(ENUM_VALUES))
            if self.p(0.4):
                o.set("replace_with", s(ENUM_VALUES))
        return o

    def leaves(self, v, path=()):
        """Paths of every value inside v (objects and arrays included)."""
        out = [path]
        if isinstance(v, Obj):
            for i, (_, x) in enumerate(v.items):
                out += self.leaves(x, path + (i,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                out += self.leaves(x, path + (i,))
        return out

    @staticmethod
    def at(v, path):
        for i in path:
            v = v.items[i][1] if isinstance(v, Obj) else v[i]
        return v

    @staticmethod
    def put(v, path, new):
        parent = Gen.at(v, path[:-1])
        i = path[-1]
        if isinstance(parent, Obj):
            parent.items[i] = (parent.items[i][0], new)
        else:
            parent[i] = new

    def mutate(self, op):
        """One hostile change to an op, anywhere inside it."""
        m = self.r.random()
        paths = [p for p in self.leaves(op) if p]
        if m < 0.2 and paths:
            self.put(op, self.pick(paths), self.junk())                 # wrong type
        elif m < 0.3 and op.items:
            del op.items[self.r.randrange(len(op.items))]               # missing field
        elif m < 0.4:
            key = self.pick(["checkfirst", "cascade", "extra", "Op", "op ", "SQL", "", "\u0000x"
                             .replace("\u0000", ""), self.rand_ident()])
            op.items.insert(self.r.randint(0, len(op.items)), (key, self.junk()))  # unknown
        elif m < 0.5 and op.items:
            k, v = self.pick(op.items)                                  # duplicate key
            dup = (k, self.junk() if self.p(0.5) else v)
            op.items.insert(self.r.randint(0, len(op.items)), dup)
        elif m < 0.58:
            op.set("op", self.pick(["create_enum_type", "CREATE_TABLE", "exclude", "", " execute",
                                    "drop", "create-table", "Execute"]) if self.p(0.8)
                   else self.junk())                                    # unknown op
        elif m < 0.75 and paths:
            self.put(op, self.pick(paths), self.hostile_string())      # hostile string
        elif m < 0.88 and paths:
            self.put(op, self.pick(paths), self.number())              # odd number
        elif paths:
            self.put(op, self.pick(paths), self.pick([[], Obj(), [[]], [Obj()], [None]]))

    def document(self):
        """(mode, upgrade, downgrade, id, parent, label); upgrade and
        downgrade are trees, downgrade None for a derived one."""
        r = self.r
        if self.p(0.04):
            up = self.pick([Obj([("op", "execute"), ("sql", "SELECT 1")]), 42, "[]", None,
                            [42], [[]], [None], Raw("[" * 300 + "]" * 300), self.junk(),
                            Raw(self.pick(RAW_STRINGS))])
        elif self.p(0.15):
            # one op, unmutated, so that its SQL runs: raw SQL (execute)
            # most often, since that is where the server's own refusals are
            up = [self.op("execute" if self.p(0.4) else self.pick(OPS))]
            return Doc("fn", up, [])
        else:
            up = []
            for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
                op = self.op(self.pick(OPS))
                for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3])):
                    self.mutate(op)
                up.append(op)
        c = r.random()
        if c < 0.5:
            down = []
        elif c < 0.75:
            down = None
        else:
            down = [self.op(self.pick(OPS)) for _ in range(r.randint(0, 2))]
            if self.p(0.3) and down:
                self.mutate(down[0])
        mode = "insert" if self.p(0.15) else "fn"
        rid = parent = label = None
        if self.p(0.05):
            rid = self.pick(["head", "base", "has space", "-1", "r0", "a" * 65, "é",
                             "x'; SELECT fx.canary(); --", "", "fz.1", "Z_9"])
        if self.p(0.03):
            parent = self.pick(["r0", "nope", "head", "heads", "base", "r0+1", "r", "",
                                "x'; SELECT fx.canary(); --"])
        if self.p(0.03):
            label = self.pick(["lbl", "r0", "head", "-x", "a" * 65, "x'; SELECT fx.canary(); --"])
        return Doc(mode, up, down, rid, parent, label)

    def number_probe(self):
        """A valid op with one JSON number in it, that must keep every digit."""
        num = self.pick(PROBE_NUMBERS)
        kind = self.pick(["add_column", "bulk_insert", "alter_column", "create_table"])
        if kind == "add_column":
            up = [Obj([("op", "add_column"), ("schema", "fx"), ("table", "nums"),
                       ("column", Obj([("name", "probe"), ("type", "numeric"),
                                       ("server_default", Raw(num))]))])]
            post = "SELECT fuzzh.expect_num((SELECT probe FROM fx.nums WHERE id = 1), %s)"
            down = None
        elif kind == "create_table":
            up = [Obj([("op", "create_table"), ("schema", "fx"), ("name", "probe"),
                       ("columns", [Obj([("name", "id"), ("type", "int")]),
                                    Obj([("name", "n"), ("type", "numeric"),
                                         ("server_default", Raw(num))])])])]
            post = ("SELECT fuzzh.expect_num(fuzzh.insert_default('fx.probe'), %s)")
            down = None
        elif kind == "bulk_insert":
            up = [Obj([("op", "bulk_insert"), ("schema", "fx"), ("table", "nums"),
                       ("rows", [Obj([("id", 100), ("n", Raw(num)), ("tag", "probe")])])])]
            post = "SELECT fuzzh.expect_num((SELECT n FROM fx.nums WHERE id = 100), %s)"
            down = []
        else:
            up = [Obj([("op", "alter_column"), ("schema", "fx"), ("table", "nums"),
                       ("column", "n"), ("server_default", Raw(num))])]
            post = "SELECT fuzzh.expect_num(fuzzh.insert_default('fx.nums'), %s)"
            down = []
        return Doc("fn", up, down, None, None, None, post=post % sql_literal(num), probe=num)


class Doc:
    def __init__(self, mode, up, down, rid=None, parent=None, label=None, post=None, probe=None):
        self.mode, self.up, self.down = mode, up, down
        self.rid, self.parent, self.label = rid, parent, label
        self.post, self.probe = post, probe
        self.canary_raw = False
        self.n = None

    def texts(self):
        return dump(self.up), None if self.down is None else dump(self.down)

    def op_names(self):
        names = set()
        for side in (self.up, self.down):
            if isinstance(side, list):
                for op in side:
                    if isinstance(op, Obj):
                        v = op.get("op")
                        if isinstance(v, str):
                            names.add(v)
                        elif isinstance(v, Raw):
                            try:
                                v = json.loads(v.text)
                            except ValueError:
                                continue
                            if isinstance(v, str):
                                names.add(v)
        return names


def make_doc(seed, n):
    """Document number n of a seed: the same on every run."""
    for attempt in range(20):
        g = Gen(random.Random("%s:%d:%d" % (seed, n, attempt)))
        doc = g.number_probe() if g.p(0.06) else g.document()
        doc.canary_raw = g.canary_raw
        up, down = doc.texts()
        # never put words the oracles look for into the input itself
        if not FORBIDDEN.search(up + (down or "") + str(doc.rid) + str(doc.label) + str(doc.parent)):
            break
    doc.n = n
    return doc


# ---------------------------------------------------------------- SQL harness

def sql_literal(s):
    if s is None:
        return "NULL"
    return "'" + s.replace("'", "''") + "'"


FIXTURE = r"""
SET client_min_messages = warning;
CREATE EXTENSION migrate_ext;
CREATE SCHEMA fx;
CREATE SCHEMA "Odd Schema";
CREATE TYPE fx.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE fx.status AS ENUM ('open', 'done');
CREATE TYPE fx."Odd Enum" AS ENUM ('a b', 'it''s');
CREATE DOMAIN fx.dom AS int CHECK (VALUE > 0);
CREATE TABLE fx.t1 (id int PRIMARY KEY, note text CONSTRAINT t1_note_check CHECK (note <> 'bad'),
                    m fx.mood DEFAULT 'ok', tags text[], s fx.status NOT NULL DEFAULT 'open');
CREATE INDEX t1_note_idx ON fx.t1 (note);
CREATE INDEX t1_m_idx ON fx.t1 (id) WHERE m = 'happy';
INSERT INTO fx.t1 VALUES (1, 'one', 'sad', '{a}', 'open'), (2, NULL, 'happy', NULL, 'done');
CREATE TABLE fx.nums (id int PRIMARY KEY, n numeric CONSTRAINT nums_n_check CHECK (n IS NOT NULL OR id > 0), tag text);
INSERT INTO fx.nums VALUES (1, 0, 'one');
CREATE TABLE fx.victim (id int);
INSERT INTO fx.victim VALUES (1);
CREATE TABLE fx.child (id int, t1_id int REFERENCES fx.t1);
CREATE TABLE fx."Odd ""Table" ("Odd Col" text, id serial);
CREATE TABLE "Odd Schema"."Odd ""Table" (id int);
CREATE TABLE public.t1 (id int);
CREATE VIEW fx.v AS SELECT id, m FROM fx.t1;
CREATE SEQUENCE fx.canary_seq;
-- called from a field that is not raw SQL, it is an injection
CREATE FUNCTION fx.canary() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('fx.canary_seq');
    RAISE EXCEPTION 'CANARY: injected SQL ran' USING ERRCODE = 'ZC001';
END $$;
CREATE FUNCTION fx.canary_ok() RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';

CREATE SCHEMA fuzzh;
CREATE FUNCTION fuzzh.expect_num(got numeric, want text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM want::numeric THEN
        RAISE EXCEPTION 'number changed: % became %', want, got USING ERRCODE = 'ZF001';
    END IF;
END $$;
CREATE FUNCTION fuzzh.insert_default(t regclass) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE got numeric;
BEGIN
    EXECUTE pg_catalog.format('INSERT INTO %s (id) VALUES (1000) RETURNING n', t) INTO got;
    RETURN got;
END $$;
CREATE FUNCTION fuzzh.err(stage text, st text, msg text, det text, hin text, ctx text)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT pg_catalog.jsonb_build_object('stage', stage, 'state', st, 'message', msg,
                                         'detail', det, 'hint', hin, 'context', ctx)
$$;
-- one document, rolled back whatever happens; returns what happened
CREATE FUNCTION fuzzh.run(n int, mode text, up text, down text, rid text, parent text,
                          label text, post text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    stage text; res jsonb := '[]'; got text;
    st text; msg text; det text; hin text; ctx text;
BEGIN
    BEGIN
        stage := 'jsonb';
        PERFORM up::jsonb, down::jsonb;
        stage := 'revision';
        IF mode = 'insert' THEN
            got := coalesce(rid, 'fz' || n);
            INSERT INTO migrate.revisions (id, down_revision, branch_labels, message, upgrade, downgrade)
            VALUES (got, ARRAY[coalesce(parent, 'r0')],
                    CASE WHEN label IS NULL THEN '{}'::text[] ELSE ARRAY[label] END,
                    'fuzz', up::jsonb, down::jsonb);
        ELSE
            got := migrate.revision('fuzz', up::jsonb, down::jsonb, id => coalesce(rid, 'fz' || n),
                                    down_revision => parent, branch_label => label);
        END IF;
        BEGIN
            stage := 'show';
            PERFORM migrate.show(got);
            stage := 'sql';
            PERFORM migrate.sql('head');
            stage := 'lint';
            PERFORM migrate.lint('head');
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
            res := res || fuzzh.err(stage, st, msg, det, hin, ctx);
        END;
        stage := 'upgrade';
        PERFORM migrate.upgrade('head');
        IF post IS NOT NULL THEN
            stage := 'check';
            EXECUTE post;
        END IF;
        stage := 'downgrade';
        PERFORM migrate.downgrade(-1);
        stage := 'done';
        RAISE EXCEPTION 'fuzz: roll back' USING ERRCODE = 'ZR000';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
            det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
        IF st = 'ZR000' THEN
            res := res || pg_catalog.jsonb_build_object('stage', 'done', 'state', 'ok');
        ELSE
            res := res || fuzzh.err(stage, st, msg, det, hin, ctx);
        END IF;
    END;
    RETURN pg_catalog.jsonb_build_object('n', n, 'r', res)::text;
END $f$;

-- everything a document must leave as it was, as sorted lines
CREATE FUNCTION fuzzh.snapshot() RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    t regclass; d text;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS snap_lines (line text);
    TRUNCATE snap_lines;
    CREATE TEMP VIEW nsp AS
        SELECT oid, nspname FROM pg_namespace
         WHERE (nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%')
            OR oid = pg_my_temp_schema();
    INSERT INTO snap_lines
    SELECT format('schema %s owner=%s acl=%s', nspname, nspowner::regrole, nspacl) FROM pg_namespace n
     WHERE n.oid IN (SELECT oid FROM nsp) OR nspname IN ('pg_catalog', 'public')
    UNION ALL
    SELECT format('relation %s.%s kind=%s persist=%s owner=%s acl=%s opts=%s rls=%s comment=%s', n.nspname, c.relname,
                  c.relkind, c.relpersistence, c.relowner::regrole, c.relacl, c.reloptions,
                  c.relrowsecurity, obj_description(c.oid, 'pg_class'))
      FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
    UNION ALL
    SELECT format('column %s.%s.%s %s notnull=%s dropped=%s identity=%s generated=%s default=%s comment=%s',
                  n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  a.attisdropped, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
                  col_description(c.oid, a.attnum))
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN nsp n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0
    UNION ALL
    SELECT format('constraint %s.%s on %s: %s', n.nspname, k.conname, k.conrelid::regclass,
                  pg_get_constraintdef(k.oid))
      FROM pg_constraint k JOIN nsp n ON n.oid = k.connamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN nsp n ON n.oid = c.relnamespace
    UNION ALL
    SELECT format('type %s.%s %s %s owner=%s comment=%s', n.nspname, t.typname, t.typtype,
                  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                    WHERE e.enumtypid = t.oid), t.typowner::regrole, obj_description(t.oid, 'pg_type'))
      FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace
    UNION ALL
    SELECT format('function %s.%s(%s) %s secdef=%s config=%s src=%s', n.nspname, p.proname,
                  pg_get_function_identity_arguments(p.oid), p.provolatile, p.prosecdef,
                  p.proconfig, md5(p.prosrc))
      FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
    UNION ALL
    SELECT format('operator %s.%s(%s,%s)', n.nspname, o.oprname, o.oprleft::regtype, o.oprright::regtype)
      FROM pg_operator o JOIN nsp n ON n.oid = o.oprnamespace
    UNION ALL
    SELECT format('trigger %s on %s enabled=%s: %s', g.tgname, g.tgrelid::regclass, g.tgenabled,
                  pg_get_triggerdef(g.oid))
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN nsp n ON n.oid = c.relnamespace
    UNION ALL
    SELECT format('rule %s on %s: %s', w.rulename, w.ev_class::regclass, md5(pg_get_ruledef(w.oid)))
      FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class JOIN nsp n ON n.oid = c.relnamespace
    UNION ALL
    SELECT format('policy %s on %s', y.polname, y.polrelid::regclass) FROM pg_policy y
    UNION ALL
    SELECT format('sequence %s start=%s inc=%s min=%s max=%s cycle=%s', seqrelid::regclass, seqstart,
                  seqincrement, seqmin, seqmax, seqcycle) FROM pg_sequence
    UNION ALL
    SELECT format('extension %s %s config=%s', extname, extversion, extconfig::regclass[]) FROM pg_extension
    UNION ALL
    SELECT format('event trigger %s', evtname) FROM pg_event_trigger
    UNION ALL
    SELECT format('cast %s->%s', castsource::regtype, casttarget::regtype) FROM pg_cast WHERE oid >= 16384
    UNION ALL
    SELECT format('role %s super=%s createrole=%s createdb=%s login=%s bypassrls=%s', rolname, rolsuper,
                  rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls) FROM pg_roles
    UNION ALL
    SELECT format('member %s of %s', member::regrole, roleid::regrole) FROM pg_auth_members
    UNION ALL
    SELECT format('default acl %s', defaclacl) FROM pg_default_acl
    UNION ALL
    SELECT format('large objects %s', count(*)) FROM pg_largeobject_metadata
    UNION ALL
    SELECT format('database %s config=%s', datname, datacl) FROM pg_database WHERE datname = current_database()
    UNION ALL
    SELECT format('db setting %s', setconfig) FROM pg_db_role_setting
    UNION ALL
    SELECT format('setting %s=%s', name, setting) FROM pg_settings
     WHERE context IN ('user', 'superuser') AND name NOT LIKE 'migrate.%'
    UNION ALL
    -- the extension's own settings appear when its library loads: only a
    -- changed one is a change
    SELECT format('setting %s=%s', name, setting) FROM pg_settings
     WHERE name LIKE 'migrate.%' AND source <> 'default'
    UNION ALL
    SELECT format('advisory lock %s', objid) FROM pg_locks
     WHERE locktype = 'advisory' AND pid = pg_backend_pid()
    UNION ALL
    SELECT format('canary %s %s', last_value, is_called) FROM fx.canary_seq;
    DROP VIEW nsp;
    -- the rows of every table outside the system schemas
    FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\_%temp\_%' AND n.nspname NOT LIKE 'pg\_toast%'
    LOOP
        EXECUTE format('SELECT md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) || '' '' || count(*) FROM %s x', t)
           INTO d;
        INSERT INTO snap_lines VALUES (format('rows %s %s', t, d));
    END LOOP;
    RETURN QUERY SELECT line FROM snap_lines ORDER BY line;
END $f$;

SELECT migrate.revision('fixture', '[{"op": "execute", "sql": "CREATE TABLE fx.base_marker (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE fx.base_marker"}]', id => 'r0');
SELECT migrate.upgrade('head');
"""

SESSION = """\\set ON_ERROR_STOP 0
SET client_min_messages = notice;
SET statement_timeout = '%ds';
SET search_path = fx, public;
"""


def doc_statement(doc):
    up, down = doc.texts()
    return "SELECT fuzzh.run(%d, %s, %s, %s, %s, %s, %s, %s);\n" % (
        doc.n, sql_literal(doc.mode), sql_literal(up), sql_literal(down), sql_literal(doc.rid),
        sql_literal(doc.parent), sql_literal(doc.label), sql_literal(doc.post))


def repro(doc, db="<db>"):
    """psql lines that run one document as the harness does, without the
    rollback, for a report."""
    up, down = doc.texts()
    if doc.mode == "insert":
        call = ("INSERT INTO migrate.revisions (id, down_revision, upgrade, downgrade) "
                "VALUES (%s, ARRAY[%s], %s, %s);" % (
                    sql_literal(doc.rid or "fz%d" % doc.n), sql_literal(doc.parent or "r0"),
                    sql_literal(up), sql_literal(down)))
    else:
        args = [sql_literal("fuzz"), sql_literal(up), sql_literal(down),
                "id => %s" % sql_literal(doc.rid or "fz%d" % doc.n)]
        if doc.parent is not None:
            args.append("down_revision => %s" % sql_literal(doc.parent))
        if doc.label is not None:
            args.append("branch_label => %s" % sql_literal(doc.label))
        call = "SELECT migrate.revision(%s);" % ", ".join(args)
    lines = ["BEGIN;", call, "SELECT migrate.upgrade('head');"]
    if doc.post:
        lines.append(doc.post + ";")
    lines += ["SELECT migrate.downgrade(-1);", "ROLLBACK;"]
    return "\n".join(lines)


# ---------------------------------------------------------------- running

class Server:
    def __init__(self, args):
        self.args = args
        self.env = dict(os.environ, PGCLIENTENCODING="UTF8", PGAPPNAME="migrate_ext_fuzz")
        self.env.setdefault("PGUSER", "postgres")
        if args.host:
            self.env["PGHOST"] = args.host
        if args.port:
            self.env["PGPORT"] = str(args.port)
        self.db = None
        self.template = None
        self.log = args.server_log
        self.log_pos = 0

    def psql(self, sql, db="postgres", timeout=120, extra=()):
        return subprocess.run(["psql", "-X", "-q", "-At", "-d", db, *extra], input=sql,
                              capture_output=True, text=True, encoding="utf-8",
                              errors="replace", env=self.env, timeout=timeout)

    def wait_up(self, seconds=60):
        end = time.time() + seconds
        while time.time() < end:
            if self.psql("SELECT 1", timeout=10).returncode == 0:
                return True
            time.sleep(0.5)
        return False

    def find_log(self):
        if self.log:
            return
        out = self.psql("SHOW data_directory").stdout.strip()
        cand = os.path.join(os.path.dirname(out), "server.log")
        if out and os.path.exists(cand):
            self.log = cand

    def log_mark(self):
        if self.log and os.path.exists(self.log):
            self.log_pos = os.path.getsize(self.log)

    def log_trouble(self):
        """New server log lines that mean a crash."""
        if not (self.log and os.path.exists(self.log)):
            return []
        with open(self.log, "rb") as f:
            f.seek(self.log_pos)
            text = f.read().decode("utf-8", "replace")
        self.log_pos += len(text.encode("utf-8", "replace"))
        bad = re.compile(r"terminated by signal|PANIC|was terminated|exited with exit code [1-9]|"
                         r"server process .* exited|all server processes terminated|"
                         r"database system was not properly shut down")
        return [line for line in text.splitlines() if bad.search(line)]

    def setup(self):
        name = "fuzz_%d" % os.getpid()
        self.template = name + "_tpl"
        self.db = name
        r = self.psql("DROP DATABASE IF EXISTS %s; DROP DATABASE IF EXISTS %s;\n"
                      "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';"
                      % (self.db, self.template, self.template))
        if r.returncode:
            sys.exit("fuzz: cannot create a database: " + r.stderr)
        r = self.psql(FIXTURE, db=self.template, extra=("-v", "ON_ERROR_STOP=1"))
        if r.returncode:
            self.teardown()
            sys.exit("fuzz: the fixture failed (is migrate_ext installed?):\n" + r.stderr)
        self.reset()

    def reset(self):
        """A fresh copy of the fixture database."""
        r = self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE);\nCREATE DATABASE %s TEMPLATE %s;"
                      % (self.db, self.db, self.template))
        if r.returncode:
            sys.exit("fuzz: cannot reset the database: " + r.stderr)

    def teardown(self):
        if self.args.keep:
            print("fuzz: kept databases %s and %s" % (self.db, self.template))
            return
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE); DROP DATABASE IF EXISTS %s WITH (FORCE);"
                  % (self.db, self.template))


class Result:
    def __init__(self):
        self.outcomes = {}       # n -> list of outcome dicts
        self.lost = False        # the connection was lost
        self.hung = False
        self.stderr = ""
        self.snap_before = None
        self.snap_after = None
        self.crash_lines = []


def run_batch(server, docs, snapshots=True, per_doc_snapshots=False):
    """Run docs in one psql session; returns a Result."""
    res = Result()
    tmp = tempfile.mkdtemp(prefix="fuzz_")
    try:
        parts = [SESSION % server.args.statement_timeout]
        if snapshots:
            parts.append("\\o %s/snap_before\nSELECT fuzzh.snapshot();\n\\o\n" % tmp)
        for d in docs:
            parts.append(doc_statement(d))
            if per_doc_snapshots:
                parts.append("\\o %s/snap_%d\nSELECT fuzzh.snapshot();\n\\o\n" % (tmp, d.n))
        if snapshots:
            parts.append("\\o %s/snap_after\nSELECT fuzzh.snapshot();\n\\o\n" % tmp)
        os.chmod(tmp, 0o777)
        server.log_mark()
        try:
            p = server.psql("".join(parts), db=server.db,
                            timeout=30 + server.args.statement_timeout * (len(docs) + 2))
            out, err, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, rc = "psql timed out", None
            res.hung = True
        res.stderr = err
        for line in out.splitlines():
            if line.startswith('{"n":') or line.startswith('{"r":'):
                try:
                    o = json.loads(line)
                    res.outcomes[o["n"]] = o["r"]
                except ValueError:
                    pass
        if rc == 2 or "server closed the connection" in err or "connection to server was lost" in err:
            res.lost = True
        res.crash_lines = server.log_trouble()

        def read(name):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    return f.read()
            return None
        if snapshots:
            res.snap_before, res.snap_after = read("snap_before"), read("snap_after")
        if per_doc_snapshots:
            res.per_doc = {d.n: read("snap_%d" % d.n) for d in docs}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


# ---------------------------------------------------------------- oracles

def norm(msg, names=()):
    """A message with the variable parts taken out: the class of an error."""
    msg = msg or ""
    m = re.match(r"revision .*?, (upgrade|downgrade) op \d+ \(", msg)
    if m:
        rest = msg[m.end():]
        for name in sorted(set(names) | {"?"}, key=len, reverse=True):
            if rest.startswith(name + "): "):
                msg = "revision R, %s op N (…): %s" % (m.group(1), rest[len(name) + 3:])
                break
    else:
        msg = re.sub(r"^revision [^,:]*", "revision R", msg)
    for name in sorted(names, key=len, reverse=True):
        msg = msg.replace('"%s"' % name, '"…"')
    msg = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', msg)
    msg = re.sub(r"`[^`]*`", "`…`", msg)
    msg = re.sub(r"\b[iu](8|16|32|64|128)\b", "<int type>", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\d+", "N", msg)
    return msg[:160]


def classify(doc, outcomes):
    """Failure classes (key, explanation) of one document's outcomes."""
    found = []
    names = doc.op_names()
    for o in outcomes:
        st = o.get("state") or ""
        stage = o.get("stage")
        if st == "ok":
            continue
        msg = o.get("message") or ""
        text = "\n".join(o.get(k) or "" for k in ("message", "detail", "hint", "context"))
        if st.startswith("XX"):
            found.append((("internal error", st, stage, norm(msg, names)), "SQLSTATE %s (internal error)" % st))
        m = FORBIDDEN.search(text)
        if m:
            found.append((("rust internals in error", needle(m)),
                          "error text shows %r" % m.group(0)))
        m = re.search(r'unknown op "(.*)"\s*$', msg, re.S)
        for bad in [m.group(1)] if m else []:
            if bad not in names:
                found.append((("error names an op the document does not have", st),
                              'says unknown op "%s", but the ops are %s' % (bad, sorted(names))))
        if "CANARY: injected SQL ran" in text and not doc.canary_raw:
            found.append((("injection: canary ran from a non-SQL field", stage), "the canary function ran"))
        if doc.probe is not None and (st == "ZF001" or (st.startswith("22") and stage != "jsonb")):
            found.append((("number probe failed", stage, st, norm(msg, names)),
                          "the number %s was not kept exactly" % shorten(doc.probe, 60)))
        if st == "57014":
            found.append((("timeout", stage), "statement timeout"))
    return found


def needle(m):
    """What a FORBIDDEN match found, as a class: u128 and i64 are one."""
    word = m.group(0).lower()
    if re.fullmatch(r"[iu]\d+|[iu]size|f32|f64", word):
        return "<rust int type>"
    return re.split(r"[^a-z0-9_$]", word)[0] or word


def shorten(s, n=300):
    s = str(s)
    return s if len(s) <= n else s[:n] + "…(%d chars)" % len(s)


def notices_trouble(stderr):
    out = []
    for line in stderr.splitlines():
        m = FORBIDDEN.search(line)
        if m:
            out.append((("rust internals in a notice", needle(m)), shorten(line, 400)))
    return out


# ---------------------------------------------------------------- minimizer

def reductions(v):
    """Smaller variants of a tree, one change each."""
    out = []
    if isinstance(v, list):
        for i in range(len(v)):
            out.append(v[:i] + v[i + 1:])
        for i, x in enumerate(v):
            for y in reductions(x):
                out.append(v[:i] + [y] + v[i + 1:])
    elif isinstance(v, Obj):
        # later duplicates win in jsonb: drop earlier copies first
        for i, (k, _) in enumerate(v.items):
            if k != "op":
                out.append(Obj(v.items[:i] + v.items[i + 1:]))
        for i, (k, x) in enumerate(v.items):
            for y in reductions(x):
                out.append(Obj(v.items[:i] + [(k, y)] + v.items[i + 1:]))
    elif isinstance(v, str) and len(v) > 8:
        out.append(v[: len(v) // 2])
        out.append(v[:8])
    return out


def clone(doc, up=None, down=None, keep_down=True):
    d = Doc(doc.mode, doc.up if up is None else up, doc.down if keep_down else down,
            doc.rid, doc.parent, doc.label, doc.post, doc.probe)
    d.canary_raw, d.n = doc.canary_raw, doc.n
    return d


def minimize(server, doc, key, deadline):
    """A smaller document with the same failure class, and its outcome."""
    best, best_outcome = doc, None
    while time.time() < deadline:
        cands = [clone(best, up=up) for up in reductions(best.up)[:80]]
        if best.down not in (None, []):
            cands.append(clone(best, down=[], keep_down=False))
            cands.append(clone(best, down=None, keep_down=False))
            cands += [clone(best, down=dn, keep_down=False) for dn in reductions(best.down)[:40]]
        if not cands:
            break
        for i, c in enumerate(cands):
            c.n = 900000 + i
        res = run_batch(server, cands, snapshots=False)
        if res.lost or res.crash_lines or res.hung:
            server.wait_up()
            server.reset()
        good = []
        for c in cands:
            outs = res.outcomes.get(c.n, [])
            if key in [k for k, _ in classify(c, outs)]:
                good.append((size(c.up) + size(c.down), c, outs))
        if not good:
            break
        good.sort(key=lambda g: g[0])
        if good[0][0] >= size(best.up) + size(best.down):
            break
        _, best, outs = good[0]
        best_outcome = next((o for o in outs if o.get("state") != "ok"), None)
    best.n = doc.n
    return best, best_outcome


# ---------------------------------------------------------------- main

class Failures:
    """Distinct failure classes, each with its smallest examples."""

    def __init__(self):
        self.classes = collections.OrderedDict()   # key -> dict

    def add(self, key, why, doc=None, outcome=None, extra=None):
        c = self.classes.get(key)
        if c is None:
            self.classes[key] = c = {"why": why, "examples": [], "count": 0, "extra": extra}
        c["count"] += 1
        if doc is not None:
            c["examples"].append((size(doc.up) + size(doc.down), doc.n, doc, outcome))
            c["examples"].sort(key=lambda e: e[:2])
            del c["examples"][3:]
        return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="time budget (default 60)")
    ap.add_argument("--count", type=int, default=0, help="stop after this many documents")
    ap.add_argument("--seed", default=None, help="seed (default: random, printed)")
    ap.add_argument("--only", type=int, action="append", help="run only document N of the seed")
    ap.add_argument("--batch", type=int, default=150, help="documents per psql session")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--server-log", help="the server's log file (default: <data>/../server.log)")
    ap.add_argument("--statement-timeout", type=int, default=20, help="seconds per document")
    ap.add_argument("--minimize-seconds", type=float, default=15)
    ap.add_argument("--keep", action="store_true", help="keep the fuzz databases")
    ap.add_argument("--show", type=int, help="print document N of the seed and exit")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else str(random.SystemRandom().randrange(10 ** 9))

    if args.show is not None:
        d = make_doc(seed, args.show)
        print(repro(d))
        return 0

    server = Server(args)
    if not server.wait_up(30):
        sys.exit("fuzz: no server at PGHOST=%s PGPORT=%s" % (server.env.get("PGHOST"), server.env.get("PGPORT")))
    server.find_log()
    server.setup()
    start = time.time()
    deadline = start + args.seconds
    failures = Failures()
    hist = collections.Counter()
    stages = collections.Counter()
    ran = 0
    n = 0
    try:
        if args.only:
            ran += run_and_judge(server, [make_doc(seed, i) for i in args.only], failures, hist, stages)
        while not args.only and time.time() < deadline and not (args.count and n >= args.count):
            k = args.batch if not args.count else min(args.batch, args.count - n)
            docs = [make_doc(seed, n + i) for i in range(k)]
            n += k
            ran += run_and_judge(server, docs, failures, hist, stages)
    finally:
        elapsed = time.time() - start
        # the smallest example of each per-document class, minimized
        for key, c in failures.classes.items():
            if not c["examples"]:
                continue
            _, _, doc, outcome = c["examples"][0]
            c["example"], c["outcome"] = doc, outcome
            if key[0] not in PER_BATCH and doc.probe is None and args.minimize_seconds > 0:
                small, o = minimize(server, doc, key, time.time() + args.minimize_seconds)
                if o is not None:
                    c["example"], c["outcome"] = small, o
        server.teardown()

    print("fuzz: %d documents in %.1f s (%.1f/s), seed %s, batches of %d%s" % (
        ran, elapsed, ran / max(elapsed, 0.001), seed, args.batch,
        "" if server.log else " (no server log: crashes seen only as lost connections)"))
    print("outcomes (last stage reached: SQLSTATE):")
    for (stage, st), cnt in sorted(stages.items(), key=lambda x: -x[1]):
        print("  %6d  %-9s %s" % (cnt, stage, st))
    print("SQLSTATE histogram:", ", ".join("%s %d" % kv for kv in hist.most_common()))
    if not failures.classes:
        print("fuzz: no failures")
        return 0
    print()
    print("fuzz: %d failure class(es)" % len(failures.classes))
    for i, (key, c) in enumerate(failures.classes.items(), 1):
        print()
        print("[%d] %s (%d document(s))" % (i, " | ".join(str(k) for k in key), c["count"]))
        print("    " + c["why"])
        if c.get("extra"):
            print("    " + c["extra"].replace("\n", "\n    "))
        ex = c.get("example")
        if ex is not None:
            up, down = ex.texts()
            print("    document %d of seed %s (rerun: tests/fuzz.py --seed %s --only %d)" % (ex.n, seed, seed, ex.n))
            print("    upgrade:   " + shorten(up, 600))
            print("    downgrade: " + shorten(down, 300))
            if ex.rid or ex.parent or ex.label or ex.mode == "insert":
                print("    mode %s, id %r, down_revision %r, branch_label %r" % (ex.mode, ex.rid, ex.parent, ex.label))
            o = c.get("outcome")
            if o:
                print("    got: [%s at %s] %s" % (o.get("state"), o.get("stage"), shorten(o.get("message"), 400)))
                for f in ("detail", "hint", "context"):
                    if o.get(f):
                        print("      %s: %s" % (f, shorten(o[f], 300).replace("\n", "\n        ")))
            print("    reproduce:\n      " + shorten(repro(ex), 2000).replace("\n", "\n      "))
    return 1


PER_BATCH = ("connection lost", "server crash", "hang", "snapshot changed", "snapshot failed",
             "no result", "rust internals in a notice")


def run_and_judge(server, docs, failures, hist, stages):
    res = run_batch(server, docs)
    done = [d for d in docs if d.n in res.outcomes]
    for d in done:
        outs = res.outcomes[d.n]
        last = outs[-1] if outs else {}
        hist[last.get("state") or "?"] += 1
        stages[(last.get("stage"), last.get("state"))] += 1
        for o in outs[:-1]:
            hist["%s (%s)" % (o.get("state"), o.get("stage"))] += 1
        for key, why in classify(d, outs):
            outcome = next((o for o in outs if o.get("state") != "ok"), None)
            failures.add(key, why, d, outcome)
    for key, why in notices_trouble(res.stderr):
        failures.add(key, why, None, None, extra=why)
    missing = [d for d in docs if d.n not in res.outcomes]
    if res.lost or res.crash_lines or res.hung:
        first = missing[0] if missing else None
        key = ("server crash",) if res.crash_lines else ("hang",) if res.hung else ("connection lost",)
        why = "; ".join(res.crash_lines[:3]) or shorten(res.stderr, 400)
        if first is not None:
            # confirm alone, to name the document
            server.wait_up()
            alone = run_batch(server, [first], snapshots=False)
            if alone.lost or alone.crash_lines or alone.hung or first.n not in alone.outcomes:
                failures.add(key, why, first)
            else:
                failures.add(key, why + " (document not confirmed alone)", first)
        else:
            failures.add(key, why)
        server.wait_up()
        server.reset()
        rest = missing[1:]
        return len(done) + (run_and_judge(server, rest, failures, hist, stages) if rest else 0) + (1 if first else 0)
    for d in missing:
        if "statement timeout" in res.stderr:
            failures.add(("hang",), "a document ran past the statement timeout (%d s)"
                          % server.args.statement_timeout, d)
        else:
            failures.add(("no result",), "psql gave no result for a document: " + shorten(res.stderr, 300), d)
    if res.snap_before is None or res.snap_after is None:
        failures.add(("snapshot failed",), shorten(res.stderr, 400))
    elif res.snap_before != res.snap_after:
        # find the document: each alone, with a snapshot after each
        server.reset()
        iso = run_batch(server, docs, per_doc_snapshots=True)
        prev = iso.snap_before
        culprit = None
        for d in docs:
            cur = iso.per_doc.get(d.n)
            if cur is not None and cur != prev:
                culprit = d
                break
            prev = cur if cur is not None else prev
        diff = snapshot_diff(res.snap_before, res.snap_after)
        failures.add(("snapshot changed",), "a change was left behind:\n" + diff, culprit)
        server.reset()
    return len(done)


def snapshot_diff(a, b):
    la, lb = set(a.splitlines()), set(b.splitlines())
    out = ["- " + x for x in sorted(la - lb)][:20] + ["+ " + x for x in sorted(lb - la)][:20]
    return "\n".join(shorten(x, 300) for x in out)


if __name__ == "__main__":
    sys.exit(main())
