-- migrate.show(): everything about one revision, including the SQL it
-- runs in each direction.
CREATE DATABASE show;
\c show
CREATE EXTENSION migrate_ext;
CREATE TABLE my_table (id int);
SELECT migrate.revision('add my_enum_column', '[
    {"op": "create_enum", "name": "my_enum_type", "values": ["option1", "option2"]},
    {"op": "add_column", "table": "my_table",
     "column": {"name": "my_enum_column", "type": "my_enum_type", "nullable": false, "server_default": "option1"}}]',
    id => 'a1b2c3d4e5f6', branch_label => 'enums');
SELECT jsonb_pretty(migrate.show('a1b2') - 'created_at' - 'checksum');
SELECT migrate.upgrade();
SELECT (s->>'applied')::boolean AS applied, s->>'checksum' = s->>'applied_checksum' AS checksum_recorded
  FROM migrate.show('enums') s;
SELECT migrate.show('nope');
