-- Malformed input gets a clear error with a fitting SQLSTATE, whether it
-- comes through migrate.revision() or a direct INSERT; nothing is stored.
CREATE DATABASE bad_input;
\c bad_input
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
\i tests/helpers/sqlstate.sql

-- ops must be a JSON array of objects tagged by "op"
SELECT migrate.revision('x', '{"op": "execute", "sql": "SELECT 1"}', id => 'r1');
SELECT migrate.revision('x', '[42]', id => 'r1');
SELECT migrate.revision('x', '[{"sql": "SELECT 1"}]', id => 'r1');
-- an unknown op or field is named
SELECT migrate.revision('x', '[{"op": "create_enum_type", "name": "e", "values": []}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "create_enum", "name": "e", "values": ["a"], "checkfirst": true}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "add_column", "table": "t", "column": {"name": "c", "type": "int", "nulable": false}}]', id => 'r1');
-- wrong JSON types and missing fields
SELECT migrate.revision('x', '[{"op": "create_enum", "name": "e", "values": "a,b"}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "drop_column", "table": "t"}]', '[]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "add_column", "table": "t", "column": {"name": "c", "type": "int", "server_default": [1]}}]', id => 'r1');
-- what JSON cannot say
SELECT migrate.revision('x', '[{"op": "create_enum", "name": "e", "values": ["a", "a"]}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "create_enum", "name": "", "values": []}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "drop_enum", "name": "a_name_that_is_much_too_long_for_postgresql_to_keep_without_cutting_it"}]', '[]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "execute", "sql": "  "}]', '[]', id => 'r1');
-- NOT VALID is for check and foreign key constraints only; validate_constraint
-- takes drop_constraint's fields and no others
SELECT migrate.revision('x', '[{"op": "add_constraint", "table": "t", "name": "k", "kind": "unique", "columns": ["c"], "not_valid": true}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "validate_constraint", "table": "t", "name": "k", "not_valid": true}]', id => 'r1');
SELECT left(sqlstate($$SELECT migrate.revision('x', '[{"op": "add_constraint", "table": "t", "name": "k",
    "kind": "primary_key", "columns": ["c"], "not_valid": true}]')$$), 5) AS not_valid_key;
-- the downgrade is checked too
SELECT migrate.revision('x', '[]', '[{"op": "nope"}]', id => 'r1');
-- an op without an inverse needs an explicit downgrade, said at once
SELECT migrate.revision('x', '[{"op": "execute", "sql": "SELECT 1"}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "bulk_insert", "table": "t", "rows": [{"a": 1}]}]', id => 'r1');
SELECT migrate.revision('x', '[{"op": "drop_index", "name": "i", "concurrently": true}]', id => 'r1');
-- JSON nested too deeply is an error, not a crash
SELECT migrate.revision('x', (repeat('[', 200) || repeat(']', 200))::jsonb, id => 'r1');
-- NULL upgrade
SELECT migrate.revision('x', NULL, id => 'r1');
-- ids
SELECT migrate.revision('x', id => 'head');
SELECT migrate.revision('x', id => 'has space');
SELECT migrate.revision('x', id => '-1');
SELECT migrate.revision('x', id => 'dup');
-- the very same revision again is fine (bootstrap scripts run twice);
-- another revision under a stored id is not
SELECT migrate.revision('x', id => 'dup');
SELECT migrate.revision('y', id => 'dup');
-- parents
SELECT migrate.revision('x', down_revision => 'nope', id => 'r2');
SELECT count(*) AS stored FROM migrate.revisions;

-- direct INSERTs are checked the same way
INSERT INTO migrate.revisions (id, upgrade) VALUES ('i1', '{"op": "execute"}');
INSERT INTO migrate.revisions (id, upgrade) VALUES ('i1', '[{"op": "execute", "sql": "SELECT 1"}]');
INSERT INTO migrate.revisions (id, upgrade) VALUES ('base', '[]');
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i2', '{ghost}', '[]');
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i3', '{i3}', '[]');
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i4', '{i5}', '[]'), ('i5', '{i4}', '[]');
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i6', '{NULL}', '[]');
INSERT INTO migrate.revisions (id, depends_on, upgrade) VALUES ('i7', '{ghost}', '[]');
SELECT count(*) AS stored FROM migrate.revisions WHERE id LIKE 'i%';
-- rows may come in any order within one statement
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i9', '{i8}', '[]'), ('i8', '{dup}', '[]');
SELECT id, down_revision FROM migrate.revisions ORDER BY id;
-- a revision others build on cannot be deleted
DELETE FROM migrate.revisions WHERE id = 'i8';
-- unapplied leaves can
DELETE FROM migrate.revisions WHERE id = 'i9';

-- the SQLSTATEs of the cases above
SELECT call, sqlstate(call) FROM (VALUES
    ($$SELECT migrate.revision('x', '[{"op": "nope"}]')$$),                       -- malformed op
    ($$SELECT migrate.revision('x', '[{"op": "bulk_insert", "table": "t", "rows": []}]')$$), -- no inverse
    ($$SELECT migrate.revision('x', NULL)$$),                                     -- NULL upgrade
    ($$SELECT migrate.revision('y', id => 'dup')$$),                              -- duplicate id
    ($$SELECT migrate.revision('x', down_revision => 'ghost')$$),                 -- unknown parent
    ($$INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i2', '{ghost}', '[]')$$),
    ($$INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i3', '{i3}', '[]')$$),
    ($$INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('i4', '{i5}', '[]'), ('i5', '{i4}', '[]')$$)
) AS v(call);
