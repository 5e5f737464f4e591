-- Enum value changes around the dependents real schemas have: a new value
-- used inside array literals, enum[] defaults, foreign keys between enum
-- columns, partitioned tables, comments, the type's owner and privileges,
-- and the refusals that say what to do instead.
CREATE DATABASE enum_dependents;
\c enum_dependents
CREATE EXTENSION migrate_ext;
\i tests/helpers/snapshot.sql

-- 1. A value added and used in the same call inside an array literal, in
-- SQL ('{new,escalated}') or in a bulk_insert row ("{open,...}"): the later
-- op mentions it, so it is added by a swap and usable at once (ADD VALUE
-- would fail with 55P04)
CREATE TYPE st AS ENUM ('new', 'open', 'done');
CREATE TABLE t (id int PRIMARY KEY, hist st[] NOT NULL DEFAULT '{}');
INSERT INTO t VALUES (1, '{new}');
SELECT migrate.revision('escalate', '[{"op": "add_enum_value", "name": "st", "value": "escalated"},
  {"op": "execute", "sql": "UPDATE t SET hist = ''{new,escalated}'' WHERE id = 1"}]', '[]', id => 'd1');
SELECT migrate.revision('review', '[{"op": "add_enum_value", "name": "st", "value": "in review"},
  {"op": "bulk_insert", "table": "t", "rows": [{"id": 2, "hist": "{open,\"in review\"}"}]}]', '[]', id => 'd2');
SELECT migrate.upgrade();
SELECT enum_range(NULL::st);
SELECT * FROM t ORDER BY id;

-- 2. An enum[] default that holds the removed value: refused (55006) and
-- named, like rows that hold it
CREATE TYPE perm AS ENUM ('read', 'write', 'admin');
CREATE TABLE grants (id int PRIMARY KEY, perms perm[] DEFAULT '{read,write}');
INSERT INTO grants VALUES (1, '{read}'), (2, '{admin}');
SELECT migrate.revision('no write', '[{"op": "drop_enum_value", "name": "perm", "value": "write"}]', '[]', id => 'd3');
SELECT migrate.upgrade();
-- with replace_with, the default is rewritten element by element
UPDATE migrate.revisions
   SET upgrade = '[{"op": "drop_enum_value", "name": "perm", "value": "write", "replace_with": "admin"}]'
 WHERE id = 'd3';
SELECT migrate.upgrade();
SELECT pg_get_expr(adbin, adrelid) AS default FROM pg_attrdef WHERE adrelid = 'grants'::regclass;
SELECT * FROM grants ORDER BY id;

-- 3. A foreign key between two columns of the enum (an enum-keyed lookup
-- table) is dropped, both tables are converted, and it is added again:
-- same name, definition, deferrability, ON DELETE action and comment,
-- validated
CREATE TYPE kind AS ENUM ('person', 'company', 'robot');
CREATE TABLE kind_info (k kind PRIMARY KEY, label text);
CREATE TABLE account (id int PRIMARY KEY, k kind NOT NULL
    CONSTRAINT account_kind_fk REFERENCES kind_info ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);
COMMENT ON CONSTRAINT account_kind_fk ON account IS 'every account has a kind';
INSERT INTO kind_info VALUES ('person', 'a person'), ('company', 'a company');
INSERT INTO account VALUES (1, 'person'), (2, 'company');
CREATE TEMP TABLE fk_before AS
SELECT conname, pg_get_constraintdef(oid) AS def, convalidated, obj_description(oid, 'pg_constraint') AS comment
  FROM pg_constraint WHERE contype = 'f' AND conrelid = 'account'::regclass;
SELECT migrate.revision('no robots', '[{"op": "drop_enum_value", "name": "kind", "value": "robot"}]', '[]', id => 'd4');
SELECT migrate.upgrade();
SELECT unnest(statements) FROM migrate.log WHERE revision = 'd4';
SELECT conname, pg_get_constraintdef(oid) AS def, convalidated, obj_description(oid, 'pg_constraint') AS comment
  FROM pg_constraint WHERE contype = 'f' AND conrelid = 'account'::regclass
