-- The guide's enum example, end to end: upgrade creates the type before the
-- column (with its default), downgrade drops the column and then the type,
-- and a second upgrade works again.
CREATE DATABASE guide_enum;
\c guide_enum
CREATE EXTENSION migrate_ext;

CREATE TABLE my_table (id int PRIMARY KEY);
INSERT INTO my_table VALUES (1), (2);

-- alembic revision -m "add my_enum_column"
SELECT migrate.revision(
    'add my_enum_column',
    '[{"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2", "option3"]},
      {"op": "add_column", "table": "my_table",
       "column": {"name": "my_enum_column", "type": "my_enum_type",
                  "nullable": false, "server_default": "option1"}}]',
    id => 'a1b2c3d4e5f6');

-- alembic upgrade head
SELECT migrate.upgrade('head');

-- the type exists with its values in order, the column uses it,
-- and existing rows got the default
SELECT enum_range(NULL::my_enum_type);
SELECT column_name, udt_name, is_nullable, column_default
  FROM information_schema.columns
 WHERE table_name = 'my_table' ORDER BY ordinal_position;
SELECT * FROM my_table ORDER BY id;

-- the type was created before the column
SELECT revision, direction, statements FROM migrate.log ORDER BY id;
SELECT * FROM migrate.current();

-- alembic downgrade -1: the column goes first, then the type
SELECT migrate.downgrade(-1);
SELECT statements FROM migrate.log WHERE direction = 'downgrade';
SELECT count(*) AS column_left FROM information_schema.columns
 WHERE table_name = 'my_table' AND column_name = 'my_enum_column';
SELECT to_regtype('my_enum_type') AS type_left;
SELECT count(*) AS rows_kept FROM my_table;
SELECT * FROM migrate.current();

-- upgrade again: no "already exists"
SELECT migrate.upgrade('head');
SELECT * FROM my_table ORDER BY id;

-- the type existing already with the same values is left alone (checkfirst)
SELECT migrate.downgrade('base');
CREATE TYPE my_enum_type AS ENUM ('option1', 'option2', 'option3');
SELECT migrate.upgrade('head');
SELECT statements FROM migrate.log ORDER BY id DESC LIMIT 1;
