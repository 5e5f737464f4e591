-- Constraints on a busy table, the safe way: a foreign key and a check
-- added NOT VALID in one revision (existing rows are not scanned; new rows
-- are checked at once), validated in the next (VALIDATE scans under SHARE
-- UPDATE EXCLUSIVE, which lets reads and writes go on). A row that breaks
-- the check is found at VALIDATE, with PostgreSQL's own 23514.
CREATE DATABASE safe_constraints;
\c safe_constraints
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
\i tests/helpers/sqlstate.sql
CREATE TABLE account (id int PRIMARY KEY);
INSERT INTO account SELECT generate_series(1, 3);
CREATE TABLE payment (id int PRIMARY KEY, account_id int, amount numeric(10,2));
-- payment 3 breaks the check to come
INSERT INTO payment VALUES (1, 1, 10), (2, 2, 20), (3, 3, -5);
CREATE VIEW constraints AS
    SELECT conname, contype, convalidated FROM pg_constraint
     WHERE conrelid = 'payment'::regclass AND contype IN ('c', 'f') ORDER BY conname;

SELECT migrate.revision('add the constraints NOT VALID', $$[
  {"op": "add_constraint", "table": "payment", "name": "payment_account_fk", "kind": "foreign_key",
   "columns": ["account_id"], "references": {"table": "account", "columns": ["id"]}, "not_valid": true},
  {"op": "add_constraint", "table": "payment", "name": "payment_amount_check", "kind": "check",
   "expression": "amount > 0", "not_valid": true}
]$$, id => 'nv1');
SELECT migrate.revision('validate them', $$[
  {"op": "validate_constraint", "table": "payment", "name": "payment_account_fk"},
  {"op": "validate_constraint", "table": "payment", "name": "payment_amount_check"}
]$$, id => 'nv2');

-- the SQL of each direction; validating needs no undo, so nv2's derived
-- downgrade is empty, and nv1's drops the constraints
SELECT id, direction, jsonb_array_elements_text(migrate.show(id)->direction) AS statement
  FROM (VALUES ('nv1', 'upgrade_sql'), ('nv1', 'downgrade_sql'),
               ('nv2', 'upgrade_sql'), ('nv2', 'downgrade_sql')) AS x(id, direction);
SELECT migrate.show('nv2')->'downgrade' AS nv2_downgrade, migrate.show('nv2')->'downgrade_derived' AS derived;
SELECT * FROM migrate.sql('nv2');

-- nv1: the constraints exist, not validated; payment 3 stays, but new rows
-- are checked at once
SELECT migrate.upgrade('nv1');
SELECT * FROM constraints;
SELECT sqlstate($$INSERT INTO payment VALUES (4, 1, -1)$$);
SELECT sqlstate($$INSERT INTO payment VALUES (5, 99, 1)$$);

-- nv2: VALIDATE finds payment 3 (PostgreSQL's 23514); nothing of the call
-- stays, the foreign key validated before it included
SELECT migrate.upgrade('nv2');
SELECT sqlstate($$SELECT migrate.upgrade('nv2')$$);
SELECT * FROM migrate.current();
SELECT * FROM constraints;

-- fixed, it validates
UPDATE payment SET amount = 5 WHERE id = 3;
SELECT migrate.upgrade('nv2');
SELECT * FROM constraints;
SELECT revision, direction, statements FROM migrate.log ORDER BY id;

-- downgrade: nv2 runs nothing (the constraints stay, still valid), nv1
-- drops them
SELECT migrate.downgrade('nv1');
SELECT * FROM constraints;
SELECT migrate.downgrade('base');
SELECT * FROM constraints;
SELECT revision, direction, statements FROM migrate.log ORDER BY id OFFSET 2;

\c postgres
DROP DATABASE safe_constraints;