EXCEPT SELECT * FROM fk_before;  -- nothing changed
SELECT conname, convalidated, obj_description(oid, 'pg_constraint') AS comment
  FROM pg_constraint WHERE contype = 'f' AND conrelid = 'account'::regclass;
-- and it still acts
DELETE FROM kind_info WHERE k = 'company';
SELECT * FROM account ORDER BY id;

-- 4. A partitioned table: its columns are converted on the parent (which
-- recurses), and a CHECK and a partial index on the parent are carried
-- over on the parent: the partitions inherit the CHECK from it again, and
-- their indexes are created again under their own names and attached to
-- the parent's, as pg_dump restores them
CREATE TYPE level AS ENUM ('low', 'mid', 'high', 'unused');
CREATE TABLE events (id int, lvl level NOT NULL, CONSTRAINT events_not_high CHECK (lvl <> 'high'))
    PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
CREATE INDEX events_low ON events (id) WHERE lvl = 'low';
COMMENT ON INDEX events_low IS 'the quiet ones';
ALTER INDEX events_2_id_idx RENAME TO events_2_low;
INSERT INTO events VALUES (1, 'low'), (150, 'mid');
CREATE TEMP TABLE shape AS SELECT snapshot() AS s;
SELECT migrate.revision('drop unused', '[{"op": "drop_enum_value", "name": "level", "value": "unused"}]', '[]', id => 'd5');
SELECT migrate.upgrade();
SELECT unnest(statements) FROM migrate.log WHERE revision = 'd5';
SELECT conrelid::regclass AS "table", conname, conislocal, coninhcount, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE conname = 'events_not_high' ORDER BY 1;
SELECT i.indexrelid::regclass AS index, i.indrelid::regclass AS "table", h.inhparent::regclass AS parent, i.indisvalid,
       obj_description(i.indexrelid, 'pg_class') AS comment
  FROM pg_index i LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
 WHERE i.indrelid IN ('events'::regclass, 'events_1'::regclass, 'events_2'::regclass) ORDER BY 1;
-- the catalog differs only in the type's values
SELECT 'before' AS side, line FROM (SELECT regexp_split_to_table(s, E'\n') FROM shape
                                    EXCEPT SELECT regexp_split_to_table(snapshot(), E'\n')) x(line)
UNION ALL
SELECT 'after', line FROM (SELECT regexp_split_to_table(snapshot(), E'\n')
                           EXCEPT SELECT regexp_split_to_table(s, E'\n') FROM shape) y(line)
ORDER BY 1 DESC, 2;
SELECT * FROM events ORDER BY id;

-- 5. What the swap must not lose: the type's owner, privileges (PUBLIC
-- stays without USAGE) and comment, and the comments of the constraints
-- and indexes it carries over. A drop followed by adding the value back
-- leaves these catalog facts exactly as they were.
CREATE ROLE enum_dependents_owner;
CREATE ROLE enum_dependents_reader;
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
ALTER TYPE mood OWNER TO enum_dependents_owner;
REVOKE USAGE ON TYPE mood FROM PUBLIC;
GRANT USAGE ON TYPE mood TO enum_dependents_reader WITH GRANT OPTION;
COMMENT ON TYPE mood IS 'how it feels';
CREATE TABLE diary (id int PRIMARY KEY, m mood CONSTRAINT diary_not_sad CHECK (m <> 'sad'));
COMMENT ON CONSTRAINT diary_not_sad ON diary IS 'stay positive';
CREATE INDEX diary_happy ON diary (id) WHERE m = 'happy';
COMMENT ON INDEX diary_happy IS 'the good days';
CREATE TEMP VIEW mood_facts AS
SELECT format('type %s owner=%s acl=%s comment=%s values=%s', t.typname, t.typowner::regrole, t.typacl,
              obj_description(t.oid, 'pg_type'),
              (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid)) AS fact
  FROM pg_type t WHERE t.typname = 'mood' AND t.typnamespace = 'public'::regnamespace
