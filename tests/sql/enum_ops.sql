-- create_enum and drop_enum: checkfirst, and nothing is ever CASCADEd.
CREATE DATABASE enum_ops;
\c enum_ops
CREATE EXTENSION migrate_ext;
CREATE SCHEMA app;
\i tests/helpers/sqlstate.sql

-- a schema can be named; values keep their order
SELECT migrate.revision('mood', '[{"op": "create_enum", "schema": "app", "name": "mood", "values": ["sad", "ok", "happy"]}]', id => 'm1');
SELECT migrate.upgrade();
SELECT enum_range(NULL::app.mood);

-- an existing type with other values is an error, not a silent skip
CREATE TYPE color AS ENUM ('red');
SELECT migrate.revision('color', '[{"op": "create_enum", "name": "color", "values": ["red", "green"]}]', id => 'c1');
SELECT migrate.upgrade();
-- as is a non-enum type of that name
CREATE TABLE shape (id int);
SELECT migrate.revision('shape', '[{"op": "create_enum", "name": "shape", "values": ["x"]}]', id => 'c2', down_revision => 'm1');
SELECT migrate.upgrade('c2');
DELETE FROM migrate.revisions WHERE id IN ('c1', 'c2');

-- drop_enum refuses while a column (or an array column, or a view) uses
-- the type, and names them
CREATE TABLE people (id int, mood app.mood, moods app.mood[]);
CREATE VIEW happy_people AS SELECT id, mood FROM people;
SELECT migrate.revision('drop mood', '[{"op": "drop_enum", "schema": "app", "name": "mood"}]',
                        '[{"op": "create_enum", "schema": "app", "name": "mood", "values": ["sad", "ok", "happy"]}]', id => 'd1');
SELECT migrate.upgrade();
SELECT sqlstate($$SELECT migrate.upgrade()$$);
SELECT to_regtype('app.mood') IS NOT NULL AS still_there;
-- drop_enum of something that is not an enum
DROP VIEW happy_people;
DROP TABLE people;
SELECT migrate.upgrade();
SELECT to_regtype('app.mood') AS gone;

-- a type that does not exist: DROP TYPE IF EXISTS, as the guide says
SELECT migrate.revision('drop missing', '[{"op": "drop_enum", "name": "never_was"}]', '[]', id => 'd2');
SELECT migrate.upgrade();

-- dropping something that is not an enum is refused
SELECT migrate.revision('drop table type', '[{"op": "drop_enum", "name": "shape"}]', '[]', id => 'd3');
SELECT migrate.upgrade();
SELECT to_regclass('shape') IS NOT NULL AS table_kept;