UNION ALL
SELECT format('array type %s owner=%s acl=%s', t.typname, t.typowner::regrole, t.typacl)
  FROM pg_type t WHERE t.typname = '_mood' AND t.typnamespace = 'public'::regnamespace
UNION ALL
SELECT format('constraint %s comment=%s', conname, obj_description(oid, 'pg_constraint'))
  FROM pg_constraint WHERE conrelid = 'diary'::regclass AND contype <> 'n'  -- 18's NOT NULL rows
UNION ALL
SELECT format('index %s comment=%s', indexrelid::regclass, obj_description(indexrelid, 'pg_class'))
  FROM pg_index WHERE indrelid = 'diary'::regclass
UNION ALL
SELECT format('PUBLIC may use mood: %s', has_type_privilege('public', 'mood', 'USAGE'));
CREATE TEMP TABLE facts_before AS SELECT fact FROM mood_facts;
UPDATE shape SET s = snapshot();
SELECT fact FROM mood_facts ORDER BY 1;
SELECT migrate.revision('drop meh', '[{"op": "drop_enum_value", "name": "mood", "value": "meh"}]',
  '[{"op": "add_enum_value", "name": "mood", "value": "meh", "after": "sad"}]', id => 'd6');
SELECT migrate.upgrade();
SELECT unnest(statements) FROM migrate.log WHERE revision = 'd6';
SELECT fact FROM mood_facts ORDER BY 1;
SELECT migrate.downgrade(-1);
-- after the drop and the add back: the same facts, the same schema
(SELECT fact FROM mood_facts EXCEPT SELECT fact FROM facts_before)
UNION ALL
(SELECT fact FROM facts_before EXCEPT SELECT fact FROM mood_facts);
SELECT snapshot() = (SELECT s FROM shape) AS same_schema;
DELETE FROM migrate.revisions WHERE id = 'd6';

-- 6. Refusals that say what to do. A removed value that a CHECK or a
-- partial index names (no row holds it): the condition cannot be carried
-- over to a type without it, with or without replace_with (2BP01)
CREATE TYPE sv AS ENUM ('p', 'q', 'r');
CREATE TABLE s (id int, v sv CONSTRAINT s_not_q CHECK (v <> 'q'));
CREATE INDEX s_q ON s (id) WHERE v = 'q';
SELECT migrate.revision('drop q', '[{"op": "drop_enum_value", "name": "sv", "value": "q", "replace_with": "r"}]', '[]', id => 'd7');
SELECT migrate.upgrade();
DELETE FROM migrate.revisions WHERE id = 'd7';
-- Two migrate.upgrade calls in one transaction, the second using a value
-- the first added with ADD VALUE: before that op, the type is swapped for
-- one with the same values, so the value is usable (no 55P04)
BEGIN;
SELECT migrate.revision('add s', '[{"op": "add_enum_value", "name": "sv", "value": "s"}]', id => 'd8');
SELECT migrate.upgrade();
SELECT migrate.revision('use s', '[{"op": "execute", "sql": "INSERT INTO s VALUES (1, ''s'')"}]', '[]', id => 'd9');
SELECT migrate.upgrade();
COMMIT;
SELECT unnest(statements) FROM migrate.log WHERE revision = 'd9';
SELECT * FROM s;
SELECT enum_range(NULL::sv);
-- When that swap cannot run (a view uses the type), the hint says to
-- commit first
CREATE VIEW s_view AS SELECT id, v FROM s;
BEGIN;
SELECT migrate.revision('add t', '[{"op": "add_enum_value", "name": "sv", "value": "t"}]', id => 'd10');
SELECT migrate.upgrade();
SELECT migrate.revision('use t', '[{"op": "execute", "sql": "INSERT INTO s VALUES (2, ''t'')"}]', '[]', id => 'd11');
SELECT migrate.upgrade();
ROLLBACK;
